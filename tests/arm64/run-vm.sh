#!/bin/sh
# The arm64 tier's VM: tests/vm/run-vm.sh --arch arm64 (see there).
exec "$(dirname "$0")/../vm/run-vm.sh" --arch arm64 "$@"
