#!/bin/bash
# The arm64 tier, host side: what `make check` calls. Builds what is needed
# (cached arm64 kernel, static arm64 test programs), boots one
# qemu-system-aarch64 VM with the upstream arm-smmu-v3 nested backend, runs
# the suites there, and compares the conformance verdicts with
# tests/arm64/conform.expected. With the conform suite it then runs the
# differential half: tests/arm64/diff-x86.sh runs the same table against
# nestiommu.ko in the x86 testbed VM and any verdict that differs from
# the upstream driver's fails the tier (the case, both verdicts and the
# upstream source line are printed).
#
# Usage: tests/arm64/run.sh [--timeout S] [--record] [--keep] [--jobs N]
#                           [--no-diff] [smoke] [dma] [conform] [lib]
#
#   SUITE      smoke (nested-smoke: the nested path step by step), dma
#              (nested-dma: the e1000e's DMA through stage 2, a C_BAD_CD
#              vEVENT with the vSID, stage 1 + 2), conform (the differential
#              table), lib (the library's own test programs that apply,
#              cross-compiled statically); default: smoke dma conform lib
#   --timeout S  hard limit of the VM run (default 600)
#   --record   write the conformance verdicts of this run to
#              tests/arm64/conform.expected instead of comparing
#   --keep     keep the work directory (programs, console log)
#   --jobs N   make jobs of a kernel build (default 2)
#   --kbuild DIR  use this arm64 kernel build directory (an Image and
#              usr/include) instead of tests/arm64/build-kernel.sh's
#   --no-diff  do not run the differential half against nestiommu.ko
#              (said in the output; it runs by default with conform)
#
# The differential half needs only the x86 testbed (tests/vm; its kernel is
# built if not cached, as make check's VM tier does first), so it also runs
# when the arm64 tools are missing: nestiommu.ko is then held to the
# recorded verdicts, and the exit is 1 if it differs, else 77 (SKIP of the
# arm64 half, with its message).
#
# Exit: 0 pass; 1 a suite failed, a verdict differs from conform.expected,
# or nestiommu.ko's verdicts differ from upstream's; 77 SKIP: a tool is
# missing (the message says which, and how to install it); 124 VM timeout;
# 125 testbed failure (no exit status from the VM, kernel splat, set-up).
# Environment: NESTIOMMU_ARM64=skip skips the tier (exit 77, with a message);
# NESTIOMMU_CACHE (default /var/cache/nestiommu); CROSS_COMPILE
# (default aarch64-linux-gnu-); NESTIOMMU_QEMU_AARCH64 (a QEMU >= 9.1).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CROSS=${CROSS_COMPILE:-aarch64-linux-gnu-}
CACHE=${NESTIOMMU_CACHE:-/var/cache/nestiommu}
TIMEOUT=600
RECORD=0
KEEP=0
JOBS=2
SUITES=()
KBUILD=""
DIFF=1

say() { echo "arm64-tier: $*" >&2; }

while [ $# -gt 0 ]; do
	case $1 in
	--timeout) TIMEOUT=${2:?--timeout needs seconds}; shift ;;
	--record) RECORD=1 ;;
	--keep) KEEP=1 ;;
	--jobs) JOBS=${2:?--jobs needs N}; shift ;;
	--kbuild) KBUILD=${2:?--kbuild needs a directory}; shift ;;
	--no-diff) DIFF=0 ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	smoke|dma|conform|lib) SUITES+=("$1") ;;
	*) echo "arm64-tier: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[ ${#SUITES[@]} -gt 0 ] || SUITES=(smoke dma conform lib)

if [ "${NESTIOMMU_ARM64:-}" = skip ]; then
	echo "SKIP: arm64 tier skipped (NESTIOMMU_ARM64=skip)" >&2
	exit 77
fi

# --- the differential half: the table against nestiommu.ko (x86 testbed) ---
want_diff() {
	[ "$DIFF" = 1 ] || return 1
	local s
	for s in "${SUITES[@]}"; do
		[ "$s" = conform ] && return 0
	done
	return 1
}
t_diff=0
diff_x86() {
	local rc=0 t0
	t0=$(date +%s)
	say "differential: the table against nestiommu.ko in the x86 testbed (tests/arm64/diff-x86.sh), compared with conform.expected"
	local args=(--timeout "$TIMEOUT")
	[ "$KEEP" = 1 ] && args+=(--keep)
	"$HERE/diff-x86.sh" "${args[@]}" || rc=$?
	t_diff=$(($(date +%s) - t0))
	case $rc in
	0) say "differential: nestiommu.ko's verdicts are identical to the upstream driver's ($t_diff s)"; return 0 ;;
	1) say "FAIL: differential: nestiommu.ko's verdicts differ from the upstream driver's (each DIFF above: case, both verdicts, upstream source)" ;;
	*) say "FAIL: differential: diff-x86.sh could not run (exit $rc: 2 a build failed, 124/125 the x86 VM)" ;;
	esac
	return 1
}
if [ "$DIFF" = 0 ]; then
	say "the differential half against nestiommu.ko is not run (--no-diff)"
fi

# --- tools: a missing one is a SKIP with its name, never a silent pass ---
MISSING=""
QEMU_BIN=""
arm64_tools() {
	local tool
	command -v "${CROSS}gcc" >/dev/null || { MISSING="no ${CROSS}gcc (gcc-aarch64-linux-gnu)"; return; }
	echo 'int main(void){return 0;}' | "${CROSS}gcc" -static -x c -o /dev/null - 2>/dev/null \
		|| { MISSING="${CROSS}gcc cannot link static programs (libc6-dev-arm64-cross)"; return; }
	QEMU_BIN=$("$HERE/find-qemu.sh" 2>/dev/null) ||
		{ MISSING="no qemu-system-aarch64 >= 9.1 ($("$HERE/find-qemu.sh" 2>&1 >/dev/null | tail -n1))"; return; }
	BB=${NESTIOMMU_BUSYBOX_ARM64:-$CACHE/busybox-arm64/current/bin/busybox}
	[ -f "$BB" ] || { MISSING="no busybox-static:arm64 at $BB"; return; }
	for tool in cpio gzip make bc flex bison readelf; do
		command -v "$tool" >/dev/null || { MISSING="no $tool on the host"; return; }
	done
	[ -w "$CACHE" ] || [ -w "$(dirname "$CACHE")" ] || MISSING="the kernel cache $CACHE is not writable"
}
arm64_tools
if [ -n "$MISSING" ]; then
	msg="SKIP: arm64 tier: $MISSING (install with: scripts/install-deps-arm64.sh, as root)"
	if want_diff; then
		echo "$msg" >&2
		say "the upstream half cannot run; the differential half still holds nestiommu.ko to the recorded upstream verdicts"
		diff_x86 || { say "FAIL (differential)"; exit 1; }
	fi
	echo "$msg" >&2
	exit 77
fi
export NESTIOMMU_QEMU_AARCH64=$QEMU_BIN

t_start=$(date +%s)
if [ -n "$KBUILD" ]; then
	BUILD=$KBUILD
	[ -f "$BUILD/arch/arm64/boot/Image" ] || { say "FAIL: no $BUILD/arch/arm64/boot/Image"; exit 1; }
else
	BUILD=$("$HERE/build-kernel.sh" --jobs "$JOBS") || { say "FAIL: arm64 kernel build failed"; exit 1; }
fi
t_kernel=$(date +%s)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/nestiommu-arm64.XXXXXX")
cleanup() { [ "$KEEP" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT

# --- the test programs, static arm64, against the kernel's uapi headers ---
CFLAGS="-static -O2 -g -Wall -Wextra -Werror -I$BUILD/usr/include"
PROGS=()
for p in nested-smoke nested-dma conform; do
	"${CROSS}gcc" $CFLAGS -o "$WORK/$p" "$HERE/$p.c" || { say "FAIL: cross-compiling $p.c"; exit 1; }
	PROGS+=(--prog "$WORK/$p")
done
PROGS+=(--prog "$HERE/tier.sh:/usr/local/bin/arm64-tier.sh")

# the library's test programs, when asked for and when they build
for s in "${SUITES[@]}"; do
	[ "$s" = lib ] || continue
	if "$HERE/build-libtests.sh" "$BUILD" "$WORK/libtests" >"$WORK/libtests.log" 2>&1; then
		PROGS+=(--dir "$WORK/libtests:/usr/local/libtests")
	else
		say "lib suite: the library's test programs did not cross-build (log below); the suite reports it"
		sed 's/^/  /' "$WORK/libtests.log" >&2
		mkdir -p "$WORK/libtests-failed"
		printf '#!/bin/sh\necho "library test programs failed to cross-build on the host"\nexit 1\n' \
			>"$WORK/libtests-failed/cross-build"
		chmod +x "$WORK/libtests-failed/cross-build"
		PROGS+=(--dir "$WORK/libtests-failed:/usr/local/libtests")
	fi
done
t_progs=$(date +%s)

# --- the VM ---
set +e
"$HERE/run-vm.sh" --timeout "$TIMEOUT" --kernel "$BUILD/arch/arm64/boot/Image" \
	--log "$WORK/console.log" "${PROGS[@]}" -- arm64-tier.sh "${SUITES[@]}" \
	2> >(tee "$WORK/run-vm.err" >&2) | tee "$WORK/payload.out" | grep -v '^dmesg| '
vm_rc=${PIPESTATUS[0]}
set -e
wait
t_vm=$(date +%s)

status=$vm_rc
case $vm_rc in 124|125) say "FAIL: testbed failure ($vm_rc)"; [ "$KEEP" = 1 ] || KEEP=1; say "kept $WORK"; exit "$vm_rc" ;; esac

# --- conformance verdicts ---
for s in "${SUITES[@]}"; do
	[ "$s" = conform ] || continue
	sed -n 's/^conform| //p' "$WORK/payload.out" >"$WORK/conform.out"
	if [ "$RECORD" = 1 ]; then
		{
			echo "# conformance verdicts of the upstream arm-smmu-v3 nested backend"
			echo "# recorded by tests/arm64/run.sh --record on $(date -u +%F):"
			echo "# Linux $(basename "$BUILD") (arm64, smmuv3-canwbs.patch), $("$QEMU_BIN" --version | head -n1)"
			echo "# -M virt,iommu=smmuv3,gic-version=3 -global arm-smmuv3.stage=nested, e1000e on vfio-pci"
			echo "# format: case TAB verdict TAB # upstream reference; compare with tests/arm64/compare.sh"
			grep -v '^#' "$WORK/conform.out"
		} >"$HERE/conform.expected"
		say "recorded $(grep -vc '^#' "$WORK/conform.out") verdicts in tests/arm64/conform.expected"
	elif "$HERE/compare.sh" --label-a "conform.expected" --label-b "this run" \
			"$HERE/conform.expected" "$WORK/conform.out"; then
		:
	else
		status=1
	fi
done

# --- the differential half: nestiommu.ko must answer as upstream did ---
if want_diff; then
	diff_x86 || status=1
fi
t_end=$(date +%s)

boot=$(sed -n 's/.*boot to userspace: \([0-9.]*\) s wall.*/\1/p' "$WORK/run-vm.err" | head -n1)
say "times: kernel $((t_kernel - t_start)) s (0 when cached), programs $((t_progs - t_kernel)) s, VM $((t_vm - t_progs)) s (boot to userspace ${boot:-?} s), differential $t_diff s, total $((t_end - t_start)) s"
what="${SUITES[*]}"
want_diff && what="$what + differential vs nestiommu.ko"
if [ "$status" = 0 ]; then
	say "PASS ($what)"
else
	say "FAIL ($what): status $status"
fi
exit "$status"
