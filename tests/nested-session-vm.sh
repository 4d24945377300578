#!/bin/sh
# Run examples/nested-session.sh (the README's main job) in the testbed VM:
# build nestiommu.ko against the cached testbed kernel, boot, print
# nestctl's JSON.  Needs a configured, built tree (scripts/build.sh).
# --full (or NESTIOMMU_FULL=1) prints every decoded ID register field.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
full=${NESTIOMMU_FULL:-0}
for a in "$@"; do
	case $a in
	--full) full=1 ;;
	*) echo "nested-session-vm.sh: unknown argument $a (known: --full)" >&2; exit 2 ;;
	esac
done
kbuild=$("$top/tests/vm/build-kernel.sh")
make -s -C "$kbuild" M="$top/kernel" -j"$(nproc)" modules

# The libtool binary finds libnestiommu.so.1 through LD_LIBRARY_PATH; the
# initramfs builder copies what ldd resolves.
LD_LIBRARY_PATH="$top/lib/.libs" exec "$top/tests/vm/run-vm.sh" --timeout 600 \
	--kernel "$kbuild/arch/x86/boot/bzImage" \
	--prog "$top/cli/.libs/nestctl:/usr/local/bin/nestctl" \
	--file "$top/kernel/nestiommu.ko:/lib/nestiommu.ko" \
	--dir "$top/examples:/etc/nestiommu/examples" \
	-- env NESTIOMMU_FULL="$full" sh /etc/nestiommu/examples/nested-session.sh
