#!/bin/sh
# Build nestiommu.ko and its tests against an already built testbed kernel
# and run them in the VM (tests/vm/run-vm.sh).
# Usage: tests/module/run.sh [TEST...]
# KBUILD: the kernel build dir (default: the newest complete one in the
# cache; this script never starts a kernel build: see tests/vm/build-kernel.sh).
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${NESTIOMMU_CACHE:-/var/cache/nestiommu}
if [ -z "${KBUILD:-}" ]; then
	KBUILD=$(ls -dt "$CACHE"/build/7.3*/.built 2>/dev/null | head -1)
	KBUILD=${KBUILD%/.built}
fi
[ -n "$KBUILD" ] && [ -f "$KBUILD/.built" ] ||
	{ echo "run.sh: no built kernel (run tests/vm/build-kernel.sh)" >&2; exit 125; }
echo "run.sh: kernel $KBUILD" >&2
make -s -C "$KBUILD" M="$TOP/kernel" NIO_UBSAN_SHIFT=1 -j2 modules
# The same module without the invalidation audit's code (NIO_AUDIT=0), in a
# copy of the sources, for nio_audit's benchmark (no audit / off / on)
NOAUDIT="$TOP/tests/module/build/noaudit"
rm -rf "$NOAUDIT"
mkdir -p "$NOAUDIT"
cp "$TOP"/kernel/*.c "$TOP"/kernel/*.h "$TOP/kernel/Kbuild" "$NOAUDIT/"
make -s -C "$KBUILD" M="$NOAUDIT" NIO_UBSAN_SHIFT=1 NIO_AUDIT=0 -j2 modules
make -s -C "$TOP/tests/module" -f Makefile.nio KBUILD="$KBUILD"
PROGS=""
for p in "$TOP"/tests/module/build/nio_*; do
	[ -f "$p" ] || continue
	PROGS="$PROGS --prog $p"
done
# shellcheck disable=SC2086
# NIO_VM_TIMEOUT: seconds for the whole VM run.  Measured on 2 cores under
# a load of 10 to 12 (2026-12-07): 634 to 1148 s, nio_bench's eleven 2^18
# entry TLB fills (15 to 19 s each) included.
exec "$TOP/tests/vm/run-vm.sh" --timeout "${NIO_VM_TIMEOUT:-1800}" \
	--kernel "$KBUILD/arch/x86/boot/bzImage" \
	--file "$TOP/kernel/nestiommu.ko:/lib/nestiommu.ko" \
	--file "$NOAUDIT/nestiommu.ko:/lib/nestiommu-noaudit.ko" \
	--file "$TOP/tests/module/vm-run.sh:/usr/local/bin/vm-run.sh" $PROGS \
	-- sh /usr/local/bin/vm-run.sh "$@"
