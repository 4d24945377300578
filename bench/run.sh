#!/bin/bash
# Build the libnestiommu benchmarks and run them in the testbed VM.
#
# Usage: bench/run.sh [--builddir DIR] [--no-build] [--kernel perf|test|BUILDDIR]
#            [--quick] [--timeout S] [--mem MB] [--keep] [--only NAMES]
#
#   --builddir DIR  build tree with lib/.libs (default: $NESTIOMMU_BUILDDIR,
#                   else the first configured tree of: source tree, ., ..)
#   --no-build      use lib/.libs as it is (default: make -C DIR/lib first)
#   --kernel K      perf (default): the testbed kernel without lock/list
#                   debugging (bench/build-perf-kernel.sh, cached);
#                   test: the test tier's kernel (tests/vm/build-kernel.sh,
#                   with lockdep: every spinlock costs several times more);
#                   or a kernel build directory (bzImage + usr/include)
#   --quick         fewer rounds and 256 MiB instead of 1 GiB (a smoke run)
#   --timeout S     VM time limit (default 900), --mem MB guest RAM
#                   (default 4096: bench-map holds 3 GiB)
#   --keep          keep the work directory
#   --only NAMES    run only these (comma-separated: overhead, batch, map,
#                   events; default all)
#
# Runs in one boot: bench-overhead (library vs raw ioctls: IOAS map/unmap
# and invalidation loops, target ratio <= 1.03), bench-batch (64 invalidation
# commands as one array call vs one ioctl each, commands/s, target >= 10x),
# bench-map (1 GiB map of user memory vs map_file of a memfd, s/GiB) and
# bench-events (vEVENTQ records/s, nio_veventq_read_buf + nio_vevent_next vs
# a raw read() loop on the same queue, target ratio <= 1.05).
# Each variant pair is measured side by side in one process, interleaved
# over rounds, medians reported.  Prints every result and a PASS/FAIL line
# per target; exit status 0 if all targets pass, 1 if one fails, 2 on a
# build error, 125 if the VM failed.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$HERE/.." && pwd)
# the build tree: $NESTIOMMU_BUILDDIR, else the first configured one of the
# source tree, the current directory and its parent (make check runs in
# <builddir>/tests, also for VPATH builds and distcheck)
BUILDDIR=${NESTIOMMU_BUILDDIR:-}
if [ -z "$BUILDDIR" ]; then
	for d in "$SRCDIR" "$PWD" "$PWD/.."; do
		if [ -f "$d/lib/Makefile" ] || [ -f "$d/lib/.libs/libnestiommu.so" ]; then
			BUILDDIR=$(cd "$d" && pwd)
			break
		fi
	done
	BUILDDIR=${BUILDDIR:-$SRCDIR}
fi
BUILD=1
KERNEL=perf
QUICK=0
TIMEOUT=900
MEM=4096
KEEP=0
ONLY="overhead batch map events"
CC=${CC:-gcc}

say() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit "${2:-2}"; }

while [ $# -gt 0 ]; do
	case $1 in
	--builddir) BUILDDIR=$(cd "${2:?--builddir needs a directory}" && pwd) || exit 2; shift ;;
	--no-build) BUILD=0 ;;
	--kernel) KERNEL=${2:?--kernel needs perf, test or a directory}; shift ;;
	--quick) QUICK=1 ;;
	--timeout) TIMEOUT=${2:?--timeout needs seconds}; shift ;;
	--mem) MEM=${2:?--mem needs MB}; shift ;;
	--keep) KEEP=1 ;;
	--only) ONLY=$(echo "${2:?--only needs names}" | tr ',' ' '); shift ;;
	-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
	shift
done

for p in $ONLY; do
	case $p in overhead|batch|map|events) ;; *) die "--only: unknown benchmark $p" ;; esac
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/nestiommu-bench.XXXXXX")
cleanup() { [ "$KEEP" = 1 ] && say "kept $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT

LIBDIR=$BUILDDIR/lib/.libs
if [ "$BUILD" = 1 ] && [ -f "$BUILDDIR/lib/Makefile" ]; then
	say "building the library (make -C $BUILDDIR/lib)"
	make -s -C "$BUILDDIR/lib" >"$WORK/make.log" 2>&1 ||
		{ tail -n 30 "$WORK/make.log" >&2; die "library build failed"; }
fi
[ -f "$LIBDIR/libnestiommu.so" ] || die "no $LIBDIR/libnestiommu.so"

case $KERNEL in
perf) KB=$("$HERE/build-perf-kernel.sh") || die "bench/build-perf-kernel.sh failed" ;;
test) KB=$("$SRCDIR/tests/vm/build-kernel.sh") || die "tests/vm/build-kernel.sh failed" ;;
*) KB=$(cd "$KERNEL" && pwd) || die "no kernel build directory $KERNEL" ;;
esac
[ -f "$KB/arch/x86/boot/bzImage" ] || die "no $KB/arch/x86/boot/bzImage"
KHDR=$KB/usr/include
[ -f "$KHDR/linux/iommufd.h" ] || die "no uapi headers in $KHDR"
KSRC=$("$SRCDIR/tests/vm/fetch-kernel-source.sh") || die "no kernel source"
TESTH=$KSRC/drivers/iommu/iommufd
[ -f "$TESTH/iommufd_test.h" ] || die "no $TESTH/iommufd_test.h"

say "compiling librawcall.so (bench-overhead's control)"
"$CC" -std=gnu11 -Wall -Wextra -Werror -O2 -g -fPIC -shared -I"$KHDR" \
	"$HERE/rawcall.c" -o "$WORK/librawcall.so" >"$WORK/cc.log" 2>&1 ||
	{ cat "$WORK/cc.log" >&2; die "compiling librawcall.so failed"; }
for p in $ONLY; do
	extra=()
	[ "$p" = overhead ] && extra=(-L"$WORK" -lrawcall -Wl,-rpath,"$WORK")
	say "compiling bench-$p"
	"$CC" -std=gnu11 -Wall -Wextra -Werror -O2 -g \
		-I"$SRCDIR/include" -I"$KHDR" -I"$TESTH" -I"$HERE" \
		"$HERE/bench-$p.c" -o "$WORK/bench-$p" \
		-L"$LIBDIR" -lnestiommu -Wl,-rpath,"$LIBDIR" "${extra[@]}" >"$WORK/cc.log" 2>&1 ||
		{ cat "$WORK/cc.log" >&2; die "compiling bench-$p failed"; }
done

# bench-batch's realistic case runs on nestiommu.ko: built for this kernel
# in a copy of kernel/ (the test tier builds kernel/ for its own kernel).
files=()
case " $ONLY " in
*" batch "*)
	say "building nestiommu.ko for $(basename "$KB")"
	mkdir -p "$WORK/kmod"
	cp "$SRCDIR"/kernel/*.c "$SRCDIR"/kernel/*.h "$SRCDIR"/kernel/Kbuild "$WORK/kmod/"
	(unset MAKEFLAGS MFLAGS MAKELEVEL ARCH CROSS_COMPILE
	 make -s -C "$KB" M="$WORK/kmod" -j2 modules) >"$WORK/kmod.log" 2>&1 ||
		{ tail -n 30 "$WORK/kmod.log" >&2; die "building nestiommu.ko failed"; }
	files+=(--file "$WORK/kmod/nestiommu.ko:/lib/nestiommu.ko")
	;;
esac

if [ "$QUICK" = 1 ]; then
	args_o="11 100" args_b="9 10" args_m="2 256" args_e="9 256"
else
	args_o="41 200" args_b="31 20" args_m="5 1024" args_e="31 512"
fi
say "kernel: $KB ($KERNEL)"
progs=()
script="export LD_LIBRARY_PATH=/usr/local/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH};
	echo \"kernel: \$(uname -r), \$(nproc) CPUs, \$(awk '/MemTotal/{print \$2}' /proc/meminfo) kB\";"
for p in $ONLY; do
	progs+=(--prog "$WORK/bench-$p")
	case $p in
	overhead) run="bench-overhead $args_o" ;;
	batch) run="insmod /lib/nestiommu.ko || echo 'FAIL insmod nestiommu.ko'; bench-batch $args_b smmuv3" ;;
	map) run="bench-map $args_m" ;;
	events) run="bench-events $args_e" ;;
	esac
	script="$script
	$run; echo \"=== status bench-$p \$?\";"
done
say "booting the VM (--mem $MEM) for: $ONLY"
"$SRCDIR/tests/vm/run-vm.sh" --kernel "$KB/arch/x86/boot/bzImage" \
	--mem "$MEM" --timeout "$TIMEOUT" "${progs[@]}" \
	--file "$LIBDIR/libnestiommu.so.1:/usr/local/lib/libnestiommu.so.1" \
	--file "$WORK/librawcall.so:/usr/local/lib/librawcall.so" \
	"${files[@]}" \
	-- sh -c "$script" \
	2>"$WORK/vm.err" | tee "$WORK/vm.out"
vm_rc=${PIPESTATUS[0]}
grep -E '^run-vm:' "$WORK/vm.err" | grep -v 'console log' | tail -n 3 >&2

echo
echo "==== benchmark summary (kernel: $KERNEL, $(basename "$KB"))"
grep -E '^(PASS|FAIL|INFO) ' "$WORK/vm.out"
bad=0
for p in $ONLY; do
	st=$(sed -n "s/^=== status bench-$p \([0-9]*\)\$/\1/p" "$WORK/vm.out")
	case $st in
	0) ;;
	1) bad=1 ;; # its FAIL line is above
	'') echo "FAIL bench-$p did not finish"; bad=1 ;;
	*) echo "FAIL bench-$p exited with status $st"; bad=1 ;;
	esac
done
if [ "$vm_rc" -ge 124 ]; then
	cat "$WORK/vm.err" >&2
	die "the VM failed (run-vm.sh status $vm_rc)" 125
fi
exit "$bad"
