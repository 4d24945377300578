#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Host side of tests/cli/vm-guest-layout.sh (guest-layout and graph on
# real devices): build nestiommu.ko against the
# cached testbed kernel and boot the VM (its e1000e behind the emulated
# VT-d, bound to vfio-pci) with nestctl and the module.
# Needs a configured, built tree.  Exit status: the payload's (77 = skip).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:=$top}"
case $top_builddir in /*) ;; *) top_builddir=$(pwd)/$top_builddir ;; esac
kbuild=$("$top/tests/vm/build-kernel.sh")
nestctl=$top_builddir/cli/.libs/nestctl
[ -x "$nestctl" ] || nestctl=$top_builddir/cli/nestctl
[ -x "$nestctl" ] || { echo "SKIP: nestctl is not built"; exit 77; }
make -s -C "$kbuild" M="$top/kernel" -j2 modules

# The libtool binary finds its libraries through LD_LIBRARY_PATH; the
# initramfs builder copies what ldd resolves.
LD_LIBRARY_PATH="$top_builddir/lib/.libs" exec "$top/tests/vm/run-vm.sh" \
	--timeout 600 --kernel "$kbuild/arch/x86/boot/bzImage" \
	--prog "$nestctl:/usr/local/bin/nestctl" \
	--file "$top/kernel/nestiommu.ko:/lib/nestiommu.ko" \
	--file "$top/tests/cli/vm-guest-layout.sh:/t/vm-guest-layout.sh" \
	--file "$top/examples/nested-session.json:/t/nested-session.json" \
	-- sh /t/vm-guest-layout.sh
