#!/bin/sh
# The differential half on x86: run the same conformance table
# (tests/arm64/conform.c) against nestiommu.ko in the x86 testbed VM and
# compare its verdicts with those of the upstream arm-smmu-v3 driver
# (tests/arm64/conform.expected, recorded on the arm64 tier).
#
# Usage: tests/arm64/diff-x86.sh [--timeout S] [--keep] [--out FILE]
#                                [--expected FILE] [CASE-PREFIX...]
#
#   Builds conform for x86_64 against the x86 testbed kernel's uapi headers
#   (tests/vm/build-kernel.sh, cached) and nestiommu.ko from a copy of
#   kernel/ (the module's own tree is not written to), boots
#   tests/vm/run-vm.sh once: insmod nestiommu.ko instances=1 devices=1
#   ats=A ssidsize=S, NESTIOMMU_VFIO_CDEV = the module's first endpoint's
#   VFIO cdev, conform. Then tests/arm64/compare.sh prints every case whose
#   verdict differs, both verdicts and the upstream source that decides it.
#
#   The module presents the upstream run's SMMU: A and S are read from the
#   hw_info.features line of the expected verdicts (QEMU's SMMU: ats=0
#   ssidsize=0), so the verdicts gated on IDR0.ATS and IDR1.SSIDSIZE are
#   compared on equal features. A feature of that line that the module
#   cannot present (asid16, ril, ds, fwb, s1p, s2p) is named before the
#   run; the cases gated on it then differ.
#   --out FILE       keep nestiommu.ko's verdicts there
#   --expected FILE  the upstream verdicts (default tests/arm64/conform.expected)
#   CASE-PREFIX      run only these cases (the comparison then covers them only)
#
# Exit: 0 identical, 1 verdicts differ, 2 a build failed, 124/125 the VM
# timed out or failed (see tests/vm/run-vm.sh).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
TIMEOUT=600
KEEP=0
OUTFILE=""
EXP=$HERE/conform.expected
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) TIMEOUT=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--out) OUTFILE=$2; shift 2 ;;
	--expected) EXP=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) break ;;
	esac
done

say() { echo "diff-x86: $*" >&2; }
[ -f "$EXP" ] || { say "no expected verdicts $EXP"; exit 2; }

# --- the features of the upstream run's SMMU, presented by the module ---
# "hw_info.features TAB type=2 s1p=1 s2p=1 ats=0 ssidsize=0 asid16=1 ..."
FEATURES=$(awk -F '\t' '$1 == "hw_info.features" { print $2; exit }' "$EXP")
[ -n "$FEATURES" ] || { say "no hw_info.features line in $EXP"; exit 2; }
feature() { printf '%s\n' "$FEATURES" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n1; }
ATS=$(feature ats)
SSIDSIZE=$(feature ssidsize)
case $ATS in 0|1) ;; *) say "hw_info.features: ats='$ATS' is not 0 or 1"; exit 2 ;; esac
case $SSIDSIZE in [0-9]|1[0-9]|20) ;; *) say "hw_info.features: ssidsize='$SSIDSIZE' is not 0-20"; exit 2 ;; esac
# what nestiommu.ko always reports (kernel/nestiommu_main.c, nio_smmu_init_regs())
for fixed in type=2 s1p=1 s2p=1 asid16=1 ril=1 ds=0 fwb=0; do
	want=$(feature "${fixed%%=*}")
	[ "$want" = "${fixed#*=}" ] ||
		say "note: upstream's SMMU has ${fixed%%=*}=$want, nestiommu.ko always $fixed: the cases gated on it will differ"
done
MODPARAMS="instances=1 devices=1 ats=$ATS ssidsize=$SSIDSIZE"
say "nestiommu.ko $MODPARAMS (the features of $(basename "$EXP"): $FEATURES)"

# everything here is built for the x86 testbed: a CROSS_COMPILE or ARCH
# meant for the arm64 tier (tests/arm64/run.sh) must not reach Kbuild
unset CROSS_COMPILE ARCH
KBUILD=$("$TOP/tests/vm/build-kernel.sh") || { say "x86 kernel build failed"; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nestiommu-diff-x86.XXXXXX")
[ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT

# the module, from a private copy of kernel/ (its sources, not what a build
# left there, e.g. a generated nestiommu.mod.c)
mkdir -p "$WORK/kmod"
for f in "$TOP"/kernel/*.c "$TOP"/kernel/*.h "$TOP"/kernel/Kbuild; do
	case $f in *.mod.c) continue ;; esac
	cp "$f" "$WORK/kmod/"
done
[ -f "$WORK/kmod/Kbuild" ] || { say "no kernel/Kbuild"; exit 2; }
make -s -C "$KBUILD" M="$WORK/kmod" -j2 modules >"$WORK/kmod.log" 2>&1 ||
	{ tail -n 30 "$WORK/kmod.log" >&2; say "building nestiommu.ko failed"; exit 2; }

gcc -static -O2 -g -Wall -Wextra -Werror -I"$KBUILD/usr/include" \
	-o "$WORK/conform" "$HERE/conform.c" || { say "building conform failed"; exit 2; }

{
echo '#!/bin/sh'
echo "MODPARAMS='$MODPARAMS'"
cat <<'EOF'
dmesg -n 5 2>/dev/null
# shellcheck disable=SC2086
insmod /lib/nestiommu.ko $MODPARAMS || { echo "insmod nestiommu.ko $MODPARAMS failed"; exit 2; }
cdev=""
for c in /sys/bus/platform/devices/nestiommu-ep*/vfio-dev/vfio*; do
	[ -e "$c" ] && { cdev=/dev/vfio/devices/${c##*/}; break; }
done
[ -n "$cdev" ] || { echo "no VFIO cdev of a nestiommu endpoint"; ls /sys/bus/platform/devices; exit 2; }
echo "# nestiommu.ko endpoint cdev $cdev"
NESTIOMMU_VFIO_CDEV=$cdev conform "$@" >/tmp/conform.out 2>&1
rc=$?
sed 's/^/conform| /' /tmp/conform.out
exit $rc
EOF
} >"$WORK/payload.sh"

set +e
"$TOP/tests/vm/run-vm.sh" --timeout "$TIMEOUT" --kernel "$KBUILD/arch/x86/boot/bzImage" \
	--file "$WORK/kmod/nestiommu.ko:/lib/nestiommu.ko" \
	--prog "$WORK/conform" --file "$WORK/payload.sh:/usr/local/bin/conform-payload.sh" \
	-- sh /usr/local/bin/conform-payload.sh "$@" >"$WORK/payload.out"
rc=$?
set -e
grep -v '^conform| ' "$WORK/payload.out" || true
case $rc in 124|125) say "the VM failed ($rc)"; exit "$rc" ;; esac
sed -n 's/^conform| //p' "$WORK/payload.out" >"$WORK/nestiommu.out"
[ -z "$OUTFILE" ] || cp "$WORK/nestiommu.out" "$OUTFILE"
if [ $# -gt 0 ]; then
	# only the selected cases
	pat=$(printf '%s\n' "$@" | sed 's/[.]/\\./g; s/^/^/' | paste -sd'|' -)
	grep -E "$pat" "$EXP" >"$WORK/expected.sel" || true
	EXP=$WORK/expected.sel
fi
"$HERE/compare.sh" --label-a "upstream arm-smmu-v3" --label-b "nestiommu.ko" "$EXP" "$WORK/nestiommu.out"
