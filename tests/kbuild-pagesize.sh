#!/bin/sh
# nestiommu.ko works per 4 KiB page (stage 2 tables, TLB, DMA copies): a
# kernel with 16 or 64 KiB pages must be refused at build time with a
# message that says why, before the compiler runs.  Builds a copy of
# kernel/ against the testbed kernel build tree with CONFIG_PAGE_SHIFT set
# to 14 and 16 on the command line (as a 16K/64K arm64 kernel's
# configuration would); the 4 KiB build is every other module test.
# Skips (77) without a built testbed kernel.
set -eu
srcdir=${srcdir:-$(dirname "$0")}
top=$(cd "$srcdir/.." && pwd)
CACHE=${NESTIOMMU_CACHE:-/var/cache/nestiommu}
KBUILD=${KBUILD:-$(ls -dt "$CACHE"/build/7.3*/.built 2>/dev/null | head -1)}
KBUILD=${KBUILD%/.built}
if [ -z "$KBUILD" ] || [ ! -f "$KBUILD/Makefile" ]; then
	echo "SKIP: no testbed kernel build tree in $CACHE/build (tests/vm/build-kernel.sh)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$top"/kernel/Kbuild "$top"/kernel/*.c "$top"/kernel/*.h "$tmp"/
rc=0
for shift in 14 16; do
	if make -s -C "$KBUILD" M="$tmp" CONFIG_PAGE_SHIFT=$shift modules \
		>"$tmp/log" 2>&1; then
		echo "FAIL: built with CONFIG_PAGE_SHIFT=$shift"
		rc=1
	elif ! grep -q "needs a kernel with 4 KiB pages.*CONFIG_PAGE_SHIFT=$shift" "$tmp/log"; then
		echo "FAIL: CONFIG_PAGE_SHIFT=$shift refused without the reason:"
		cat "$tmp/log"
		rc=1
	elif ls "$tmp"/*.o >/dev/null 2>&1; then
		echo "FAIL: CONFIG_PAGE_SHIFT=$shift: the compiler ran first"
		rc=1
	else
		echo "ok: CONFIG_PAGE_SHIFT=$shift refused: $(grep -o 'needs a kernel with 4 KiB pages' "$tmp/log")"
	fi
done
exit $rc
