#!/usr/bin/env bash
# Installs the toolchain `npm run package` links with, into a virtualenv outside the repository,
# once: zig (PyPI's `ziglang`, whose C compiler and linker target an old glibc) and
# cargo-zigbuild (PyPI's prebuilt binary), which runs cargo with zig as the C compiler and linker.
# Prints the virtualenv's bin directory; put it first on PATH.
set -euo pipefail
VENV=${S3DB_ML_ZIG_VENV:-$HOME/.cache/s3db-ml/zig-venv}
ZIG_VERSION=0.15.2
ZIGBUILD_VERSION=0.24.1
if ! "$VENV/bin/python" -m ziglang version 2>/dev/null | grep -qx "$ZIG_VERSION" \
  || ! "$VENV/bin/cargo-zigbuild" --version 2>/dev/null | grep -q " $ZIGBUILD_VERSION\$"; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q "ziglang==$ZIG_VERSION" "cargo-zigbuild==$ZIGBUILD_VERSION" >&2
fi
# cargo-zigbuild finds zig on PATH or as `python3 -m ziglang`; a `zig` next to it makes both work.
if [ ! -x "$VENV/bin/zig" ]; then
  printf '#!/bin/sh\nexec "%s" -m ziglang "$@"\n' "$VENV/bin/python" > "$VENV/bin/zig"
  chmod +x "$VENV/bin/zig"
fi
echo "$VENV/bin"
