#!/bin/sh
# RUSTC_WRAPPER of a portable build (scripts/toolchain.js): the addon's own cdylib is linked by zig
# against an old glibc (scripts/zig-cc.sh); every other crate compiles exactly as in a plain build,
# so the two share their artefacts and a portable build after a plain one only relinks the addon.
# If any object needs a newer glibc symbol, that link fails.
rustc="$1"
shift
case " $* " in
  *" --crate-name s3db_ml "*" --crate-type cdylib "*)
    exec ${S3DB_ML_INNER_RUSTC_WRAPPER:+"$S3DB_ML_INNER_RUSTC_WRAPPER"} "$rustc" "$@" -C "linker=$(dirname "$0")/zig-cc.sh" ;;
esac
exec ${S3DB_ML_INNER_RUSTC_WRAPPER:+"$S3DB_ML_INNER_RUSTC_WRAPPER"} "$rustc" "$@"
