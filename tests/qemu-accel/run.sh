#!/bin/bash
# The QEMU accel client tier, host side (what make check's VM tier calls):
# an unmodified QEMU 11.1 with `-device arm-smmuv3,accel=on` runs inside
# the arm64 tier's VM (booted with virtualization=on: TCG emulates EL2, the
# VM's kernel has KVM) over (a) the e1000e behind the VM's upstream
# arm-smmu-v3 and (b) a nestiommu.ko PCIe function, with guestfw.bin as
# the inner VM's -bios. tests/qemu-accel/vm-harness.sh (in the VM) answers
# the firmware's pauses after checking the iommufd objects QEMU made
# (iommufd-peek, nestctl -j smmu show) and checks that they are gone
# after QEMU exits or is killed.
#
# Usage: tests/qemu-accel/run.sh [--timeout S] [--keep] [--jobs N]
#                                [--kbuild DIR] [RUN...]
#   RUN        DEVICE:PROPS:END (see vm-harness.sh); default:
#              e1000e:explicit:exit e1000e:auto:kill, and, when
#              nestiommu.ko has PCIe functions (kernel/nestiommu_pci.c),
#              nestiommu:explicit:exit nestiommu:auto:kill; also
#              linux:explicit:exit (a full Linux guest, UEFI + ACPI)
#   --timeout S  hard limit of the VM run (default 3600: the four runs took
#              1475 s of VM time at a load of 12 to 15)
#   --keep     keep the work directory (tools, console log)
#   --jobs N   make jobs of a kernel build (default 2)
#   --kbuild DIR  an arm64 kernel build with KVM and modules instead of
#              tests/arm64/build-kernel.sh's
#   --kmod-src DIR  build nestiommu.ko from DIR instead of kernel/ (a
#              module under development)
#   --run-timeout S  limit of one QEMU run in the VM (default 900: a
#              guestfw run took up to 469 s; the full Linux guest needs more)
#
# Exit: 0 pass; 1 a check failed (or a build); 77 SKIP, naming the missing
# tool (install with scripts/install-deps-arm64.sh, as root); 124 the VM
# timed out; 125 testbed failure (kernel splat, no exit status, set-up).
# Environment: NESTIOMMU_QEMU_ACCEL=skip skips the tier (77, said);
# NESTIOMMU_CACHE; CROSS_COMPILE (default aarch64-linux-gnu-).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CACHE=${NESTIOMMU_CACHE:-/var/cache/nestiommu}
CROSS=${CROSS_COMPILE:-aarch64-linux-gnu-}
TIMEOUT=3600
KEEP=0
JOBS=2
KBUILD=""
KMOD_SRC=$TOP/kernel
RUN_TIMEOUT=900
RUNS=()
say() { echo "qemu-accel: $*" >&2; }

while [ $# -gt 0 ]; do
	case $1 in
	--timeout) TIMEOUT=${2:?--timeout needs seconds}; shift ;;
	--keep) KEEP=1 ;;
	--jobs) JOBS=${2:?--jobs needs N}; shift ;;
	--kbuild) KBUILD=${2:?--kbuild needs a directory}; shift ;;
	--kmod-src) KMOD_SRC=${2:?--kmod-src needs a directory}; shift ;;
	--run-timeout) RUN_TIMEOUT=${2:?--run-timeout needs seconds}; shift ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*:*:*) RUNS+=("$1") ;;
	*) say "unknown argument: $1 (see --help)"; exit 2 ;;
	esac
	shift
done

for v in "$TIMEOUT" "$RUN_TIMEOUT" "$JOBS"; do
	case $v in ''|*[!0-9]*) say "--timeout, --run-timeout and --jobs take a number, not '$v'"; exit 2 ;; esac
done

if [ "${NESTIOMMU_QEMU_ACCEL:-}" = skip ]; then
	echo "SKIP: QEMU accel client tier skipped (NESTIOMMU_QEMU_ACCEL=skip)" >&2
	exit 77
fi

# --- tools: a missing one is a SKIP with its name ---
skip() {
	echo "SKIP: QEMU accel client tier: $* (install with: scripts/install-deps-arm64.sh, as root)" >&2
	exit 77
}
command -v "${CROSS}gcc" >/dev/null || skip "no ${CROSS}gcc (gcc-aarch64-linux-gnu)"
"$HERE/../arm64/find-qemu.sh" >/dev/null 2>&1 || skip "no qemu-system-aarch64 >= 9.1 for the outer VM"
[ -f "${NESTIOMMU_BUSYBOX_ARM64:-$CACHE/busybox-arm64/current/bin/busybox}" ] || skip "no busybox-static:arm64"
SHIP=$CACHE/qemu-accel-arm64/current/ship
[ -x "$SHIP/usr/bin/qemu-system-aarch64" ] && [ -f "$SHIP/lib/ld-linux-aarch64.so.1" ] ||
	skip "no unpacked QEMU 11.1 for arm64 in $SHIP (scripts/install-qemu-accel.sh)"
[ -f "$CACHE/arm64-sysroot/current/.unpacked" ] || skip "no arm64 json-c/libnl for nestctl in $CACHE/arm64-sysroot"
for t in cpio gzip make readelf; do
	command -v "$t" >/dev/null || skip "no $t on the host"
done
QV=$(sed -n 's/^qemu-system-arm //p' "$SHIP/MANIFEST")

t_start=$(date +%s)
if [ -n "$KBUILD" ]; then
	BUILD=$KBUILD
else
	BUILD=$("$HERE/../arm64/build-kernel.sh" --jobs "$JOBS") || { say "FAIL: arm64 kernel build failed"; exit 1; }
fi
for o in CONFIG_KVM=y CONFIG_MODULES=y; do
	grep -qx "$o" "$BUILD/.config" || { say "FAIL: $BUILD was built without $o"; exit 1; }
done
t_kernel=$(date +%s)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/nestiommu-qemu-accel.XXXXXX")
cleanup() { [ "$KEEP" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT
"$HERE/build-tools.sh" "$BUILD" "$WORK/tools" "$KMOD_SRC" || { say "FAIL: building the VM's tools"; exit 1; }
t_tools=$(date +%s)

if [ ${#RUNS[@]} = 0 ]; then
	RUNS=(e1000e:explicit:exit e1000e:auto:kill)
	if [ -f "$KMOD_SRC/nestiommu_pci.c" ]; then
		RUNS+=(nestiommu:explicit:exit nestiommu:auto:kill)
	else
		say "nestiommu.ko has no PCIe functions in $KMOD_SRC (nestiommu_pci.c): only the e1000e runs"
	fi
fi
say "QEMU $QV (unpacked, $(du -sm "$SHIP" | cut -f1) MB shipped), runs: ${RUNS[*]}"

# the full Linux guest: the same Image, UEFI, an initramfs of its own
LINUX=()
case " ${RUNS[*]}" in
*" linux:"*)
	EFI=${NESTIOMMU_QEMU_EFI:-/usr/share/qemu-efi-aarch64/QEMU_EFI.fd}
	[ -f "$EFI" ] || skip "no $EFI (qemu-efi-aarch64) for the Linux guest"
	"$TOP/tests/vm/mkinitramfs.sh" --arch arm64 -o "$WORK/inner.cpio.gz" \
		--file "$HERE/linux-guest.sh:/etc/nestiommu/payload" || { say "FAIL: inner initramfs"; exit 1; }
	LINUX=(--file "$EFI:/opt/qa/QEMU_EFI.fd" --file "$BUILD/arch/arm64/boot/Image:/opt/qa/Image"
		--file "$WORK/inner.cpio.gz:/opt/qa/inner.cpio.gz") ;;
esac

set +e
# 75 MB of QEMU: a TCG kernel unpacks a plain cpio archive in about a
# second, gunzipping the same took about 30 s
NESTIOMMU_INITRAMFS_GZIP=0 "$TOP/tests/vm/run-vm.sh" --arch arm64 --virt --mem 2048 --timeout "$TIMEOUT" \
	--kernel "$BUILD/arch/arm64/boot/Image" --log "$WORK/console.log" \
	--dir "$SHIP:/opt/qemu" \
	--file "$WORK/tools/guestfw.bin:/opt/qa/guestfw.bin" \
	--file "$WORK/tools/libnestiommu-record.so:/opt/qa/libnestiommu-record.so" \
	--file "$WORK/tools/nestiommu.ko:/lib/nestiommu.ko" \
	--prog "$WORK/tools/nestctl" --prog "$WORK/tools/iommufd-peek" --prog "$WORK/tools/cmdq-bench" \
	--prog "$HERE/vm-harness.sh:/usr/local/bin/qa-harness.sh" "${LINUX[@]}" \
	-- env QA_RUN_TIMEOUT="$RUN_TIMEOUT" qa-harness.sh "${RUNS[@]}" \
	2> >(tee "$WORK/run-vm.err" >&2) | tee "$WORK/payload.out"
rc=${PIPESTATUS[0]}
set -e
wait
t_vm=$(date +%s)

boot=$(sed -n 's/.*boot to userspace: \([0-9.]*\) s wall.*/\1/p' "$WORK/run-vm.err" | head -n1)
ok=$(grep -c '^ok ' "$WORK/payload.out" || true)
nok=$(grep -c '^not ok ' "$WORK/payload.out" || true)
say "times: kernel $((t_kernel - t_start)) s (0 when cached), tools $((t_tools - t_kernel)) s, VM $((t_vm - t_tools)) s (boot to userspace ${boot:-?} s), total $((t_vm - t_start)) s"
grep '^# \[.*\] QEMU ran' "$WORK/payload.out" | sed 's/^# /qemu-accel: /' >&2 || true
case $rc in
0) say "PASS: $ok checks (${RUNS[*]})" ;;
124|125) say "FAIL: testbed ($rc)"; KEEP=1; say "kept $WORK"; exit "$rc" ;;
*) say "FAIL: $nok of $((ok + nok)) checks failed (status $rc)"; grep '^not ok' "$WORK/payload.out" >&2 || true
   KEEP=1; say "kept $WORK"; exit 1 ;;
esac
