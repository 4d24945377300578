#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Host side of tests/cli/audit-session.sh: boot the testbed VM with nestctl,
# nestiommu.ko and the examples, and check the JSON of "nestctl smmu audit"
# and "nestctl events watch audit" for a guest that forgets a TLBI.
# Needs a configured, built tree with libnestiommu-smmu (else SKIP, 77).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:=$top}"
case $top_builddir in /*) ;; *) top_builddir=$(pwd)/$top_builddir ;; esac
nestctl=$top_builddir/cli/.libs/nestctl
[ -x "$nestctl" ] || nestctl=$top_builddir/cli/nestctl
[ -x "$nestctl" ] || { echo "SKIP: nestctl is not built"; exit 77; }
[ -e "$top_builddir/lib/.libs/libnestiommu-smmu.so" ] ||
	{ echo "SKIP: libnestiommu-smmu is not built (no libnl-3 at configure time)"; exit 77; }
kbuild=$("$top/tests/vm/build-kernel.sh")
make -s -C "$kbuild" M="$top/kernel" -j2 modules
LD_LIBRARY_PATH="$top_builddir/lib/.libs" exec "$top/tests/vm/run-vm.sh" \
	--timeout 600 --kernel "$kbuild/arch/x86/boot/bzImage" \
	--prog "$nestctl:/usr/local/bin/nestctl" \
	--file "$top/kernel/nestiommu.ko:/lib/nestiommu.ko" \
	--dir "$top/examples:/etc/nestiommu/examples" \
	--dir "$top/tests/cli/audit:/t/audit" \
	--file "$top/tests/cli/audit-session.sh:/t/audit-session.sh" \
	-- sh /t/audit-session.sh
