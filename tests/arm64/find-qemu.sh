#!/bin/sh
# Print the path of a qemu-system-aarch64 that can run the arm64 tier
# (QEMU 9.1 or later: -global arm-smmuv3.stage=nested), or fail with the
# reason on stderr. Order: $NESTIOMMU_QEMU_AARCH64; the copy unpacked by
# scripts/install-deps-arm64.sh under /var/cache/nestiommu/qemu-arm/current;
# qemu-system-aarch64 in PATH.
set -eu
CACHE=${NESTIOMMU_CACHE:-/var/cache/nestiommu}

usable() {
	[ -x "$1" ] || return 1
	v=$("$1" --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
	[ -n "$v" ] || { echo "find-qemu: $1 does not run" >&2; return 1; }
	set -- "$1" $v
	if [ "$2" -gt 9 ] || { [ "$2" = 9 ] && [ "$3" -ge 1 ]; }; then
		return 0
	fi
	echo "find-qemu: $1 is QEMU $2.$3; the nested SMMUv3 stage needs 9.1 or later" >&2
	return 1
}

for q in ${NESTIOMMU_QEMU_AARCH64:-} "$CACHE/qemu-arm/current/usr/bin/qemu-system-aarch64" \
	"$(command -v qemu-system-aarch64 2>/dev/null || true)"; do
	[ -n "$q" ] || continue
	if usable "$q"; then
		echo "$q"
		exit 0
	fi
done
echo "find-qemu: no qemu-system-aarch64 >= 9.1 (run scripts/install-deps-arm64.sh as root)" >&2
exit 1
