#!/bin/sh
# The differential half on x86: run the same conformance table
# (tests/arm64/conform.c) against nestiommu.ko in the x86 testbed VM and
# compare its verdicts with those of the upstream arm-smmu-v3 driver
# (tests/arm64/conform.expected, recorded on the arm64 tier).
#
# Usage: tests/arm64/diff-x86.sh [--timeout S] [--keep] [--out FILE] [CASE-PREFIX...]
#
#   Builds conform for x86_64 against the x86 testbed kernel's uapi headers
#   (tests/vm/build-kernel.sh, cached) and nestiommu.ko from a copy of
#   kernel/ (the module's own tree is not written to), boots
#   tests/vm/run-vm.sh once: insmod nestiommu.ko instances=1 devices=1,
#   NESTIOMMU_VFIO_CDEV = the module's first endpoint's VFIO cdev, conform.
#   Then tests/arm64/compare.sh prints every case whose verdict differs,
#   both verdicts and the upstream source that decides it.
#   --out FILE   keep nestiommu.ko's verdicts there
#   CASE-PREFIX  run only these cases (the comparison then covers them only)
#
# Exit: 0 identical, 1 verdicts differ, 2 a build failed, 124/125 the VM
# timed out or failed (see tests/vm/run-vm.sh).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
TIMEOUT=600
KEEP=0
OUTFILE=""
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) TIMEOUT=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--out) OUTFILE=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) break ;;
	esac
done

say() { echo "diff-x86: $*" >&2; }
KBUILD=$("$TOP/tests/vm/build-kernel.sh") || { say "x86 kernel build failed"; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nestiommu-diff-x86.XXXXXX")
[ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT

# the module, from a private copy of kernel/
mkdir -p "$WORK/kmod"
cp "$TOP"/kernel/*.c "$TOP"/kernel/*.h "$TOP"/kernel/Kbuild "$WORK/kmod/" 2>/dev/null
[ -f "$WORK/kmod/Kbuild" ] || { say "no kernel/Kbuild"; exit 2; }
make -s -C "$KBUILD" M="$WORK/kmod" -j2 modules >"$WORK/kmod.log" 2>&1 ||
	{ tail -n 30 "$WORK/kmod.log" >&2; say "building nestiommu.ko failed"; exit 2; }

gcc -static -O2 -g -Wall -Wextra -Werror -I"$KBUILD/usr/include" \
	-o "$WORK/conform" "$HERE/conform.c" || { say "building conform failed"; exit 2; }

cat >"$WORK/payload.sh" <<'EOF'
#!/bin/sh
dmesg -n 5 2>/dev/null
insmod /lib/nestiommu.ko instances=1 devices=1 || { echo "insmod failed"; exit 2; }
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
EXP=$HERE/conform.expected
if [ $# -gt 0 ]; then
	# only the selected cases
	pat=$(printf '%s\n' "$@" | sed 's/[.]/\\./g; s/^/^/' | paste -sd'|' -)
	grep -E "$pat" "$EXP" >"$WORK/expected.sel" || true
	EXP=$WORK/expected.sel
fi
"$HERE/compare.sh" --label-a "upstream arm-smmu-v3" --label-b "nestiommu.ko" "$EXP" "$WORK/nestiommu.out"
