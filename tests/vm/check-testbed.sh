#!/bin/bash
# Check the testbed itself: that run-vm.sh returns the payload's status,
# sets up /dev/iommu and the vfio cdev, carries dynamic programs, and turns
# a kernel splat, a panic and a hang into failures instead of passing or
# hanging. Takes about a minute (one case waits for a 20 s timeout).
#
# Usage: tests/vm/check-testbed.sh
set -euo pipefail

case ${1:-} in
-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
'') ;;
*) echo "check-testbed: unknown argument: $1" >&2; exit 2 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
RUN="$HERE/run-vm.sh"
fails=0
n=0

# check NAME EXPECTED_STATUS [run-vm.sh args...]
check() {
	local name=$1 want=$2 got out
	shift 2
	n=$((n + 1))
	set +e
	out=$("$RUN" "$@" 2>&1)
	got=$?
	set -e
	if [ "$got" = "$want" ]; then
		echo "ok $n - $name (status $got)"
	else
		echo "not ok $n - $name: status $got, expected $want"
		printf '%s\n' "$out" | tail -n 40 | sed 's/^/# /'
		fails=$((fails + 1))
	fi
}

echo "TAP version 13"
echo "1..8"
check "payload exit status is returned" 3 -- sh -c 'exit 3'
check "/dev/iommu and the vfio-pci cdev exist" 0 -- \
	sh -c 'test -c /dev/iommu && test -c "$NESTIOMMU_VFIO_CDEV" &&
	       test "$(basename "$(readlink /sys/bus/pci/devices/$NESTIOMMU_VFIO_BDF/driver)")" = vfio-pci'
check "hugetlbfs and debugfs are mounted" 0 --append hugepages=4 -- \
	sh -c 'grep -q " /dev/hugepages hugetlbfs" /proc/mounts &&
	       grep -q " /sys/kernel/debug debugfs" /proc/mounts &&
	       test "$(cat /proc/sys/vm/nr_hugepages)" = 4'
check "a dynamically linked program runs (--prog)" 0 --prog /usr/bin/id -- id -u
check "a kernel WARNING fails the run" 125 -- \
	sh -c 'echo "<4>WARNING: possible testbed check" >/dev/kmsg'
check "--allow-warn lets a known warning pass" 0 --allow-warn 'testbed check' -- \
	sh -c 'echo "<4>WARNING: possible testbed check" >/dev/kmsg'
check "a kernel panic fails the run" 125 --append rdinit=/bin/false -- true
check "a hang hits the timeout" 124 --timeout 20 -- sleep 1000
if [ "$fails" = 0 ]; then
	echo "# testbed checks: all $n passed"
else
	echo "# testbed checks: $fails of $n failed"
	exit 1
fi
