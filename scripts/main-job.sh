#!/bin/sh
# The README's main job: install what is needed, build, boot the testbed
# VM and run a complete nested session in it (examples/nested-session.sh),
# printing nestctl's JSON.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

sh scripts/install-deps.sh
sh scripts/build.sh
kbuild=$(tests/vm/build-kernel.sh)
make -s -C "$kbuild" M="$top/kernel" -j"$(nproc)" modules

# The libtool binary finds libnestiommu.so.1 through LD_LIBRARY_PATH; the
# initramfs builder copies what ldd resolves.
LD_LIBRARY_PATH="$top/lib/.libs" exec tests/vm/run-vm.sh --timeout 600 \
	--kernel "$kbuild/arch/x86/boot/bzImage" \
	--prog "$top/cli/.libs/nestctl:/usr/local/bin/nestctl" \
	--file "$top/kernel/nestiommu.ko:/lib/nestiommu.ko" \
	--dir "$top/examples:/etc/nestiommu/examples" \
	-- sh /etc/nestiommu/examples/nested-session.sh
