#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# VM tier: a complete nested session with nestctl on the iommufd selftest
# mock (CONFIG_IOMMUFD_TEST): stage 2, vIOMMU, vDEVICE, nested HWPT,
# invalidation of the nested IOTLB and of the device cache (checked
# through the mock), attach, vEVENTs through the vEVENTQ, a kernel refusal
# with expect-errno, rollback of a failing plan, and the keep server; then
# device show and group show of the testbed's vfio-pci device.
# Exits 77 (skip) without /dev/iommu or IOMMUFD_TEST.
#
# Environment: NESTCTL (default: nestctl in PATH).

set -u
: "${NESTCTL:=nestctl}"
[ -e /dev/iommu ] || { echo "SKIP: no /dev/iommu"; exit 77; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

check() { # NAME PATTERN FILE
	if grep -q -- "$2" "$3"; then echo "ok: $1"; else
		echo "FAIL: $1: no \"$2\" in:"; cat "$3"; fail=1; fi
}

cat >"$tmp/probe.json" <<'P'
[{"op": "ioas-alloc", "name": "a"}, {"op": "mock-device", "name": "m", "pt": "a"}]
P
"$NESTCTL" -j apply "$tmp/probe.json" >"$tmp/out" 2>&1
if grep -q '"errno":25' "$tmp/out"; then echo "SKIP: no IOMMUFD_TEST"; exit 77; fi

cat >"$tmp/session.json" <<'P'
[
 {"op": "ioas-alloc", "name": "ioas0"},
 {"op": "ioas-map", "ioas": "ioas0", "name": "ram", "length": 65536, "iova": "0x1000000", "fill": 90},
 {"op": "mock-device", "name": "m0", "pt": "ioas0", "hwpt-name": "auto0"},
 {"op": "hw-info", "dev": "m0"},
 {"op": "hwpt-alloc", "name": "s2", "dev": "m0", "pt": "ioas0", "nest-parent": true},
 {"op": "viommu-alloc", "name": "v", "dev": "m0", "hwpt": "s2"},
 {"op": "vdevice-alloc", "name": "vd", "viommu": "v", "dev": "m0", "virt-id": 153},
 {"op": "hwpt-alloc", "name": "s1", "dev": "m0", "pt": "v", "selftest": true},
 {"op": "mock-check-iotlb", "hwpt": "s1", "iotlb-id": 2},
 {"op": "invalidate", "target": "s1", "entries": [{"iotlb-id": 2}]},
 {"op": "mock-check-iotlb", "hwpt": "s1", "iotlb-id": 2, "expect": 0},
 {"op": "mock-check-iotlb", "hwpt": "s1", "iotlb-id": 1},
 {"op": "invalidate", "target": "s1", "entries": [{"iotlb-id": 9}], "expect-errno": "EINVAL"},
 {"op": "device-attach", "dev": "m0", "pt": "s1"},
 {"op": "mock-check-dev-cache", "dev": "m0", "cache-id": 1},
 {"op": "invalidate", "target": "v", "entries": [{"vdev-id": 153, "cache-id": 1}]},
 {"op": "mock-check-dev-cache", "dev": "m0", "cache-id": 1, "expect": 0},
 {"op": "veventq-alloc", "name": "q", "viommu": "v", "depth": 8},
 {"op": "mock-trigger-vevent", "dev": "m0", "count": 2},
 {"op": "veventq-read", "veventq": "q", "min": 2},
 {"op": "device-replace", "dev": "m0", "pt": "s2"}
]
P
"$NESTCTL" -j apply "$tmp/session.json" >"$tmp/out" 2>&1
rc=$?
[ $rc = 0 ] || { echo "FAIL: session exited $rc"; cat "$tmp/out"; fail=1; }
check "selftest hw_info" '"type":"selftest"' "$tmp/out"
check "vEVENTs carry the virtual ID" '"virt-id":153' "$tmp/out"
check "refused invalidation" '"failed-as-expected":true' "$tmp/out"
check "graph has the vDEVICE" '"type":"vdevice"' "$tmp/out"
check "graph has the mock device" '"type":"mock-device"' "$tmp/out"

# events watch: the records the plan's mock device raised, as JSON lines.
cat >"$tmp/watch.json" <<'P'
[
 {"op": "ioas-alloc", "name": "ioas0"},
 {"op": "mock-device", "name": "m0", "pt": "ioas0"},
 {"op": "hwpt-alloc", "name": "s2", "dev": "m0", "pt": "ioas0", "nest-parent": true},
 {"op": "viommu-alloc", "name": "v", "dev": "m0", "hwpt": "s2"},
 {"op": "vdevice-alloc", "name": "vd", "viommu": "v", "dev": "m0", "virt-id": 7},
 {"op": "hwpt-alloc", "name": "s1", "dev": "m0", "pt": "v", "selftest": true},
 {"op": "device-attach", "dev": "m0", "pt": "s1", "comment": "vEVENTs need the nested attach"},
 {"op": "veventq-alloc", "name": "q", "viommu": "v", "depth": 2},
 {"op": "mock-trigger-vevent", "dev": "m0", "count": 5}
]
P
"$NESTCTL" -j events watch "$tmp/watch.json" count 3 timeout 20000 >"$tmp/out" 2>&1
rc=$?
[ $rc = 0 ] || { echo "FAIL: events watch exited $rc"; cat "$tmp/out"; fail=1; }
check "events watch decodes the selftest vEVENT" '"virt-id":7' "$tmp/out"
check "events watch reports the overflow" '"lost-events":true' "$tmp/out"
[ "$(grep -c '"queue":"q"' "$tmp/out")" = 3 ] && echo "ok: three records" ||
	{ echo "FAIL: expected 3 records:"; cat "$tmp/out"; fail=1; }

# A failing plan destroys what it created (the keep server shows it).
sock=$tmp/s.sock
"$NESTCTL" -j apply keep "$sock" >"$tmp/server" 2>&1 &
server=$!
for i in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
cat >"$tmp/fail.json" <<'P'
[
 {"op": "ioas-alloc", "name": "ioas0"},
 {"op": "mock-device", "name": "m0", "pt": "ioas0"},
 {"op": "hwpt-alloc", "name": "s2", "dev": "m0", "pt": "ioas0", "nest-parent": true},
 {"op": "viommu-alloc", "name": "v", "dev": "m0", "hwpt": "s2"},
 {"op": "hwpt-alloc", "name": "s1", "dev": "m0", "pt": "v", "selftest": {"iotlb": 1}},
 {"op": "invalidate", "target": "s1", "entries": [{"iotlb-id": 1}, {"iotlb-id": 77}]}
]
P
"$NESTCTL" -j apply "$tmp/fail.json" to "$sock" >"$tmp/out" 2>&1
rc=$?
[ $rc = 2 ] || { echo "FAIL: failing plan exited $rc"; fail=1; }
check "failing entry named" '"field":"entries\[1\]"' "$tmp/out"
check "rollback" '"destroyed":\["s1","v","s2","m0","ioas0"\]' "$tmp/out"
echo '{"op": "show"}' | "$NESTCTL" -j apply - to "$sock" >"$tmp/out" 2>&1
check "nothing left after the rollback" '"objects":\[\],"mappings":\[\],"names":{}' "$tmp/out"
"$NESTCTL" -j apply "$tmp/session.json" to "$sock" >"$tmp/out" 2>&1
check "the same session again on the kept context" '"virt-id":153' "$tmp/out"
echo '{"op": "stop"}' | "$NESTCTL" -j apply - to "$sock" >/dev/null 2>&1
wait $server || { echo "FAIL: keep server"; cat "$tmp/server"; fail=1; }

# nestctl's device and group views of the real sysfs, which go through
# the library's lookups (nio_device_find_cdev_at() and friends): the
# testbed's e1000e, bound to vfio-pci behind the emulated VT-d, whose
# group reserves the x86 interrupt window 0xfee00000-0xfeefffff.
if [ -n "${NESTIOMMU_VFIO_BDF:-}" ] && [ -n "${NESTIOMMU_VFIO_CDEV:-}" ]; then
	"$NESTCTL" -j device show "$NESTIOMMU_VFIO_CDEV" >"$tmp/dev" 2>&1
	check "device show by cdev: the PCI address" \
		"\"pci-address\":\"$NESTIOMMU_VFIO_BDF\"" "$tmp/dev"
	check "device show by cdev: the interrupt window" \
		'"reserved-regions":\[[^]]*{"type":"msi","start":4276092928,[^}]*"last":4277141503' \
		"$tmp/dev"
	"$NESTCTL" -j device show "${NESTIOMMU_VFIO_BDF#0000:}" >"$tmp/dev2" 2>&1
	cmp -s "$tmp/dev" "$tmp/dev2" && echo "ok: device show by short address" ||
		{ echo "FAIL: device show by short address:"; cat "$tmp/dev2"; fail=1; }
	group=$(sed -n 's/.*"iommu-group":\([0-9]*\).*/\1/p' "$tmp/dev")
	"$NESTCTL" -j group show "${group:-none}" >"$tmp/grp" 2>&1
	check "group show: the same window" \
		'{"type":"msi","start":4276092928,[^}]*"last":4277141503' "$tmp/grp"
fi

[ $fail = 0 ] && echo "PASS: nested session on the iommufd selftest mock"
exit $fail
