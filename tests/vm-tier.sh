#!/bin/sh
# make check's VM tier: everything that needs a real iommufd kernel runs in
# the testbed VM (tests/vm).  Each suite prints its own totals.
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

status=0
run_suite() {
	name=$1
	shift
	echo "=== VM suite: $name"
	start=$(date +%s)
	if "$@"; then
		echo "=== VM suite $name: PASS ($(($(date +%s) - start)) s)"
	else
		echo "=== VM suite $name: FAIL ($(($(date +%s) - start)) s)"
		status=1
	fi
}

run_suite kselftest-iommufd "$top_srcdir/tests/vm/kselftest.sh"
exit $status
