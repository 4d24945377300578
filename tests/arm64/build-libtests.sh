#!/bin/sh
# Cross-compile libnestiommu (lib/*.c, statically; it needs only libc.
# The netlink client libnestiommu-smmu, lib/smmu/, is not built: no arm64
# libnl here, and the arm64 tier has no nestiommu.ko to talk to) and the
# library's test programs that apply to the upstream SMMUv3 (tests/kernel/:
# everything not specific to the iommufd selftest mock or to the module's
# netlink control), as static arm64 programs.
#
# Usage: tests/arm64/build-libtests.sh KBUILD OUTDIR
#   KBUILD   the arm64 kernel build (its usr/include has the uapi headers)
#   OUTDIR   receives libnestiommu.a and the test programs
#
# Programs, each built only when its source exists (tests/kernel/ is being
# written): test-uapi (library uAPI vs the arm64 kernel's headers), test-pci
# (the library against a real PCI device behind a real IOMMU), and this
# tier's codec-diff (the library's SMMUv3 codecs against the upstream
# driver's verdicts). test-mock is not built: it needs IOMMUFD_TEST, which
# the arm64 tier does not enable.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CROSS=${CROSS_COMPILE:-aarch64-linux-gnu-}
CC="${CROSS}gcc"
AR="${CROSS}ar"
[ $# = 2 ] || { echo "usage: build-libtests.sh KBUILD OUTDIR" >&2; exit 2; }
KHDR=$1/usr/include
OUT=$2
KT=$TOP/tests/kernel
[ -f "$KHDR/linux/iommufd.h" ] || { echo "build-libtests: no $KHDR/linux/iommufd.h" >&2; exit 1; }
mkdir -p "$OUT"
OBJ=$(mktemp -d "${TMPDIR:-/tmp}/nestiommu-arm64-lib.XXXXXX")
trap 'rm -rf "$OBJ"' EXIT

CFLAGS="-std=gnu11 -O2 -g -Wall -Wextra -Wno-format-truncation -static -fvisibility=hidden"
# config.h of the configured tree (host), else a minimal one
if [ -f "$TOP/config.h" ]; then
	CONF="-I$TOP"
else
	mkdir -p "$OBJ/conf"
	printf '#define PACKAGE_VERSION "arm64"\n#define VERSION "arm64"\n' >"$OBJ/conf/config.h"
	CONF="-I$OBJ/conf"
fi

echo "build-libtests: libnestiommu.a (lib/*.c) for arm64"
for f in "$TOP"/lib/*.c; do
	$CC $CFLAGS $CONF -I"$TOP/include" -I"$TOP/lib" -c "$f" -o "$OBJ/$(basename "$f" .c).o"
done
rm -f "$OUT/libnestiommu.a"
$AR rcs "$OUT/libnestiommu.a" "$OBJ"/*.o

built=0
if [ -f "$KT/test-uapi.c" ] && [ -f "$KT/test-uapi-kernel.c" ]; then
	echo "build-libtests: test-uapi"
	$CC $CFLAGS -I"$TOP/lib" -I"$KT" -c "$KT/test-uapi.c" -o "$OBJ/tu-lib.o"
	$CC $CFLAGS -I"$KHDR" -I"$KT" -c "$KT/test-uapi-kernel.c" -o "$OBJ/tu-kernel.o"
	$CC -static "$OBJ/tu-lib.o" "$OBJ/tu-kernel.o" -o "$OUT/test-uapi"
	built=$((built + 1))
fi
if [ -f "$KT/test-pci.c" ]; then
	echo "build-libtests: test-pci"
	$CC $CFLAGS -I"$TOP/include" -I"$KT" -I"$KHDR" "$KT/test-pci.c" \
		"$OUT/libnestiommu.a" -lpthread -o "$OUT/test-pci"
	built=$((built + 1))
else
	echo "build-libtests: no tests/kernel/test-pci.c yet: skipped"
fi
# the library's SMMUv3 codecs against the upstream driver (arm64 tier only)
echo "build-libtests: codec-diff"
$CC $CFLAGS -I"$TOP/include" "$HERE/codec-diff.c" "$OUT/libnestiommu.a" -lpthread -o "$OUT/codec-diff"
built=$((built + 1))
rm -f "$OUT/libnestiommu.a"
echo "build-libtests: $built programs in $OUT"
