#!/bin/sh
# A complete nested session on nestiommu.ko, run inside the testbed VM by
# scripts/main-job.sh: the VMM's side (one iommufd context kept open by
# `nestctl apply ... keep`), a device DMA that the guest's stage 1 cannot
# translate yet (its context descriptor is still zero), the event that
# reaches the vIOMMU's vEVENTQ, and teardown.
set -eu
dir=${1:-/etc/nestiommu/examples}
sock=/tmp/nestctl.sock

echo "### insmod nestiommu.ko"
insmod /lib/nestiommu.ko
nestctl -p smmu show

echo "### nestctl apply: IOAS, stage 2, vIOMMU, vDEVICE, vEVENTQ, nested HWPT, invalidation"
nestctl -p apply "$dir/nested-session.json" keep "$sock" &
server=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -S "$sock" ] || { echo "nestctl apply keep did not start" >&2; exit 1; }

echo "### the device reads IOVA 0x1000: the guest's CD at IPA 0x40000000 is not valid yet"
if nestctl -j dma read 0/0 iova 0x1000 length 16; then
	echo "unexpected: DMA translated without a valid CD" >&2
	exit 1
fi

echo "### the VMM reads the vEVENTQ (decoded SMMUv3 event, virtual StreamID)"
nestctl -p apply "$dir/read-events.json" to "$sock"
nestctl -p smmu counters

echo "### teardown: stop the VMM, everything it held is freed"
kill "$server"
wait "$server" 2>/dev/null || true
nestctl -p smmu show
nestctl smmu remove >/dev/null 2>&1 || true
