#!/bin/sh
# The payload of the QEMU accel tier's full Linux guest (run by
# tests/vm/init inside the INNER VM: the arm64 tier's own Image booted by
# UEFI (QEMU_EFI.fd) with ACPI, so its arm-smmu-v3 driver finds QEMU's
# accel SMMUv3 in the IORT). Speaks guestfw's UART protocol
# (tests/qemu-accel/README.md), so vm-harness.sh drives it the same way:
#   @@ DEVICE e1000e BB:DD.F sid=0xN   the e1000e and its StreamID (= RID:
#                                       QEMU's IORT maps pcie.0 1:1)
#   ok N - ... / not ok N - ...        the guest's own checks
#   @@ PAUSE linux                     the driver has the device in a DMA
#                                       domain and the ring is up; waits
#                                       for one byte on the console
#   @@ DONE pass|fail                   then the init powers off
# Started with nestiommu.vfio=0: the guest's own e1000e driver keeps the
# device, through the guest's DMA API, i.e. a stage-1 domain of the
# guest's arm-smmu-v3, which QEMU turns into a nested HWPT on the host.

n=0
bad=0
t() {  # t 0|1 text
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; bad=1; fi
}
echo "# $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpu, uptime $(cut -d' ' -f1 /proc/uptime) s"
dmesg | grep -iE 'smmu|iort' | sed 's/^/# dmesg: /' | head -n 12

smmu=$(ls /sys/class/iommu 2>/dev/null | head -n1)
t "$([ -n "$smmu" ]; echo $?)" "the guest's arm-smmu-v3 probed QEMU's accel SMMUv3 through ACPI/IORT ($smmu)"
bdf=""
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x10d3 ] && { bdf=${d##*/}; break; }
done
t "$([ -n "$bdf" ]; echo $?)" "the e1000e (the host's vfio-pci device) is on the guest's PCI bus ($bdf)"
[ -n "$bdf" ] || { echo "@@ DONE fail"; exit 1; }
d=/sys/bus/pci/devices/$bdf
b=$(echo "$bdf" | cut -d: -f2) dev=$(echo "$bdf" | cut -d: -f3 | cut -d. -f1) fn=${bdf##*.}
sid=$(printf '%#x' $(( (0x$b << 8) | (0x$dev << 3) | fn )))
echo "@@ DEVICE e1000e ${bdf#*:} sid=$sid"
grp=$(basename "$(readlink "$d/iommu_group" 2>/dev/null)")
typ=$(cat "/sys/kernel/iommu_groups/$grp/type" 2>/dev/null)
t "$(case $typ in DMA*) echo 0 ;; *) echo 1 ;; esac)" "the e1000e is in IOMMU group $grp behind $(basename "$(readlink "$d/iommu")") with a DMA (stage-1) domain ($typ)"
drv=$(basename "$(readlink "$d/driver" 2>/dev/null)")
t "$([ "$drv" = e1000e ]; echo $?)" "the guest's e1000e driver bound it ($drv)"
eth=$(ls "$d/net" 2>/dev/null | head -n1)
ip link set "$eth" up 2>/dev/null || ifconfig "$eth" up 2>/dev/null
sleep 1
t "$(ip link show "$eth" 2>/dev/null | grep -q UP; echo $?)" "$eth up: the driver's rings are DMA-mapped through the vSMMU"
echo "@@ PAUSE linux"
# shellcheck disable=SC3045 # busybox ash has read -t
if read -r -t 120 _ </dev/console; then
	t 0 "pause linux: harness answered"
else
	t 1 "pause linux: harness answered (no byte within 120 s)"
fi
ip link set "$eth" down 2>/dev/null
dmesg | grep -E 'arm-smmu-v3.*(event|EVT|fault)' | sed 's/^/# dmesg: /' | head -n 5
t "$(dmesg | grep -qE 'arm-smmu-v3.*(event 0x|CMDQ error|gerror)'; [ $? != 0 ]; echo $?)" "no SMMU event, command queue error or global error in the guest's log"
echo "1..$n"
if [ "$bad" = 0 ]; then echo "@@ DONE pass"; else echo "@@ DONE fail"; fi
exit "$bad"
