#!/bin/sh
# The arm64 tier's kernel: tests/vm/build-kernel.sh --arch arm64 (see there).
exec "$(dirname "$0")/../vm/build-kernel.sh" --arch arm64 "$@"
