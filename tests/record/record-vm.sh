#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Host side of tests/record/record-session.sh: build nestiommu.ko against
# the cached testbed kernel, boot the VM with nestctl, rec-vmm and
# libnestiommu-record.so, record sessions there and replay them in the
# same VM.  Needs a configured, built tree.  Exit status: the payload's.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:=$top}"
case $top_builddir in /*) ;; *) top_builddir=$(pwd)/$top_builddir ;; esac
kbuild=$("$top/tests/vm/build-kernel.sh")
nestctl=$top_builddir/cli/.libs/nestctl
[ -x "$nestctl" ] || nestctl=$top_builddir/cli/nestctl
rec=$top_builddir/record/.libs/libnestiommu-record.so
vmm=$top_builddir/tests/record/rec-vmm
for f in "$nestctl" "$rec" "$vmm"; do
	[ -e "$f" ] || { echo "SKIP: $f is not built"; exit 77; }
done
make -s -C "$kbuild" M="$top/kernel" -j2 modules
# nio_vmm, the module tier's VMM-like test through the library
extra=
if make -s -C "$top/tests/module" -f Makefile.nio KBUILD="$kbuild" >/dev/null 2>&1 &&
   [ -x "$top/tests/module/build/nio_vmm" ]; then
	extra="--prog $top/tests/module/build/nio_vmm:/usr/local/bin/nio_vmm"
fi

# $extra is split on purpose (empty, or --prog and its argument).
# shellcheck disable=SC2086
# The libtool binaries find libnestiommu.so.1 through LD_LIBRARY_PATH; the
# initramfs builder copies what ldd resolves.
LD_LIBRARY_PATH="$top_builddir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
exec "$top/tests/vm/run-vm.sh" --timeout 900 \
	--kernel "$kbuild/arch/x86/boot/bzImage" \
	--prog "$nestctl:/usr/local/bin/nestctl" \
	--prog "$vmm:/usr/local/bin/rec-vmm" \
	--file "$rec:/t/libnestiommu-record.so" \
	--file "$top/kernel/nestiommu.ko:/lib/nestiommu.ko" \
	--file "$top/examples/nested-session.json:/t/nested-session.json" \
	--file "$top/tests/record/record-session.sh:/t/record-session.sh" $extra \
	-- sh /t/record-session.sh
