#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The built-in "virt" layout of nio_device_guest_layout() against a real
# QEMU: qemu-system-aarch64 -M virt,dumpdtb writes the machine's device
# tree, and every "reg" range in it (flash, GIC distributor and
# redistributors, ITS, UART, RTC, fw-cfg, GPIO, virtio-mmio, PCIe ECAM,
# RAM) must lie inside a region of the built-in layout of the same kind
# ("ram" for /memory), with the GIC distributor, the ITS and the RAM (the
# 128 MiB default) exactly as QEMU has them.
# SKIP (77) only without a qemu-system-aarch64 (tests/arm64/find-qemu.sh:
# the copy scripts/install-deps-arm64.sh unpacks, or one in PATH) or
# python3.
#
# Environment: NESTCTL (the binary).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/../..}"
: "${NESTCTL:=$top_builddir/cli/nestctl}"

[ -x "$NESTCTL" ] || { echo "SKIP: $NESTCTL not built"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
if ! qemu=$(sh "$here/../arm64/find-qemu.sh" 2>/dev/null); then
	echo "SKIP: no qemu-system-aarch64 (scripts/install-deps-arm64.sh)"
	exit 77
fi
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

"$qemu" -M "virt,gic-version=3,dumpdtb=$tmp/virt.dtb" -cpu max -m 128M \
	-display none -nodefaults >"$tmp/qemu.log" 2>&1
if [ ! -s "$tmp/virt.dtb" ]; then
	echo "FAIL: $qemu wrote no device tree:"; cat "$tmp/qemu.log"; exit 1
fi
# a release tarball carries the captured tree as sysfs.tar
sysfs=$here/sysfs
if [ ! -d "$sysfs" ] && [ -f "$here/sysfs.tar" ]; then
	tar -xf "$here/sysfs.tar" -C "$tmp" || exit 99
	sysfs=$tmp/sysfs
fi
NESTCTL_SYSFS=$sysfs "$NESTCTL" -j device guest-layout vfio1 \
	>"$tmp/layout.json" || { cat "$tmp/layout.json"; exit 1; }
echo "checking the built-in virt layout against $("$qemu" --version | head -1)"
python3 - "$tmp/virt.dtb" "$tmp/layout.json" <<'PY'
import json, struct, sys

dtb = open(sys.argv[1], 'rb').read()
regions = json.load(open(sys.argv[2]))['guest-regions']
(magic, _, off_struct, off_strings) = struct.unpack('>4I', dtb[:16])
assert magic == 0xd00dfeed, 'not a device tree'

def string(off):
    start = off_strings + off
    return dtb[start:dtb.index(b'\0', start)].decode()

# (node path, [(start, size)]) of every "reg" with 2+2 cells
regs, path, p = [], [], off_struct
while True:
    tok, = struct.unpack('>I', dtb[p:p + 4])
    p += 4
    if tok == 1:
        end = dtb.index(b'\0', p)
        path.append(dtb[p:end].decode())
        p = (end + 4) & ~3
    elif tok == 2:
        path.pop()
    elif tok == 3:
        ln, name = struct.unpack('>II', dtb[p:p + 8])
        val = dtb[p + 8:p + 8 + ln]
        p = (p + 8 + ln + 3) & ~3
        if string(name) == 'reg' and len(path) > 1 and ln % 16 == 0:
            regs.append(('/'.join(path[1:]),
                         [struct.unpack('>QQ', val[i:i + 16]) for i in range(0, ln, 16)]))
    elif tok == 9:
        break

def holder(start, size):
    for r in regions:
        if r['start'] <= start and start + size - 1 <= r['last']:
            return r
    return None

fail = 0
exact = {'intc@8000000': 'gic-dist', 'its@8080000': 'gic-its', 'memory@40000000': 'ram'}
for node, ranges in regs:
    for i, (start, size) in enumerate(ranges):
        r = holder(start, size)
        want_ram = node.startswith('memory')
        if r is None or (r['kind'] == 'ram') != want_ram:
            print('FAIL: %s reg[%d] 0x%x+0x%x is in no %s region of the layout'
                  % (node, i, start, size, 'ram' if want_ram else 'device'))
            fail = 1
            continue
        leaf = node.split('/')[-1]
        if i == 0 and leaf in exact and (r['name'] != exact[leaf] or
                                         r['start'] != start or r['size'] != size):
            print('FAIL: %s is 0x%x+0x%x in QEMU, "%s" 0x%x+0x%x in the layout'
                  % (node, start, size, r['name'], r['start'], r['size']))
            fail = 1
print('%s: %d device tree nodes with reg checked' % ('FAIL' if fail else 'PASS', len(regs)))
sys.exit(fail)
PY
