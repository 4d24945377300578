#!/bin/sh
# A complete nested session on nestiommu.ko, run inside the testbed VM by
# scripts/main-job.sh: the VMM's side (one iommufd context kept open by
# `nestctl apply ... keep`) with the guest's CD and stage-1 tables written
# into the guest RAM the plan maps, a device DMA that goes through both
# stages and lands where those tables put it, a DMA to an unmapped VA whose
# F_TRANSLATION event reaches the vIOMMU's vEVENTQ with the virtual
# StreamID, and teardown.
#
# Usage: nested-session.sh [ EXAMPLES-DIR ] [ --full ]
# The ID registers are printed as one line each (nestctl -b) unless --full
# (or NESTIOMMU_FULL=1) asks for every decoded field.
set -eu
dir=/etc/nestiommu/examples
full=${NESTIOMMU_FULL:-0}
for a in "$@"; do
	case $a in
	--full) full=1 ;;
	-*) echo "nested-session.sh: unknown option $a (known: --full)" >&2; exit 2 ;;
	*) dir=$a ;;
	esac
done
sock=/tmp/nestctl.sock
if [ "$full" = 1 ]; then
	p=-p
else
	p=-pb
fi

echo "### insmod nestiommu.ko"
insmod /lib/nestiommu.ko
nestctl $p smmu show

echo "### nestctl apply: guest RAM with the guest's CD and stage-1 tables, stage 2, vIOMMU, vDEVICE, vEVENTQ, nested HWPT, invalidation"
# The server prints its object graph once it listens; wait for all of it.
graph=/tmp/nestctl-graph.json
nestctl $p apply "$dir/nested-session.json" keep "$sock" >"$graph" &
server=$!
i=0
while ! grep -q '"listening"' "$graph" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.1
cat "$graph"
[ -S "$sock" ] || { echo "nestctl apply keep did not start" >&2; exit 1; }

echo "### the device writes \"nested DMA ok!\" at VA 0x20000000 (stage 1: the guest's tables, stage 2: the VMM's IOAS)"
nestctl -j dma write 0/0 iova 0x20000000 data 6e657374656420444d41206f6b2100

echo "### the bytes in guest RAM at IPA 0x40009000, the page the guest's tables name"
out=$(nestctl $p apply "$dir/guest-ram.json" to "$sock")
echo "$out"
case $out in
*'"data": "6e657374656420444d41206f6b2100'*) ;;
*) echo "the DMA's bytes are not at IPA 0x40009000" >&2; exit 1 ;;
esac

echo "### the device reads VA 0x20001000, which the guest left unmapped"
if nestctl -j dma read 0/0 iova 0x20001000 length 16; then
	echo "unexpected: DMA to an unmapped VA translated" >&2
	exit 1
fi

echo "### the VMM reads the vEVENTQ (decoded SMMUv3 event, virtual StreamID)"
out=$(nestctl $p apply "$dir/read-events.json" to "$sock")
echo "$out"
case $out in
*'"id": "F_TRANSLATION"'*'"sid": 16,'*) ;;
*) echo "no F_TRANSLATION with the virtual StreamID 0x10 on the vEVENTQ" >&2; exit 1 ;;
esac
nestctl -p smmu counters

echo "### teardown: stop the VMM, everything it held is freed"
kill "$server"
wait "$server" 2>/dev/null || true
nestctl $p smmu show
nestctl smmu remove >/dev/null 2>&1 || true
