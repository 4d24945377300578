#!/bin/sh
# Runs in the testbed VM (tests/inject/inject-session-vm.sh): nestctl's
# fault injection against a VMM kept by "nestctl apply ... keep" (the
# README's nested session), checking nestctl's JSON on both sides:
# an injected event read back by the VMM with the vSID, an overflowed
# vEVENTQ read back with its LOST_EVENTS marker, an invalidation that
# fails with the injected errno at the right entry, a nested HWPT
# allocation that fails with its errno, a DMA delay, and ENOENT once
# the vEVENTQ is gone.
set -u
dir=/etc/nestiommu/examples
sock=/tmp/nestctl.sock
rc=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
ko() { n=$((n + 1)); echo "not ok $n - $*"; rc=1; }
# expect NAME OUTPUT PATTERN...: every shell pattern must match OUTPUT
expect() {
	name=$1 out=$2
	shift 2
	for pat in "$@"; do
		case $out in
		*$pat*) ;;
		*) ko "$name: no \"$pat\" in: $out"; return ;;
		esac
	done
	ok "$name"
}

insmod /lib/nestiommu.ko || { echo "Bail out! insmod"; exit 2; }
out=$(nestctl -j smmu inject show 0/0)
expect "show before a VMM: no vDEVICE" "$out" '"vsid":null' '"dma-delay-us":0'
out=$(nestctl -j smmu inject event 0/0 '{"id": "F_TRANSLATION"}' 2>&1)
expect "inject without a vDEVICE: ENOENT" "$out" '"errno":2' 'no vDEVICE'

graph=/tmp/graph.json
nestctl -j apply "$dir/nested-session.json" keep "$sock" >"$graph" &
server=$!
i=0
while ! grep -q '"listening"' "$graph" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -S "$sock" ] || { echo "Bail out! nestctl apply keep did not start"; exit 2; }

out=$(nestctl -j smmu inject show 0/0)
expect "show: the VMM's vDEVICE" "$out" '"vsid":16' \
	'"invalidate":{"count":0,"skip":0,"errno":0}'

# One event, fields as "event encode" takes them; the VMM reads it
out=$(nestctl -j smmu inject event 0/0 '{"id": "F_PERMISSION", "rnw": true, "class": "IN", "input-addr": "0x12345000", "ipa": "0x4000a000", "sid": 99}')
expect "inject F_PERMISSION" "$out" '"count":1' '"raw":false' \
	'"id":"F_PERMISSION"' '"input-addr":305418240'
out=$(nestctl -j apply "$dir/read-events.json" to "$sock")
expect "the VMM reads it with the vSID" "$out" '"sequence":0' '"gap":0' \
	'"lost-events":false' '"id":"F_PERMISSION"' '"sid":16' \
	'"input-addr":305418240' '"rnw":true'

# Overflow: 64 records, then the marker for the 3 lost
nestctl -j smmu inject event 0/0 '{"id": "F_TRANSLATION", "input-addr": "0x1000"}' count 67 >/dev/null ||
	ko "inject 67"
out=$(nestctl -j apply '[{"op": "veventq-read", "veventq": "evq", "max": 100}]' to "$sock")
expect "overflow: LOST_EVENTS after 64 records, gap 2 (3 lost)" "$out" \
	'"sequence":64,' '{"sequence":67,"gap":2,"lost-events":true}'
[ "$(echo "$out" | grep -o '"id":"F_TRANSLATION"' | wc -l)" = 64 ] &&
	ok "64 F_TRANSLATION records" || ko "64 F_TRANSLATION records"

# The third command of the next invalidation fails with ETIMEDOUT
out=$(nestctl -j smmu inject fail 0/0 invalidate errno ETIMEDOUT skip 2)
expect "arm invalidate" "$out" \
	'"invalidate":{"count":1,"skip":2,"errno":110,"error":"ETIMEDOUT"}'
inv='[{"op": "invalidate", "target": "vsmmu", "entries": [{"opcode": "TLBI_NH_ASID", "asid": 1}, {"opcode": "TLBI_NH_ASID", "asid": 2}, {"opcode": "TLBI_NH_ASID", "asid": 3}, {"opcode": "TLBI_NH_ALL"}]}]'
out=$(nestctl -j apply "$inv" to "$sock" 2>&1)
expect "invalidation fails with ETIMEDOUT at entries[2]" "$out" \
	'"errno":110' '"field":"entries\[2\]"'
out=$(nestctl -j apply "$inv" to "$sock" 2>&1)
expect "then it passes" "$out" '"processed":4'

# The next nested HWPT allocation fails with EBUSY
nestctl -j smmu inject fail 0/0 nested-alloc errno EBUSY >/dev/null ||
	ko "arm nested-alloc"
alloc='[{"op": "hwpt-alloc", "name": "s1b", "dev": "dev0", "pt": "vsmmu", "ste": {"valid": true, "config": "ABORT"}}]'
out=$(nestctl -j apply "$alloc" to "$sock" 2>&1)
expect "nested HWPT allocation: EBUSY" "$out" '"errno":16'
cdev=$(ls /sys/bus/platform/devices/nestiommu-ep.0/vfio-dev)
out=$(nestctl -j smmu inject show "$cdev")
expect "show by cdev: nothing left armed" "$out" \
	'"nested-alloc":{"count":0,"skip":0,"errno":0}'

# DMA completions 200 ms late
nestctl -j smmu inject delay 0/0 200000 >/dev/null || ko "delay"
uptime_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
start=$(uptime_ms)
nestctl -j dma write 0/0 iova 0x20000000 data 01 >/dev/null || ko "delayed DMA"
ms=$(($(uptime_ms) - start))
[ "$ms" -ge 200 ] && ok "DMA completed after $ms ms (>= 200)" ||
	ko "DMA completed after $ms ms (< 200)"
out=$(nestctl -j smmu inject delay 0/0 0)
expect "delay off" "$out" '"dma-delay-us":0'

# The vEVENTQ goes: ENOENT
nestctl -j apply '[{"op": "destroy", "object": "evq"}]' to "$sock" >/dev/null 2>&1 ||
	ko "destroy the vEVENTQ"
out=$(nestctl -j smmu inject event 0/0 '{"id": "F_TRANSLATION"}' 2>&1)
expect "inject into the destroyed vEVENTQ: ENOENT" "$out" '"errno":2' 'vEVENTQ'

kill "$server"
wait "$server" 2>/dev/null
nestctl smmu remove >/dev/null 2>&1
rmmod nestiommu || ko "rmmod"
echo "1..$n"
exit $rc
