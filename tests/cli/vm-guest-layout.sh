#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# VM tier: "nestctl device guest-layout" on real devices.
#  - the e1000e behind the emulated VT-d (bound to vfio-pci): its group's
#    hardware MSI range 0xfee00000 (an "msi" region, not a SW_MSI window),
#    which 4 GiB of virt guest RAM covers: one collision, no RMR, no window;
#  - a nestiommu.ko endpoint: the module's SW_MSI window at 0x8000000 over
#    the virt guest's GIC (collisions, RMR, msi-gpa 0x8090040) and the
#    advised window; the advised "nestctl msi set" is run, and the same
#    command then finds the window moved in the kernel's reserved regions
#    and clean;
#  - nestctl graph of a nested session held by a keep server, with the
#    module's view: vSID -> SID, the instance and its (moved) MSI window;
#  - a layout file with overlapping regions: refused, naming the region.
# Exits 77 (skip) without /dev/iommu.
#
# Environment: NESTCTL (default: nestctl in PATH), NESTIOMMU_KO (default
# /lib/nestiommu.ko), SESSION_PLAN (default /t/nested-session.json).

set -u
: "${NESTCTL:=nestctl}"
: "${NESTIOMMU_KO:=/lib/nestiommu.ko}"
: "${SESSION_PLAN:=/t/nested-session.json}"
[ -e /dev/iommu ] || { echo "SKIP: no /dev/iommu"; exit 77; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

check() { # NAME PATTERN FILE
	if grep -q -- "$2" "$3"; then echo "ok: $1"; else
		echo "FAIL: $1: no \"$2\" in:"; cat "$3"; fail=1; fi
}
check_not() { # NAME PATTERN FILE
	if grep -q -- "$2" "$3"; then echo "FAIL: $1: \"$2\" in:"; cat "$3"; fail=1
	else echo "ok: $1"; fi
}
run() { # OUT EXPECTED-RC ARGS...
	out=$1 want=$2
	shift 2
	"$NESTCTL" "$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL: nestctl $*: exit $rc, expected $want:"; cat "$out"; fail=1
	fi
}

# --- the e1000e behind VT-d ---
bdf=
for d in /sys/bus/pci/drivers/vfio-pci/*:*; do
	[ -e "$d" ] && bdf=${d##*/} && break
done
if [ -z "$bdf" ]; then
	echo "FAIL: no device bound to vfio-pci (the testbed's e1000e)"
	fail=1
else
	run "$tmp/pci" 0 -j device guest-layout "$bdf" ram 0x100000000
	cat "$tmp/pci"
	check "e1000e: the VT-d MSI range is a host reserved region" \
		'"host-reserved":\[[^]]*{"type":"msi","start":4276092928' "$tmp/pci"
	check "e1000e: it collides with 4 GiB of guest RAM" \
		'"collisions":\[{"host":{"type":"msi",[^}]*},"guest":{"name":"ram"' "$tmp/pci"
	check "e1000e: virtio-iommu gets it as an MSI RESV_MEM" \
		'{"subtype":"msi","subtype-value":1,"start":4276092928' "$tmp/pci"
	check "e1000e: no RMR, no SW_MSI window" \
		'"iort-rmr":\[\],.*"msi-window":null,"advice":null' "$tmp/pci"
	run "$tmp/pci-small" 0 -j device guest-layout "$bdf"
	check "e1000e: 128 MiB of guest RAM is clear of it" \
		'"collisions":\[\]' "$tmp/pci-small"
fi

# --- a nestiommu.ko endpoint ---
if ! insmod "$NESTIOMMU_KO" instances=1 devices=1; then
	echo "FAIL: insmod $NESTIOMMU_KO"
	exit 1
fi
ep=nestiommu-ep.0
run "$tmp/ep" 0 -j device guest-layout "$ep" sid 0x10
cat "$tmp/ep"
check "endpoint: the module's window is the SW_MSI region" \
	'"host-reserved":\[{"type":"sw-msi","start":134217728,.*"size":1048576' "$tmp/ep"
check "endpoint: the guest's GIC distributor is under it" \
	'"guest":{"name":"gic-dist"' "$tmp/ep"
check "endpoint: and the guest's ITS" '"guest":{"name":"gic-its"' "$tmp/ep"
check "endpoint: an RMR for StreamID 0x10" \
	'"iort-rmr":\[{"sid":16,"start":134217728,[^}]*"for":"sw-msi"}\]' "$tmp/ep"
check "endpoint: msi-gpa is the guest's GITS_TRANSLATER" \
	'"msi-gpa-hex":"0x8090040"' "$tmp/ep"
check "endpoint: the advised window and its command" \
	'"advice":{"start":152043520,.*"command":"nestctl msi set 0 base 0x9100000 size 0x100000"' "$tmp/ep"
cmd=$(sed -n 's/.*"command":"\(nestctl msi set [0-9]* base 0x[0-9a-f]* size 0x[0-9a-f]*\)".*/\1/p' "$tmp/ep")
if [ -n "$cmd" ]; then
	# shellcheck disable=SC2086
	run "$tmp/set" 0 -j ${cmd#nestctl }
	cat "$tmp/set"
	run "$tmp/moved" 0 -j device guest-layout "$ep"
	cat "$tmp/moved"
	check "endpoint: the kernel reports the moved window" \
		'"host-reserved":\[{"type":"sw-msi","start":152043520' "$tmp/moved"
	check "endpoint: the moved window is clean" \
		'"collisions":\[\],"msi-window":{"start":152043520,[^}]*"clean":true},"advice":null' "$tmp/moved"
	run "$tmp/smmu" 0 -j smmu show
	check "endpoint: the module's own view agrees" \
		'"msi-window":{"start":152043520' "$tmp/smmu"
else
	echo "FAIL: no nestctl msi set command in the advice"
	fail=1
fi

# --- nestctl graph of a live session (keep server) with the module's view ---
if [ -f "$SESSION_PLAN" ]; then
	sock=$tmp/graph.sock
	"$NESTCTL" -j apply "$SESSION_PLAN" keep "$sock" >"$tmp/keep" 2>&1 &
	server=$!
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	run "$tmp/graph" 0 graph -f dot socket "$sock" module
	cat "$tmp/graph"
	check "graph: the nest-parent HWPT" 'HWPT [0-9]* (nest parent)' "$tmp/graph"
	check "graph: the vIOMMU" 'vIOMMU [0-9]* arm-smmuv3' "$tmp/graph"
	check "graph: the nested HWPT attached to the device" \
		'-> "obj[0-9]*" \[label="attached"\]' "$tmp/graph"
	check "graph: the vDEVICE's vSID on its edge to the device" \
		'\[label="vSID 0x10"\]' "$tmp/graph"
	check "graph: the module's vSID -> SID of the endpoint" \
		'vSID 0x10 -> SID 0x[0-9a-f]*' "$tmp/graph"
	check "graph: the device's edge to its SMMU instance with the SID" \
		'-> "iommu_nestiommu.0" \[label="SID 0x[0-9a-f]*"\]' "$tmp/graph"
	check "graph: the instance's MSI window (as moved above)" \
		'SMMU instance 0)\\nMSI window 0x9100000+0x100000' "$tmp/graph"
	run "$tmp/graph-module" 0 graph -f dot module
	cat "$tmp/graph-module"
	check "graph module: the endpoint alone, with its cdev and SID" \
		'label="endpoint 0/0\\n/dev/vfio/devices/vfio[0-9]*\\nSID 0x[0-9a-f]*, nested' "$tmp/graph-module"
	check_not "graph module: no iommufd objects" '"obj1"' "$tmp/graph-module"
	run "$tmp/graph-json" 0 -j graph socket "$sock"
	check "graph: JSON nodes and edges" '"nodes":\[{"node":"obj1","kind":"ioas"' "$tmp/graph-json"
	kill "$server"
	wait "$server" 2>/dev/null
else
	echo "FAIL: no session plan $SESSION_PLAN"
	fail=1
fi

# --- bad input ---
cat >"$tmp/overlap.json" <<'P'
{"regions": [{"name": "ram", "kind": "ram", "start": "0x40000000", "size": "0x40000000"},
 {"name": "fb", "kind": "device", "start": "0x7ff00000", "size": "0x200000"}]}
P
run "$tmp/bad" 1 -j device guest-layout "$ep" layout "$tmp/overlap.json"
check "overlapping layout: refused, naming the region" \
	'region \\"fb\\" (0x7ff00000-0x800fffff) overlaps region \\"ram\\"' "$tmp/bad"
run "$tmp/nodev" 2 -j device guest-layout no-such-device
check_not "unknown device: no output but the error" '"advice"' "$tmp/nodev"

"$NESTCTL" smmu remove >/dev/null 2>&1 || true
rmmod nestiommu 2>/dev/null || true
[ $fail = 0 ] && echo "PASS: guest-layout on real devices"
exit $fail
