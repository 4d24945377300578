#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# VM tier, in the testbed VM (busybox sh): record sessions on real kernels
# objects with libnestiommu-record and replay them with nestctl replay in
# the same VM:
#  1. nestctl apply of examples/nested-session.json on nestiommu.ko (the
#     README's main job: IOAS, nest parent, vIOMMU, vDEVICE, vEVENTQ,
#     nested HWPT, invalidation, a refused vSTE);
#  2. rec-vmm (QEMU's accelerated-SMMUv3 calls as raw ioctls, threads
#     included) on a nestiommu.ko endpoint: the same output with and
#     without the recorder, then replayed;
#  3. a paging session on the e1000e behind the emulated VT-d (vfio-pci),
#     and a map of its BAR 0 (QEMU's peer-to-peer maps: opaque steps).
# Files: /t/libnestiommu-record.so, /t/nested-session.json,
# /lib/nestiommu.ko; programs nestctl and rec-vmm in PATH.
set -u
R=/t/libnestiommu-record.so
fail=0
tmp=$(mktemp -d) || exit 99
ok() { echo "ok - $1"; }
bad() { echo "not ok - $1"; fail=1; }
num() { sed -n "s/.*\"$1\": *\\([0-9][0-9]*\\).*/\\1/p" "$2" | head -n 1; }

[ -e /dev/iommu ] || { echo "SKIP: no /dev/iommu"; exit 77; }
insmod /lib/nestiommu.ko instances=1 devices=2 || { echo "Bail out! insmod"; exit 2; }

replay() { # NAME RECORDING OPAQUE (the number of opaque calls expected)
	nestctl -j replay "$2" >"$tmp/$1.replay" 2>"$tmp/$1.err"
	rc=$?
	if [ "$(num opaque "$2")" != "$3" ]; then
		bad "$1: $(num opaque "$2") opaque calls of $(num calls "$2"), expected $3"
		head -c 3000 "$2"
	elif [ $rc = 0 ] && grep -q '"result":"same"' "$tmp/$1.replay"; then
		ok "$1: recorded $(num calls "$2") calls ($(num opaque "$2") opaque), replayed $(num replayed "$tmp/$1.replay") steps with the same results and graph ($(num values-compared "$tmp/$1.replay") values compared)"
	else
		bad "$1: replay exited $rc"
		cat "$tmp/$1.replay" "$tmp/$1.err"
	fi
}

# 1. nestctl apply on nestiommu.ko
NESTIOMMU_RECORD=$tmp/apply.json LD_PRELOAD=$R \
	nestctl -j apply /t/nested-session.json >"$tmp/apply.out" 2>&1 ||
	{ bad "nestctl apply under the recorder"; cat "$tmp/apply.out"; }
replay nested-session "$tmp/apply.json" 0

# 2. rec-vmm on a nestiommu.ko endpoint
cdev=
for d in /sys/bus/platform/devices/nestiommu-ep.0/vfio-dev/vfio*; do
	[ -e "$d" ] && cdev=/dev/vfio/devices/${d##*/}
done
if [ -z "$cdev" ]; then
	bad "no VFIO cdev for nestiommu-ep.0"
else
	REC_VMM_CDEV=$cdev rec-vmm >"$tmp/plain.out" 2>&1
	rc1=$?
	REC_VMM_CDEV=$cdev NESTIOMMU_RECORD=$tmp/vmm.json LD_PRELOAD=$R \
		rec-vmm >"$tmp/rec.out" 2>&1
	rc2=$?
	sort "$tmp/plain.out" >"$tmp/p.s"
	sort "$tmp/rec.out" >"$tmp/r.s"
	if [ $rc1 = 0 ] && [ $rc2 = 0 ] && cmp -s "$tmp/p.s" "$tmp/r.s"; then
		ok "rec-vmm on $cdev: every call gives the same result under the recorder"
	else
		bad "rec-vmm: exit $rc1/$rc2, results differ"
		diff "$tmp/p.s" "$tmp/r.s"
	fi
	grep -E "INVALIDATE|HWPT_ALLOC bad|IOVA_RANGES probe" "$tmp/rec.out"
	replay rec-vmm "$tmp/vmm.json" 3
fi

# 2b. nio_vmm (tests/module): the library's own VMM-like test, DMA and
# fuzzed vSTEs and commands included
if command -v nio_vmm >/dev/null; then
	NESTIOMMU_RECORD=$tmp/nio_vmm.json LD_PRELOAD=$R nio_vmm >"$tmp/nio_vmm.out" 2>&1 ||
		{ bad "nio_vmm under the recorder"; tail -20 "$tmp/nio_vmm.out"; }
	tail -n 2 "$tmp/nio_vmm.out"
	replay nio_vmm "$tmp/nio_vmm.json" 0
fi

# 3. the e1000e on the emulated VT-d
if [ -n "${NESTIOMMU_VFIO_CDEV:-}" ]; then
	cat >"$tmp/pci.json" <<P
[
 {"op": "ioas-alloc", "name": "ioas0"},
 {"op": "device-bind", "name": "nic", "device": "$NESTIOMMU_VFIO_CDEV"},
 {"op": "hw-info", "dev": "nic"},
 {"op": "ioas-map", "ioas": "ioas0", "length": 65536, "iova": "0x100000"},
 {"op": "device-attach", "dev": "nic", "pt": "ioas0", "hwpt-name": "auto"},
 {"op": "ioas-iova-ranges", "ioas": "ioas0"},
 {"op": "hwpt-alloc", "name": "paging", "dev": "nic", "pt": "ioas0"},
 {"op": "device-replace", "dev": "nic", "pt": "paging"},
 {"op": "ioas-map", "ioas": "ioas0", "name": "auto-iova", "length": 8192, "writable": false},
 {"op": "ioas-unmap", "mapping": "auto-iova"},
 {"op": "ioas-map", "ioas": "ioas0", "length": 4096, "iova": "0x100000", "expect-errno": "EEXIST"},
 {"op": "device-detach", "dev": "nic"},
 {"op": "destroy", "object": "paging"}
]
P
	NESTIOMMU_RECORD=$tmp/pci-rec.json LD_PRELOAD=$R \
		nestctl -j apply "$tmp/pci.json" >"$tmp/pci.out" 2>&1 ||
		{ bad "e1000e plan under the recorder"; cat "$tmp/pci.out"; }
	replay e1000e-vtd "$tmp/pci-rec.json" 0

	# QEMU maps BARs for peer-to-peer DMA: kept out of the plan
	REC_VMM_CDEV=$NESTIOMMU_VFIO_CDEV NESTIOMMU_RECORD=$tmp/bar.json \
		LD_PRELOAD=$R rec-vmm bar >"$tmp/bar.out" 2>&1
	cat "$tmp/bar.out"
	if grep -q "a map of a VFIO device region" "$tmp/bar.json"; then
		ok "a BAR map is an opaque step"
	else
		bad "the BAR map was not recognised"; cat "$tmp/bar.json"
	fi
	replay e1000e-bar "$tmp/bar.json" 2
fi

nestctl smmu remove >/dev/null 2>&1
rmmod nestiommu || bad "rmmod"
rm -rf "$tmp"
echo "# record-session fail=$fail"
exit $fail
