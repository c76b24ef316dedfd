#!/bin/sh
# The linker of a portable build: zig's C compiler driver, through cargo-zigbuild (which adapts
# rustc's linker arguments), for the target in S3DB_ML_ZIG_TARGET, e.g. x86_64-linux-gnu.2.28.
exec cargo-zigbuild zig cc -- -g -fno-sanitize=all -target "$S3DB_ML_ZIG_TARGET" "$@"
