#!/bin/sh
# The arm64 tier's initramfs: tests/vm/mkinitramfs.sh --arch arm64 (see there).
exec "$(dirname "$0")/../vm/mkinitramfs.sh" --arch arm64 "$@"
