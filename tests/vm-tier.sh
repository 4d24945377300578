#!/bin/sh
# make check's VM tier: everything that needs a real iommufd kernel runs in
# the testbed VM (tests/vm).  Each suite prints its own totals; at the end
# a summary block ("==== VM tier: every suite" ... "==== VM tier:
# end") gives each suite's status, wall time, TAP ok/not-ok counts and
# its "Totals:"/"passed, failed" lines, which scripts/test.sh copies from
# this test's log into the output CI prints.
# NESTIOMMU_VM=skip skips the tier (exit 77) with a message, never silently.
set -eu
srcdir=${srcdir:-$(dirname "$0")}
top_srcdir=$(cd "$srcdir/.." && pwd)

if [ "${NESTIOMMU_VM:-}" = skip ]; then
	echo "SKIP: VM tier skipped (NESTIOMMU_VM=skip): it ran in this build's own make check" >&2
	exit 77
fi
for tool in qemu-system-x86_64 busybox cpio; do
	if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x /bin/busybox ]; then
		echo "FAIL: $tool is missing: run scripts/install-deps.sh" >&2
		exit 1
	fi
done

# The suites run their own builds (kernel, module): not as part of this
# make's job server and directory printing.
unset MAKEFLAGS MFLAGS MAKELEVEL

status=0
tier_start=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/nestiommu-vmtier.XXXXXX")
trap 'rm -rf "$work"' EXIT
summary=$work/summary
: >"$summary"
run_suite() {
	name=$1
	shift
	echo "=== VM suite: $name"
	start=$(date +%s)
	# the suite's output (both streams) into a file for the summary,
	# streamed to the log as it comes; no pipe, so a process the suite
	# leaves behind with its stdout cannot hold the tier
	: >"$work/out"
	"$@" >"$work/out" 2>&1 &
	pid=$!
	tail -n +1 -f --pid="$pid" "$work/out"
	rc=0
	wait "$pid" || rc=$?
	took=$(($(date +%s) - start))
	case $rc in
	0) verdict=PASS; echo "=== VM suite $name: PASS ($took s)" ;;
	77) verdict=SKIP; echo "=== VM suite $name: SKIP ($took s, see its message above)" ;;
	*) verdict="FAIL (exit $rc)"; echo "=== VM suite $name: FAIL, exit $rc ($took s)"; status=1 ;;
	esac
	# TAP results (the arm64 guest's own lines carry "guest| ")
	ok=$(grep -cE '^(guest\| )?ok [0-9]' "$work/out" || true)
	nok=$(grep -cE '^(guest\| )?not ok [0-9]' "$work/out" || true)
	{
		printf '%-24s %s, %s s, TAP: %s ok, %s not ok\n' "$name" "$verdict" "$took" "$ok" "$nok"
		# the programs' own counts: kselftest-style Totals (a suite's
		# labelled summary lines when it prints them, else the raw
		# ones), "N passed, M failed", "N checks", "N cases compared",
		# "N operations"
		if grep -qE '^[^#[:space:]][^:]*:? .*# Totals:|^[^#[:space:]].*PASS # Totals:' "$work/out"; then
			grep -E '^[^#[:space:]][^:]*:? .*# Totals:|^[^#[:space:]].*PASS # Totals:' "$work/out"
		else
			grep -E '^# Totals:' "$work/out" || true
		fi
		grep -E '[0-9]+ passed, [0-9]+ failed|[0-9]+ of [0-9]+ checks failed|[0-9]+ cases compared|: PASS: [0-9]+ checks|operations ran|(fail|failed)=[0-9]+$' "$work/out" || true
	} | sed 's/^/  /; 1s/^  //' >>"$summary"
}

# A cold cache builds the testbed kernel first (about 6 minutes).
"$top_srcdir/tests/vm/build-kernel.sh" >/dev/null

run_suite kselftest-iommufd "$top_srcdir/tests/vm/kselftest.sh"
run_suite libnestiommu "$top_srcdir/tests/kernel/run.sh"
run_suite nestiommu.ko "$top_srcdir/tests/module/run.sh"
run_suite nestctl-mock "$top_srcdir/tests/cli/vm-mock-session-vm.sh"
run_suite nestctl-audit "$top_srcdir/tests/cli/audit-vm.sh"
run_suite nested-session "$top_srcdir/tests/nested-session-vm.sh"
run_suite guest-layout "$top_srcdir/tests/cli/vm-guest-layout-vm.sh"
# nestctl smmu inject against a VMM kept by nestctl apply ... keep
run_suite nestctl-inject "$top_srcdir/tests/inject/inject-session-vm.sh"
run_suite record-replay "$top_srcdir/tests/record/record-vm.sh"
run_suite arm64-upstream-smmuv3 "$top_srcdir/tests/arm64/run.sh"
# QEMU 11.1's accel SMMUv3 (KVM inside the arm64 VM) over the e1000e behind
# upstream arm-smmu-v3 and over a nestiommu.ko PCIe function;
# NESTIOMMU_QEMU_ACCEL=skip skips it
run_suite qemu-accel-smmuv3 "$top_srcdir/tests/qemu-accel/run.sh"
# last: nestiommu.ko's uAPI fuzzed (nio_fuzz, seeded) on the
# KASAN/UBSAN/lockdep variant of the testbed kernel, which a cold cache
# builds here (once; cached like the others); NIO_FUZZ_SEED repeats a run
run_suite nestiommu.ko-sanitizers "$top_srcdir/tests/module/fuzz-kasan.sh"

echo "==== VM tier: every suite ($(($(date +%s) - tier_start)) s)"
cat "$summary"
echo "==== VM tier: end"
exit $status
