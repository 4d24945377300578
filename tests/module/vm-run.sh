#!/bin/sh
# Runs inside the testbed VM (busybox sh): load nestiommu.ko, run the
# module tests, remove the endpoints and unload, reload with pci_devices=2
# for nio_pci (PCIe functions through vfio-pci), reload with ats=1 for the
# ATS column of nio_viommu, then load/unload in a loop.
# Usage: vm-run.sh [TEST...]   (default: every nio_* test program)
set -u
KO=/lib/nestiommu.ko
rc=0

step() { echo "# === $*"; }
fail() { echo "not ok - $*"; rc=1; }
unload() {
	nio_ctl remove || fail "nio_ctl remove"
	rmmod nestiommu || fail "rmmod"
	[ -e /sys/module/nestiommu ] && fail "module still loaded"
}

TESTS=${*:-"nio_basic nio_viommu nio_nested nio_granule nio_vmm nio_inject nio_teardown nio_stress nio_bench nio_race nio_remove nio_pci nio_audit"}

step "insmod instances=2"
insmod $KO instances=2 || { echo "Bail out! insmod failed"; exit 2; }
ls /dev/vfio/devices/
for t in $TESTS; do
	[ "$t" = nio_pci ] && continue	# needs pci_devices: below
	command -v "$t" >/dev/null || continue
	step "$t"
	$t || fail "$t"
done
nio_ctl instances
step "unload refused while endpoints exist"
rmmod nestiommu 2>/dev/null && fail "rmmod succeeded with endpoints"
step "remove endpoints, rmmod"
unload

case " $TESTS " in *" nio_pci "*)
	if command -v nio_pci >/dev/null; then
		step "insmod instances=2 pci_devices=2; nio_pci"
		insmod $KO instances=2 pci_devices=2 || fail "insmod pci_devices=2"
		nio_pci || fail "nio_pci"
		step "rmmod after nio_pci removed the functions"
		rmmod nestiommu || { fail "rmmod after nio_pci"; unload; }
		grep -l 0x11e5 /sys/bus/pci/devices/*/device 2>/dev/null &&
			fail "PCIe functions left behind"
		step "pci_devices=33 refused"
		insmod $KO pci_devices=33 2>/dev/null &&
			{ fail "insmod pci_devices=33 accepted"; unload; }
	fi
	;;
esac

if command -v nio_viommu >/dev/null; then
	step "insmod instances=2 ats=1; nio_viommu (ATS column)"
	insmod $KO instances=2 ats=1 || fail "insmod ats=1"
	NIO_ATS=1 nio_viommu || fail "nio_viommu ats=1"
	step "unload through the remove_endpoints parameter"
	echo 1 > /sys/module/nestiommu/parameters/remove_endpoints ||
		fail "remove_endpoints"
	ls /sys/bus/platform/devices | grep -q nestiommu-ep && fail "endpoints left"
	rmmod nestiommu || fail "rmmod after remove_endpoints"
fi

if command -v nio_basic >/dev/null; then
	step "ssidsize=21 refused; insmod ssidsize=0; nio_basic (IDR1.SSIDSIZE 0)"
	insmod $KO ssidsize=21 2>/dev/null && { fail "insmod ssidsize=21 accepted"; unload; }
	insmod $KO ssidsize=0 || fail "insmod ssidsize=0"
	NIO_SSIDSIZE=0 nio_basic || fail "nio_basic ssidsize=0"
	unload
fi

if command -v nio_granule >/dev/null; then
	step "granules= refused when bad; insmod granules=4k,64k; nio_granule"
	for bad in 8k "" 4k,,16k 4k,32k; do
		insmod $KO "granules=$bad" 2>/dev/null &&
			{ fail "insmod granules='$bad' accepted"; unload; }
	done
	insmod $KO granules=64K,4k || fail "insmod granules=64K,4k"
	[ "$(cat /sys/module/nestiommu/parameters/granules)" = "4k,64k" ] ||
		fail "granules parameter reads back as 4k,64k"
	NIO_GRANULES=4k,64k nio_granule || fail "nio_granule granules=4k,64k"
	unload
	insmod $KO granules=16k || fail "insmod granules=16k"
	NIO_GRANULES=16k nio_granule || fail "nio_granule granules=16k"
	unload
fi

case " $TESTS " in *" nio_audit "*)
	if command -v nio_audit >/dev/null && [ -f /lib/nestiommu-noaudit.ko ]; then
		step "invalidation audit benchmark: module built without it / audit off / on (5 rounds)"
		rm -f /tmp/audit-bench
		for r in 1 2 3 4 5; do
			insmod /lib/nestiommu-noaudit.ko || fail "insmod nestiommu-noaudit.ko"
			nio_audit bench-base /tmp/audit-bench >/tmp/audit-out 2>&1 ||
				{ cat /tmp/audit-out; fail "nio_audit bench-base (round $r)"; }
			unload
			insmod $KO || fail "insmod"
			nio_audit bench /tmp/audit-bench >/tmp/audit-out 2>&1 ||
				{ cat /tmp/audit-out; fail "nio_audit bench (round $r)"; }
			unload
		done
		cat /tmp/audit-bench
		nio_audit report /tmp/audit-bench || fail "nio_audit report"
	fi
	;;
esac

if command -v nio_lifetime >/dev/null; then
	step "nio_lifetime (module refs of domains and vIOMMUs)"
	insmod $KO || fail "insmod"
	nio_lifetime || fail "nio_lifetime"
	[ -e /sys/module/nestiommu ] && { fail "still loaded"; unload; }
fi

step "rmmod while the remove_endpoints parameter is written (x20)"
P=/sys/module/nestiommu/parameters/remove_endpoints
i=0
while [ $i -lt 20 ]; do
	insmod $KO || { fail "insmod $i"; break; }
	nio_ctl remove || fail "remove $i"
	(while [ -e $P ]; do echo 1 2>/dev/null > $P; done) &
	rmmod nestiommu || { fail "rmmod $i"; wait; break; }
	wait
	i=$((i + 1))
done

N=${NIO_LOOPS:-100}
step "load/unload x$N (instances=2 devices=3, every 10th with pci_devices=2)"
i=0
while [ $i -lt $N ]; do
	pci=0
	[ $((i % 10)) -eq 0 ] && pci=2
	insmod $KO instances=2 devices=3 pci_devices=$pci ||
		{ fail "insmod $i"; break; }
	nio_ctl remove || { fail "remove $i"; break; }
	rmmod nestiommu || { fail "rmmod $i"; break; }
	i=$((i + 1))
done
ls /sys/class/iommu | grep -q nestiommu && fail "iommu device left behind"
ls /sys/bus/platform/devices | grep -q nestiommu && fail "platform device left behind"
grep nestiommu /proc/interrupts && fail "irqs left behind"
grep -l 0x11e5 /sys/bus/pci/devices/*/device 2>/dev/null &&
	fail "PCIe functions left behind"
ls /sys/class/pci_bus | grep -q "^4e" && fail "PCI bus left behind"
echo "# vm-run rc=$rc"
exit $rc
