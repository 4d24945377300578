#!/bin/sh
# Cross-build what the QEMU accel client tier puts into the arm64 VM, next
# to the unpacked QEMU 11.1 (scripts/install-qemu-accel.sh):
#
#   nestctl       static arm64: lib/*.c, lib/smmu/genl.c and cli/*.c against
#                 the arm64 json-c and libnl static libraries unpacked by
#                 install-qemu-accel.sh (/var/cache/nestiommu/arm64-sysroot)
#   cmdq-bench    static arm64: the library half of the command queue
#                 benchmark (cmdq-bench.c), from nestctl's library objects
#   iommufd-peek  static arm64, against the arm64 kernel's uapi headers
#   guestfw.bin   the inner VM's -bios (tests/qemu-accel/guest/Makefile)
#   libnestiommu-record.so  arm64 (record/record.c: libc and dlsym only),
#                 preloaded into QEMU to record its session for nestctl replay
#   nestiommu.ko  for the arm64 kernel, from a private copy of kernel/
#                 (its sources only; the tree is not written to)
#
# Usage: tests/qemu-accel/build-tools.sh KBUILD OUTDIR [KMOD-SRC]
#   KBUILD  the arm64 kernel build (tests/arm64/build-kernel.sh): its
#           usr/include and, for the module, Module.symvers
#   OUTDIR  receives the six files (and module.log, nestctl.log)
#   KMOD-SRC  the module's sources (default: kernel/ of this tree)
# Exit: 0 built, 1 a build failed (its log's tail on stderr), 2 usage or
# a missing input (named).
# Environment: CROSS_COMPILE (default aarch64-linux-gnu-), NESTIOMMU_CACHE.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CACHE=${NESTIOMMU_CACHE:-/var/cache/nestiommu}
CROSS=${CROSS_COMPILE:-aarch64-linux-gnu-}
CC="${CROSS}gcc"
SR=$(readlink -f "$CACHE/arm64-sysroot/current" 2>/dev/null || echo "$CACHE/arm64-sysroot/current")
say() { echo "build-tools: $*" >&2; }
die() { echo "build-tools: error: $1" >&2; exit "${2:-1}"; }

[ $# = 2 ] || [ $# = 3 ] || die "usage: build-tools.sh KBUILD OUTDIR [KMOD-SRC]" 2
KBUILD=$1
OUT=$2
KSRC=${3:-$TOP/kernel}
[ -f "$KSRC/Kbuild" ] || die "no Kbuild in $KSRC" 2
[ -f "$KBUILD/usr/include/linux/iommufd.h" ] || die "no $KBUILD/usr/include/linux/iommufd.h" 2
[ -f "$SR/.unpacked" ] || die "no arm64 json-c/libnl in $SR (run scripts/install-deps-arm64.sh as root)" 2
mkdir -p "$OUT"
OBJ=$(mktemp -d "${TMPDIR:-/tmp}/nestiommu-qa-tools.XXXXXX")
trap 'rm -rf "$OBJ"' EXIT

# --- nestctl, as configure would build it (WARN_CFLAGS of configure.ac) ---
say "nestctl (static arm64)"
mkdir -p "$OBJ/conf"
ver=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$TOP/configure.ac")
cat >"$OBJ/conf/config.h" <<EOF
#define HAVE_LIBNL 1
#define PACKAGE "libnestiommu"
#define PACKAGE_NAME "libnestiommu"
#define PACKAGE_VERSION "${ver:-arm64}"
#define PACKAGE_STRING "libnestiommu ${ver:-arm64}"
#define VERSION "${ver:-arm64}"
#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1
#endif
EOF
WARN="-Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wno-format-truncation -Wvla -Werror"
INC="-I$OBJ/conf -I$TOP/include -I$TOP/lib -I$SR/usr/include -I$SR/usr/include/libnl3 -I$SR/usr/include/json-c"
CFLAGS="-std=gnu11 -O2 -g $WARN -DHAVE_CONFIG_H $INC"
(
	for f in "$TOP"/lib/*.c; do
		$CC $CFLAGS -fvisibility=hidden -c "$f" -o "$OBJ/lib-$(basename "$f" .c).o" || exit 1
	done
	for f in "$TOP"/lib/smmu/*.c; do
		$CC $CFLAGS -fvisibility=hidden -c "$f" -o "$OBJ/smmu-$(basename "$f" .c).o" || exit 1
	done
	for f in "$TOP"/cli/*.c; do
		$CC $CFLAGS -c "$f" -o "$OBJ/cli-$(basename "$f" .c).o" || exit 1
	done
	libdirs=""
	for d in $(find "$SR" \( -name 'libnl-3.a' -o -name 'libjson-c.a' \) -exec dirname {} \; | sort -u); do
		libdirs="$libdirs -L$d"
	done
	# shellcheck disable=SC2086
	$CC -static -o "$OUT/nestctl" "$OBJ"/lib-*.o "$OBJ"/smmu-*.o "$OBJ"/cli-*.o $libdirs \
		-ljson-c -lnl-genl-3 -lnl-3 -lpthread -lm || exit 1
) >"$OUT/nestctl.log" 2>&1 || { tail -n 30 "$OUT/nestctl.log" >&2; die "nestctl did not cross-build"; }

say "cmdq-bench (static arm64, libnestiommu's objects of nestctl; no libnl)"
$CC $CFLAGS -c "$HERE/cmdq-bench.c" -o "$OBJ/cmdq-bench.o" &&
	$CC -static -o "$OUT/cmdq-bench" "$OBJ/cmdq-bench.o" "$OBJ"/lib-*.o -lpthread ||
	die "cmdq-bench did not cross-build"

say "iommufd-peek"
$CC -static -O2 -g -Wall -Wextra -Werror -I"$KBUILD/usr/include" \
	-o "$OUT/iommufd-peek" "$HERE/iommufd-peek.c" || die "iommufd-peek did not cross-build"

say "libnestiommu-record.so (arm64)"
$CC -std=gnu11 -O2 -g $WARN -fPIC -shared -fvisibility=hidden -I"$TOP/lib" \
	-o "$OUT/libnestiommu-record.so" "$TOP/record/record.c" -ldl -lpthread ||
	die "libnestiommu-record.so did not cross-build"

say "guestfw.bin"
mkdir -p "$OBJ/fw"
make -s --no-print-directory -C "$OBJ/fw" -f "$HERE/guest/Makefile" srcdir="$HERE/guest" \
	CROSS="$CROSS" guestfw.bin >"$OUT/guestfw.log" 2>&1 ||
	{ tail -n 30 "$OUT/guestfw.log" >&2; die "guestfw.bin did not build"; }
cp "$OBJ/fw/guestfw.bin" "$OUT/guestfw.bin"

say "nestiommu.ko (arm64)"
[ -f "$KBUILD/Module.symvers" ] || die "no $KBUILD/Module.symvers: the arm64 kernel was built without modules" 2
mkdir -p "$OBJ/kmod"
for f in "$KSRC"/*.c "$KSRC"/*.h "$KSRC"/Kbuild; do
	case $f in *.mod.c) continue ;; esac
	cp "$f" "$OBJ/kmod/"
done
(unset MAKEFLAGS MFLAGS MAKELEVEL
 make -C "$KBUILD" ARCH=arm64 CROSS_COMPILE="$CROSS" M="$OBJ/kmod" -j2 modules) \
	>"$OUT/module.log" 2>&1 || { tail -n 30 "$OUT/module.log" >&2; die "nestiommu.ko did not cross-build"; }
cp "$OBJ/kmod/nestiommu.ko" "$OUT/nestiommu.ko"
say "built in $OUT: nestctl cmdq-bench iommufd-peek libnestiommu-record.so guestfw.bin nestiommu.ko"
