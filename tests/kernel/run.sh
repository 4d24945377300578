#!/bin/bash
# The VM tier of the libnestiommu tests: build, then run every suite.
#
# Usage: tests/kernel/run.sh [--builddir DIR] [--no-build] [--host-only]
#            [--kbuild DIR] [--timeout S] [--keep] [--filter WORD] [-v]
#
#   --builddir DIR  the configured build tree whose lib/.libs holds the
#                   library (default: $NESTIOMMU_BUILDDIR, else the first
#                   configured tree of: the source tree, ., ..);
#                   `make check` (tests/vm-tier.sh) runs it without
#                   arguments from <builddir>/tests
#   --no-build      use lib/.libs as it is (default: `make -C DIR/lib` first,
#                   a no-op when the library is up to date)
#   --host-only     only the host-side suite (test-uapi); no VM
#   --kbuild DIR    a testbed kernel build directory (bzImage, usr/include)
#                   instead of tests/vm/build-kernel.sh's (which builds it
#                   when the cache is cold: about 6 minutes)
#   --timeout S     limit for the VM boot + suites (default 600)
#   --keep          keep the work directory (programs, console log)
#   --filter WORD   test-mock runs only the tests whose name contains WORD
#   -v              test-uapi lists every compared item
#
# Steps: build the library if needed; compile test-uapi, test-mock and
# test-pci with -std=gnu11 -Wall -Wextra -Werror against include/ and the
# built library; run test-uapi on the host (it needs only the testbed
# kernel's installed headers); boot the testbed VM once
# (tests/vm/run-vm.sh) running test-mock (iommufd selftest mock) and
# test-pci (the e1000e behind the emulated VT-d, bound to vfio-pci).
# Every suite prints TAP and a "# Totals:" line; the summary at the end
# repeats each suite's totals.  Exit status: 0 all passed, 1 a test
# failed, 2 a build failure, 77 (automake SKIP) when test-uapi passed but
# there is no qemu-system-x86_64 for the VM suites, 125 the testbed failed
# (kernel panic, kernel splat, hang).
#
# Environment: NESTIOMMU_BUILDDIR (as --builddir), NESTIOMMU_CACHE /
# NESTIOMMU_KVER (see tests/vm/build-kernel.sh), CC (default gcc).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$HERE/../.." && pwd)
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
HOST_ONLY=0
TIMEOUT=600
KEEP=0
FILTER=""
VERBOSE=""
KBUILD=""
CC=${CC:-gcc}
CFLAGS_TEST=(-std=gnu11 -Wall -Wextra -Werror -O2 -g)

say() { echo "run: $*" >&2; }
die() { echo "run: error: $*" >&2; exit "${2:-2}"; }

while [ $# -gt 0 ]; do
	case $1 in
	--builddir) BUILDDIR=$(cd "${2:?--builddir needs a directory}" && pwd) || exit 2; shift ;;
	--no-build) BUILD=0 ;;
	--host-only) HOST_ONLY=1 ;;
	--kbuild) KBUILD=$(cd "${2:?--kbuild needs a directory}" && pwd) || exit 2; shift ;;
	--timeout) TIMEOUT=${2:?--timeout needs seconds}; shift ;;
	--keep) KEEP=1 ;;
	--filter) FILTER=${2:?--filter needs a word}; shift ;;
	-v) VERBOSE=-v ;;
	-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
	shift
done

t_start=$EPOCHREALTIME
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nestiommu-ktest.XXXXXX")
cleanup() { [ "$KEEP" = 1 ] && say "kept $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT

# --- the library ---
LIBDIR=$BUILDDIR/lib/.libs
if [ "$BUILD" = 1 ] && [ -f "$BUILDDIR/lib/Makefile" ]; then
	say "building the library (make -C $BUILDDIR/lib)"
	make -s -C "$BUILDDIR/lib" >"$WORK/make.log" 2>&1 ||
		{ tail -n 30 "$WORK/make.log" >&2; die "library build failed"; }
fi
[ -f "$LIBDIR/libnestiommu.so" ] || die "no $LIBDIR/libnestiommu.so (configure and build first, or pass --builddir)"

# --- the testbed kernel: its uapi headers, and the source for iommufd_test.h ---
if [ -z "$KBUILD" ]; then
	KBUILD=$("$SRCDIR/tests/vm/build-kernel.sh") || die "tests/vm/build-kernel.sh failed" 125
fi
[ -f "$KBUILD/arch/x86/boot/bzImage" ] || die "no $KBUILD/arch/x86/boot/bzImage"
KHDR=$KBUILD/usr/include
[ -f "$KHDR/linux/iommufd.h" ] || die "no $KHDR/linux/iommufd.h"
KSRC=$(readlink -f "$KBUILD/source" 2>/dev/null || true)
if [ -z "$KSRC" ] || [ ! -f "$KSRC/drivers/iommu/iommufd/iommufd_test.h" ]; then
	KSRC=$("$SRCDIR/tests/vm/fetch-kernel-source.sh" 2>/dev/null) || KSRC=""
fi
TESTH=$KSRC/drivers/iommu/iommufd
[ -f "$TESTH/iommufd_test.h" ] || die "no iommufd_test.h in the kernel source ($KSRC)"

# --- compile ---
NO_QEMU=0
if [ "$HOST_ONLY" = 0 ] && ! command -v qemu-system-x86_64 >/dev/null; then
	say "SKIP the VM suites: qemu-system-x86_64 is not installed"
	NO_QEMU=1
	HOST_ONLY=1
fi
compile() { # OUT SRC... [-- EXTRA FLAGS]
	local out=$1; shift
	say "compiling $(basename "$out")"
	if ! "$CC" "${CFLAGS_TEST[@]}" "$@" -o "$WORK/$out" >"$WORK/$out.log" 2>&1; then
		cat "$WORK/$out.log" >&2
		die "compiling $out failed"
	fi
}
LIBFLAGS=(-I"$SRCDIR/include" -L"$LIBDIR" -lnestiommu -Wl,-rpath,"$LIBDIR" -pthread)
# test-uapi-kernel.c must see the kernel's headers before lib/: compile the
# two units separately so that neither sees the other's include path
compile_uapi() {
	"$CC" "${CFLAGS_TEST[@]}" -I"$SRCDIR/lib" -I"$HERE" -c "$HERE/test-uapi.c" -o "$WORK/tu-lib.o" &&
	"$CC" "${CFLAGS_TEST[@]}" -I"$KHDR" -DHAVE_IOMMUFD_TEST_H -I"$TESTH" -I"$HERE" \
		-c "$HERE/test-uapi-kernel.c" -o "$WORK/tu-kernel.o" &&
	"$CC" "$WORK/tu-lib.o" "$WORK/tu-kernel.o" -o "$WORK/test-uapi"
}
compile_uapi >"$WORK/test-uapi.log" 2>&1 || { cat "$WORK/test-uapi.log" >&2; die "compiling test-uapi failed"; }
if [ "$HOST_ONLY" = 0 ]; then
	compile test-mock "$HERE/test-mock.c" -I"$HERE" -I"$KHDR" -I"$TESTH" "${LIBFLAGS[@]}"
	compile test-pci "$HERE/test-pci.c" -I"$HERE" -I"$KHDR" "${LIBFLAGS[@]}"
fi

# --- suites ---
declare -A TOTALS STATUS
ORDER=()
record() { # NAME STATUS OUTPUT-FILE
	local t
	ORDER+=("$1")
	STATUS[$1]=$2
	t=$(grep -E '^# Totals:' "$3" | tail -n 1)
	TOTALS[$1]=${t:-"# Totals: (none: the suite did not finish)"}
}

say "test-uapi (host): lib/uapi.h vs $KHDR"
{
	"$WORK/test-uapi" $VERBOSE
	echo "# uapi-list.h covers every member:"
	"$HERE/uapi-fields.sh" "$HERE/uapi-list.h" 1 "$SRCDIR/lib/uapi.h" \
		"$KHDR/linux/iommufd.h" "$KHDR/linux/vfio.h" | sed 's/^/# /'
} >"$WORK/uapi.out" 2>&1
rc=${PIPESTATUS[0]}
cat "$WORK/uapi.out"
# the coverage check is part of the suite: fold it into the status
if grep -q '^# not ok' "$WORK/uapi.out"; then rc=1; fi
record test-uapi "$rc" "$WORK/uapi.out"

vm_rc=0
if [ "$HOST_ONLY" = 0 ]; then
	say "booting the testbed VM once for test-mock and test-pci"
	# each suite's output between markers, its status after it
	# the library also at /usr/local/lib: the VM's init mounts a tmpfs on
	# /tmp, hiding a build tree (rpath) that lives under /tmp on the host
	payload='export LD_LIBRARY_PATH=/usr/local/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	for s in test-mock test-pci; do
		echo "=== suite $s"
		if [ "$s" = test-mock ]; then "$s" $NESTIOMMU_FILTER; else "$s"; fi
		echo "=== status $s $?"
	done'
	"$SRCDIR/tests/vm/run-vm.sh" --timeout "$TIMEOUT" \
		--kernel "$KBUILD/arch/x86/boot/bzImage" \
		--prog "$WORK/test-mock" --prog "$WORK/test-pci" \
		--file "$LIBDIR/libnestiommu.so.1:/usr/local/lib/libnestiommu.so.1" \
		-- env NESTIOMMU_FILTER="$FILTER" sh -c "$payload" \
		2>"$WORK/vm.err" | tee "$WORK/vm.out"
	vm_rc=${PIPESTATUS[0]}
	grep -E '^run-vm:' "$WORK/vm.err" | grep -v 'console log' | tail -n 5 >&2
	for s in test-mock test-pci; do
		awk -v s="$s" '$0 == "=== suite " s { on = 1; next }
			on && /^=== status / { exit } on' "$WORK/vm.out" >"$WORK/$s.out"
		st=$(sed -n "s/^=== status $s \([0-9]*\)\$/\1/p" "$WORK/vm.out")
		record "$s" "${st:-125}" "$WORK/$s.out"
	done
	if [ "$vm_rc" -ge 124 ]; then
		cat "$WORK/vm.err" >&2
		say "the testbed VM failed (status $vm_rc)"
	fi
fi

# --- summary ---
fail=0
echo
echo "==== VM tier summary ($(awk -v a="$t_start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.0f", b-a}') s)"
for s in "${ORDER[@]}"; do
	st=${STATUS[$s]}
	[ "$st" = 0 ] || fail=1
	printf '%-10s %-4s %s\n' "$s" "$([ "$st" = 0 ] && echo PASS || echo FAIL)" "${TOTALS[$s]}"
done
if [ "$vm_rc" -ge 124 ]; then
	echo "testbed    FAIL run-vm.sh status $vm_rc (timeout, panic or kernel splat)"
	exit 125
fi
[ "$NO_QEMU" = 1 ] && [ "$fail" = 0 ] && exit 77
exit "$fail"
