#!/bin/sh
# Build the benchmarks' kernel: the testbed kernel (tests/vm/kernel.config)
# without the lock and list debugging that the test tier wants
# (PROVE_LOCKING, DEBUG_ATOMIC_SLEEP, DEBUG_LIST, FAILSLAB, hung-task
# detector, dynamic debug).  Lockdep multiplies the cost of every spinlock,
# which is most of the per-entry kernel work in an invalidation array, so
# ratios measured on the test kernel say more about lockdep than about the
# library.  Same source, same uAPI; IOMMUFD_TEST stays (the benchmarks use
# the selftest mock).  Cached like tests/vm/build-kernel.sh, keyed by the
# derived fragment's hash.
#
# Usage: bench/build-perf-kernel.sh [--jobs N]
#   Prints ONLY the build directory on stdout: arch/x86/boot/bzImage and
#   the uapi headers (usr/include) in it.
# Environment: NESTIOMMU_CACHE (default /var/cache/nestiommu).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
CACHE=${NESTIOMMU_CACHE:-/var/cache/nestiommu}
JOBS=2
die() { echo "build-perf-kernel: error: $*" >&2; exit 1; }
say() { echo "build-perf-kernel: $*" >&2; }

while [ $# -gt 0 ]; do
	case $1 in
	--jobs) JOBS=${2:?--jobs needs a value}; shift ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done

SRC=$("$TOP/tests/vm/fetch-kernel-source.sh") || die "fetching the kernel source failed"
KVER=$(make -s -C "$SRC" kernelversion 2>/dev/null) || die "cannot read the kernel version"
FRAG=$(mktemp "${TMPDIR:-/tmp}/perf-kernel.XXXXXX.config")
trap 'rm -f "$FRAG"' EXIT
OFF="PROVE_LOCKING DEBUG_ATOMIC_SLEEP DEBUG_LIST FAILSLAB DETECT_HUNG_TASK DYNAMIC_DEBUG DEBUG_BUGVERBOSE"
{
	pat=$(echo "$OFF" | sed 's/ /|/g')
	grep -Ev "^(# )?CONFIG_($pat|DEFAULT_HUNG_TASK_TIMEOUT)[= ]" "$TOP/tests/vm/kernel.config"
	echo "## --- bench/build-perf-kernel.sh: no lock/list debugging ---"
	for o in $OFF; do echo "# CONFIG_$o is not set"; done
} >"$FRAG"
HASH=$(sha256sum "$FRAG" | cut -c1-12)
OUT=$CACHE/build-perf/$KVER-$HASH
kmake() { nice -n 10 make -C "$SRC" O="$OUT" ARCH=x86_64 "$@" >>"$OUT/build.log" 2>&1; }
# uapi headers in <builddir>/usr/include (the benchmarks compile against them)
headers() {
	[ -f "$OUT/usr/include/linux/iommufd.h" ] || kmake headers ||
		die "make headers failed (see $OUT/build.log)"
}
# Module.symvers (from modpost: "make modules") for nestiommu.ko, which
# bench-batch's SMMUv3 case loads
symvers() {
	[ -f "$OUT/Module.symvers" ] || kmake -j"$JOBS" modules_prepare modules ||
		die "make modules failed (see $OUT/build.log)"
}
if [ -f "$OUT/.built" ] && [ -f "$OUT/arch/x86/boot/bzImage" ]; then
	headers
	symvers
	say "cached: $OUT"
	echo "$OUT"
	exit 0
fi
mkdir -p "$CACHE/build-perf"
exec 9>"$CACHE/build-perf/$KVER-$HASH.lock"
flock 9
if [ -f "$OUT/.built" ] && [ -f "$OUT/arch/x86/boot/bzImage" ]; then
	headers
	symvers
	echo "$OUT"
	exit 0
fi
mkdir -p "$OUT"
cp "$FRAG" "$OUT/perf.config"
LOG=$OUT/build.log
: >"$LOG"
say "configuring $OUT (log $LOG)"
kmake tinyconfig || die "make tinyconfig failed (see $LOG)"
(cd "$OUT" && "$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT" "$OUT/.config" "$OUT/perf.config") >>"$LOG" 2>&1 ||
	die "merge_config.sh failed (see $LOG)"
kmake olddefconfig || die "make olddefconfig failed (see $LOG)"
for o in IOMMUFD_TEST INTEL_IOMMU VFIO_PCI; do
	grep -qx "CONFIG_$o=y" "$OUT/.config" || die "CONFIG_$o lost in the perf config"
done
for o in $OFF; do
	! grep -qx "CONFIG_$o=y" "$OUT/.config" || die "CONFIG_$o still enabled"
done
say "building bzImage (make -j$JOBS, nice 10; several minutes)"
start=$(date +%s)
kmake -j"$JOBS" bzImage || { tail -n 20 "$LOG" >&2; die "kernel build failed (see $LOG)"; }
headers
symvers
say "built in $(( $(date +%s) - start )) s"
date -u +%FT%TZ >"$OUT/.built"
echo "$OUT"
