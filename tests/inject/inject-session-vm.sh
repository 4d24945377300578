#!/bin/sh
# VM tier: nestctl's fault injection (nestctl smmu inject) against a VMM
# kept by "nestctl apply ... keep", in the testbed VM (inject-session.sh).
# Builds nestiommu.ko against the cached testbed kernel; needs a
# configured, built tree (nestctl with libnestiommu-smmu).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -x "$top/cli/.libs/nestctl" ] && [ ! -x "$top/cli/nestctl" ]; then
	echo "inject-session-vm.sh: nestctl is not built (make first)" >&2
	exit 1
fi
prog=$top/cli/.libs/nestctl
[ -x "$prog" ] || prog=$top/cli/nestctl
kbuild=$("$top/tests/vm/build-kernel.sh")
make -s -C "$kbuild" M="$top/kernel" -j2 modules

# The libtool binary finds the libraries through LD_LIBRARY_PATH; the
# initramfs builder copies what ldd resolves.
LD_LIBRARY_PATH="$top/lib/.libs" exec "$top/tests/vm/run-vm.sh" --timeout 600 \
	--kernel "$kbuild/arch/x86/boot/bzImage" \
	--prog "$prog:/usr/local/bin/nestctl" \
	--file "$top/kernel/nestiommu.ko:/lib/nestiommu.ko" \
	--dir "$top/examples:/etc/nestiommu/examples" \
	--file "$top/tests/inject/inject-session.sh:/usr/local/bin/inject-session.sh" \
	-- sh /usr/local/bin/inject-session.sh
