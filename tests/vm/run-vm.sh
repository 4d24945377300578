#!/bin/bash
# Boot the testbed VM, run one payload command in it, return its status.
# One script for both tiers: x86_64 (intel-iommu, the default) and arm64
# (upstream arm-smmu-v3 nested backend; tests/arm64/run-vm.sh is
# tests/vm/run-vm.sh --arch arm64).
#
# Usage: tests/vm/run-vm.sh [--arch x86_64|arm64] [--timeout S] [--mem MB]
#            [--smp N] [--append 'KERNEL ARGS'] [--kernel IMAGE] [--log FILE]
#            [--allow-warn ERE] [--no-vfio] [--virt] [--keep]
#            [--prog HOSTPATH[:VMPATH]]... [--file HOSTPATH:VMPATH]...
#            [--dir HOSTDIR:VMDIR]... -- COMMAND [ARG]...
#
#   --arch A       x86_64 (default) or arm64: selects QEMU, machine, console,
#                  kernel build (build-kernel.sh --arch) and initramfs
#                  (mkinitramfs.sh --arch); see QEMU below
#   --timeout S    hard limit for the whole boot+payload+poweroff (default
#                  300); on expiry QEMU is killed and the run fails (124)
#   --mem MB       guest RAM (default 1024), --smp N CPUs (default 2)
#   --append ARGS  extra kernel command line (e.g. hugepages=64)
#   --kernel PATH  x86_64: bzImage (default: $NESTIOMMU_KERNEL if set, else
#                  the cached build of tests/vm/build-kernel.sh); arm64:
#                  Image (default: build-kernel.sh --arch arm64, cached;
#                  $NESTIOMMU_KERNEL is not used, it names an x86 kernel)
#   --log FILE     keep the full console log there (default: a temp file,
#                  deleted on success, kept and printed on failure)
#   --allow-warn ERE  a kernel warning line matching this extended regex is
#                  not a failure (repeatable; e.g. a documented, benign WARN)
#   --no-vfio      do not bind the e1000e to vfio-pci (nestiommu.vfio=0)
#   --virt         arm64 only: -M virt,...,virtualization=on, TCG emulates
#                  EL2, the kernel starts at EL2 and /dev/kvm works in the
#                  VM (for the QEMU accel client, tests/qemu-accel)
#   --prog/--file/--dir  added to the initramfs, see mkinitramfs.sh
#                  (arm64: programs must be static arm64 ELF)
#   COMMAND        run in the VM by /bin/sh from /, stdin /dev/null; PATH
#                  has /usr/local/bin (where --prog puts programs). The
#                  environment has NESTIOMMU_VFIO_BDF, NESTIOMMU_VFIO_CDEV.
#
# QEMU: qemu-system-x86_64 -accel tcg -M q35,kernel-irqchip=split
#       -device intel-iommu,intremap=on,caching-mode=on -device e1000e
#       -nographic -no-reboot, kernel command line console=ttyS0 panic=-1
#       intel_iommu=on no_timer_check loglevel=6.
# arm64: qemu-system-aarch64 -accel tcg -M virt,iommu=smmuv3,gic-version=3
#       -cpu max,pauth-impdef=on -global arm-smmuv3.stage=nested
#       -device e1000e,romfile= -nographic -no-reboot, kernel command line
#       console=ttyAMA0 panic=-1 (no firmware: QEMU loads the Image itself).
#       The QEMU binary: tests/arm64/find-qemu.sh ($NESTIOMMU_QEMU_AARCH64,
#       else the one unpacked by scripts/install-deps-arm64.sh under
#       /var/cache/nestiommu/qemu-arm/current, else qemu-system-aarch64 in
#       PATH if it is 9.1 or later). pauth-impdef=on: QEMU's own (fast)
#       pointer authentication instead of the architected QARMA, which
#       dominates TCG time otherwise. Messages are prefixed run-vm-arm64:.
#
# Protocol: the VM's init (tests/vm/init, both arches) prints NESTIOMMU-INIT (first
# userspace line), NESTIOMMU-SETUP..., NESTIOMMU-PAYLOAD-BEGIN, the payload's
# output, NESTIOMMU-PAYLOAD-END, NESTIOMMU-LOCKDEP debug_locks=<n>,
# NESTIOMMU-EXIT <n>, then powers off (on arm64 without the LOCKDEP line, so
# there is no lockdep check there). This
# script streams the payload's output (and kernel messages printed meanwhile)
# to stdout, progress to stderr, and exits with:
#   n    the payload's exit status, if the kernel stayed clean
#   124  timeout (hang)
#   125  testbed failure: no NESTIOMMU-EXIT (panic, init died), set-up
#        error, usage error, or a kernel splat (Oops, BUG:, WARNING:,
#        lockdep report, Kernel panic, ...; or lockdep switched itself off
#        during the run) even if the payload passed
# On any failure the whole console log is printed to stderr.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ARCH=x86_64
ME=run-vm
say() { echo "$ME: $*" >&2; }
die() { echo "$ME: error: $*" >&2; exit 125; }

TIMEOUT=300
MEM=1024
SMP=2
APPEND=""
KERNEL=""
KERNEL_SET=0
LOG=""
KEEP=0
VFIO=1
VIRT=0
ALLOW=()
MKARGS=()

while [ $# -gt 0 ]; do
	case $1 in
	--timeout) TIMEOUT=${2:?--timeout needs seconds}; shift ;;
	--mem) MEM=${2:?--mem needs MB}; shift ;;
	--smp) SMP=${2:?--smp needs N}; shift ;;
	--append) APPEND="$APPEND ${2?--append needs args}"; shift ;;
	--arch) ARCH=${2:?--arch needs x86_64 or arm64}; shift
		if [ "$ARCH" = arm64 ]; then ME=run-vm-arm64; else ME=run-vm; fi ;;
	--kernel) KERNEL=${2:?--kernel needs a path}; KERNEL_SET=1; shift ;;
	--log) LOG=${2:?--log needs a path}; shift ;;
	--allow-warn) ALLOW+=("${2:?--allow-warn needs a regex}"); shift ;;
	--no-vfio) VFIO=0 ;;
	--virt) VIRT=1 ;;
	--keep) KEEP=1 ;;
	--prog|--file|--dir) MKARGS+=("$1" "${2:?$1 needs an argument}"); shift ;;
	--) shift; break ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
	shift
done
[ $# -gt 0 ] || die "no payload command (usage: run-vm.sh [options] -- COMMAND...)"
case $TIMEOUT in ''|*[!0-9]*) die "--timeout must be whole seconds" ;; esac

# what differs between the tiers: QEMU, machine, console, kernel image
case $ARCH in
x86_64)
	command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not installed"
	[ "$KERNEL_SET" = 1 ] || KERNEL=${NESTIOMMU_KERNEL:-}
	IMAGE=arch/x86/boot/bzImage
	# no_timer_check: under TCG on a loaded host the IO-APIC timer check can
	# miss its ticks and, with interrupt remapping, panics ("timer doesn't work
	# through Interrupt-remapped IO-APIC"); KVM guests skip that check too.
	CMDLINE="console=ttyS0 panic=-1 intel_iommu=on no_timer_check loglevel=6 printk.time=1"
	# shellcheck disable=SC2054 # the commas are QEMU option syntax
	QEMU=(qemu-system-x86_64 -accel tcg
		-M q35,kernel-irqchip=split
		-device intel-iommu,intremap=on,caching-mode=on)
	CPU=max
	;;
arm64)
	QEMU_BIN=$("$HERE/../arm64/find-qemu.sh") || die "no usable qemu-system-aarch64 (run scripts/install-deps-arm64.sh)"
	IMAGE=arch/arm64/boot/Image
	CMDLINE="console=ttyAMA0 panic=-1 loglevel=6 printk.time=1"
	# romfile= (below): no option ROM (no firmware runs; and the extracted
	# QEMU has no data directory of its own). No module is loaded by this
	# command line.
	# shellcheck disable=SC2054 # the commas are QEMU option syntax
	MACHINE=virt,iommu=smmuv3,gic-version=3
	[ "$VIRT" = 0 ] || MACHINE=$MACHINE,virtualization=on
	QEMU=("$QEMU_BIN" -accel tcg
		-M "$MACHINE"
		-global arm-smmuv3.stage=nested)
	CPU=max,pauth-impdef=on
	;;
*) die "--arch must be x86_64 or arm64, not '$ARCH'" ;;
esac
[ "$VIRT" = 0 ] || [ "$ARCH" = arm64 ] || die "--virt needs --arch arm64 (x86 has no nested virtualization under TCG)"
if [ -z "$KERNEL" ]; then
	BUILD=$("$HERE/build-kernel.sh" --arch "$ARCH") || die "kernel build failed"
	KERNEL=$BUILD/$IMAGE
fi
[ -f "$KERNEL" ] || die "no kernel image $KERNEL"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/nestiommu-vm.XXXXXX")
cleanup() { [ "$KEEP" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT
[ -n "$LOG" ] || LOG=$WORK/console.log
: >"$LOG"

# the payload: the command, each argument single-quoted for /bin/sh
{
	echo '#!/bin/sh'
	printf 'exec'
	for a in "$@"; do
		printf " '%s'" "$(printf '%s' "$a" | sed "s/'/'\\\\''/g")"
	done
	echo
} >"$WORK/payload"

"$HERE/mkinitramfs.sh" --arch "$ARCH" -o "$WORK/initramfs.cpio.gz" "${MKARGS[@]}" \
	--file "$WORK/payload:/etc/nestiommu/payload" || die "mkinitramfs failed"

[ "$VFIO" = 1 ] || CMDLINE="$CMDLINE nestiommu.vfio=0"
CMDLINE="$CMDLINE$APPEND"

# shellcheck disable=SC2054 # the commas are QEMU option syntax
QEMU+=(-nic none -device e1000e,romfile=
	-cpu "$CPU" -m "$MEM" -smp "$SMP"
	-nographic -no-reboot
	-kernel "$KERNEL" -initrd "$WORK/initramfs.cpio.gz"
	-append "$CMDLINE")

say "booting $(basename "$KERNEL") (timeout ${TIMEOUT}s): $*"
t0=$EPOCHREALTIME
boot_s=""
in_payload=0
# kill -9 after a grace period if QEMU ignores SIGTERM; </dev/null: no monitor input
set +e
{ timeout -k 5 "$TIMEOUT" "${QEMU[@]}" </dev/null 2>&1; echo "NESTIOMMU-HOST-QEMU-STATUS $?"; } |
	tee -a "$LOG" | {
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		NESTIOMMU-HOST-QEMU-STATUS*) echo "$line" >"$WORK/qemu-status"; continue ;;
		NESTIOMMU-INIT*)
			boot_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}')
			say "boot to userspace: ${boot_s} s wall (guest ${line#*uptime=} s)"
			echo "$boot_s ${line#*uptime=}" >"$WORK/boot-time" ;;
		NESTIOMMU-SETUP\ lockdep_debug_locks=*) echo "${line#*debug_locks=}" >"$WORK/lockdep-start" ;;&
		NESTIOMMU-SETUP-ERROR*) say "${line#NESTIOMMU-}"; echo "$line" >"$WORK/setup-error" ;;
		NESTIOMMU-SETUP*) say "${line#NESTIOMMU-}" ;;
		NESTIOMMU-PAYLOAD-BEGIN*) in_payload=1 ;;
		NESTIOMMU-PAYLOAD-END*) in_payload=0 ;;
		NESTIOMMU-EXIT*) echo "${line#NESTIOMMU-EXIT }" >"$WORK/exit" ;;
		NESTIOMMU-LOCKDEP*) echo "${line#*debug_locks=}" >"$WORK/lockdep-end" ;;
		*) [ "$in_payload" = 1 ] && printf '%s\n' "$line" ;;
		esac
	done
	}
set -e
t1=$EPOCHREALTIME
total=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
qstatus=$(cut -d' ' -f2 "$WORK/qemu-status" 2>/dev/null || echo unknown)

fail() {
	echo "$ME: ===== console log ($LOG) =====" >&2
	tr -d '\r' <"$LOG" >&2
	echo "$ME: ===== end of console log =====" >&2
	say "FAILED: $1 (after ${total} s)"
	if [ "$KEEP" = 0 ] && [ "$LOG" = "$WORK/console.log" ]; then
		KEEP=1
		say "kept console log and initramfs in $WORK"
	fi
	exit "$2"
}

if [ "$qstatus" = 124 ] || [ "$qstatus" = 137 ]; then
	fail "timeout: the VM did not finish within ${TIMEOUT} s (hang?)" 124
fi

# kernel splats: any of these is a failure, unless allowed by --allow-warn
SPLATS='Kernel panic|Oops|BUG:|WARNING:|general protection fault|INFO: task .* blocked|INFO: rcu_.* stall|possible recursive locking|circular locking dependency|inconsistent lock state|suspicious RCU usage|UBSAN:|kernel BUG at'
# only kernel lines count (printk.time=1 stamps them; a kernel line may start
# mid-line after unterminated payload output), so a payload that prints
# "WARNING:" or "BUG:" itself is not mistaken for a splat. The arm64 tier
# keeps its original, stricter match of any console line.
if [ "$ARCH" = arm64 ]; then
	splat=$(tr -d '\r' <"$LOG" | grep -E "$SPLATS" | grep -v '^run-vm' || true)
else
	splat=$(tr -d '\r' <"$LOG" | grep -E "\[ *[0-9]+\.[0-9]{6}\] .*($SPLATS)" || true)
fi
for re in "${ALLOW[@]+"${ALLOW[@]}"}"; do
	[ -n "$splat" ] || break
	splat=$(printf '%s\n' "$splat" | grep -Ev -- "$re" || true)
done

if [ -f "$WORK/setup-error" ]; then
	fail "VM set-up: $(cut -d' ' -f2- "$WORK/setup-error")" 125
fi
if [ ! -f "$WORK/exit" ]; then
	fail "no NESTIOMMU-EXIT from the VM (kernel panic or init died; QEMU status $qstatus)" 125
fi
rc=$(cat "$WORK/exit")
case $rc in ''|*[!0-9]*) fail "garbled exit line: '$rc'" 125 ;; esac
if [ "$(cat "$WORK/lockdep-start" 2>/dev/null)" = 1 ] &&
   [ "$(cat "$WORK/lockdep-end" 2>/dev/null)" = 0 ]; then
	splat="${splat:+$splat
}lockdep turned itself off during the run (debug_locks 1 -> 0): it reported a problem"
fi
if [ -n "$splat" ]; then
	printf '%s: kernel splat: %s\n' "$ME" "$splat" | head -n 20 >&2
	fail "kernel splat in the console log (payload exit status $rc)" 125
fi
say "payload exit status $rc, ${total} s total (boot $(cut -d' ' -f1 "$WORK/boot-time" 2>/dev/null || echo '?') s)"
exit "$rc"
