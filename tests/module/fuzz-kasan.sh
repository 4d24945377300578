#!/bin/sh
# nestiommu.ko on the sanitizer kernel: the testbed kernel's KASAN/UBSAN
# variant (tests/vm/build-kernel.sh --variant kasan, cached; it keeps the
# testbed's lockdep and atomic-sleep debugging), nestiommu.ko built
# against it, and in one VM: nio_fuzz, the seeded random-operation
# exerciser of the module's uAPI (iommufd, VFIO cdev, generic netlink),
# then nio_stress (the same calls from six threads at once) and rmmod
# racing writes to the remove_endpoints parameter.  Any KASAN, UBSAN,
# lockdep, WARNING or BUG report in the kernel log fails the run
# (tests/vm/run-vm.sh), as does a test failure or a module that does not
# unload.
#
# Usage: tests/module/fuzz-kasan.sh
# Environment:
#   NIO_FUZZ_SEED     the seed (default: from the clock; printed, with the
#                     command that repeats the run)
#   NIO_FUZZ_OPS      stop after this many operations (default: no limit)
#   NIO_FUZZ_SECONDS  time budget of nio_fuzz in the VM (default 90)
#   NIO_FUZZ_KBUILD   another testbed kernel build dir (e.g. the plain
#                     one, to tell a sanitizer finding from a test bug)
#   NESTIOMMU_CACHE   as tests/vm/build-kernel.sh
#   NESTIOMMU_KASAN=skip  skip (exit 77, saying so), e.g. on a machine that
#                     cannot afford the variant's first build
# Exit: 0 pass, 1 a test failed or a splat, 124 VM timeout, 125 testbed
# failure (run-vm.sh's codes), 2 a build failure.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SEED=${NIO_FUZZ_SEED:-$(date +%s)}
OPS=${NIO_FUZZ_OPS:-0}
SECS=${NIO_FUZZ_SECONDS:-90}
say() { echo "fuzz-kasan: $*" >&2; }
if [ "${NESTIOMMU_KASAN:-}" = skip ]; then
	echo "SKIP: the sanitizer-kernel suite skipped (NESTIOMMU_KASAN=skip)" >&2
	exit 77
fi

t0=$(date +%s)
if [ -n "${NIO_FUZZ_KBUILD:-}" ]; then
	KB=$NIO_FUZZ_KBUILD
	say "kernel $KB (NIO_FUZZ_KBUILD), not the sanitizer variant"
else
	KB=$("$TOP/tests/vm/build-kernel.sh" --variant kasan) ||
		{ say "FAIL: the KASAN kernel build failed"; exit 2; }
	grep -qx CONFIG_KASAN=y "$KB/.config" && grep -qx CONFIG_UBSAN=y "$KB/.config" &&
		grep -qx CONFIG_PROVE_LOCKING=y "$KB/.config" ||
		{ say "FAIL: $KB is not the sanitizer kernel"; exit 2; }
fi
t1=$(date +%s)

work=$(mktemp -d "${TMPDIR:-/tmp}/nestiommu-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
# the module from a copy of kernel/: its objects in the source tree stay
# those of the plain testbed kernel (tests/module/run.sh)
mkdir -p "$work/ko"
cp "$TOP"/kernel/Kbuild "$TOP"/kernel/*.c "$TOP"/kernel/*.h "$work/ko/"
say "building nestiommu.ko against $KB"
make -s -C "$KB" M="$work/ko" -j2 modules >"$work/ko.log" 2>&1 ||
	{ cat "$work/ko.log" >&2; say "FAIL: nestiommu.ko does not build"; exit 2; }
make -s -C "$TOP/tests/module" -f Makefile.nio KBUILD="$KB" O="$work/bin" \
	"$work/bin/nio_fuzz" "$work/bin/nio_stress" "$work/bin/nio_ctl" \
	>"$work/bin.log" 2>&1 ||
	{ cat "$work/bin.log" >&2; say "FAIL: the test programs do not build"; exit 2; }
t2=$(date +%s)

cat >"$work/payload.sh" <<EOF
#!/bin/sh
KO=/lib/nestiommu.ko
rc=0
echo "# kernel \$(uname -r)"
insmod \$KO instances=2 devices=4 || { echo "Bail out! insmod"; exit 2; }
echo "# === nio_fuzz -s $SEED -n $OPS -t $SECS"
nio_fuzz -s $SEED -n $OPS -t $SECS || rc=1
echo "# === nio_stress 5"
nio_stress 5 || rc=1
nio_ctl remove || { echo "not ok - nio_ctl remove"; rc=1; }
rmmod nestiommu || { echo "not ok - rmmod"; rc=1; }
echo "# === rmmod while the remove_endpoints parameter is written (x5)"
P=/sys/module/nestiommu/parameters/remove_endpoints
i=0
while [ \$i -lt 5 ]; do
	insmod \$KO || { echo "not ok - insmod \$i"; rc=1; break; }
	nio_ctl remove || { echo "not ok - remove \$i"; rc=1; }
	(while [ -e \$P ]; do echo 1 2>/dev/null > \$P; done) &
	rmmod nestiommu || { echo "not ok - rmmod \$i"; rc=1; wait; break; }
	wait
	i=\$((i + 1))
done
[ -e /sys/module/nestiommu ] && { echo "not ok - still loaded"; rc=1; }
echo "# fuzz-kasan payload rc=\$rc"
exit \$rc
EOF

limit=""
[ "$OPS" = 0 ] || limit=" (at most $OPS operations)"
say "seed $SEED, ${SECS} s of nio_fuzz$limit on $(basename "$KB")"
rc=0
# no5lvl: with QEMU's -cpu max the kernel would use 5-level paging, and
# this KASAN kernel then reports a wild-memory-access in
# rcu_is_watching() from the first interrupt during early boot, before
# any module (seen on 7.3.4 under TCG)
"$TOP/tests/vm/run-vm.sh" --timeout "${NIO_VM_TIMEOUT:-1200}" --mem 1536 \
	--append no5lvl \
	--kernel "$KB/arch/x86/boot/bzImage" \
	--file "$work/ko/nestiommu.ko:/lib/nestiommu.ko" \
	--prog "$work/bin/nio_fuzz" --prog "$work/bin/nio_stress" \
	--prog "$work/bin/nio_ctl" \
	--file "$work/payload.sh:/usr/local/bin/fuzz-payload.sh" \
	-- sh /usr/local/bin/fuzz-payload.sh || rc=$?
t3=$(date +%s)
say "times: kernel $((t1 - t0)) s (0 when cached; cold build $(cat "$KB/.build-seconds" 2>/dev/null || echo ?) s), module and programs $((t2 - t1)) s, VM $((t3 - t2)) s"
if [ "$rc" = 0 ]; then
	say "PASS: seed $SEED, no KASAN/UBSAN/lockdep/WARNING/BUG report"
else
	say "FAIL (exit $rc): repeat with NIO_FUZZ_SEED=$SEED and the operation count above (NIO_FUZZ_OPS)"
fi
exit "$rc"
