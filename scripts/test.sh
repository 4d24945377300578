#!/bin/sh
# The README's test command: install what is needed, build, and pass every
# test: `make check` (unit tests, ABI check, golden JSON, and the VM tier:
# the kernel's iommufd selftests, the library against the selftest mock
# and a real vfio-pci device, nestiommu.ko), then distcheck, the unit tests
# again under AddressSanitizer and UndefinedBehaviorSanitizer, and the
# thread-safety tests under ThreadSanitizer; the Debian packages are
# built again from the release tarball.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

sh scripts/install-deps.sh
sh scripts/build.sh

echo "== make check (with the VM tier)"
make check || { cat tests/test-suite.log 2>/dev/null; exit 1; }

echo "== make distcheck (the VM tier already ran above)"
NESTIOMMU_VM=skip make distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror

echo "== Debian packages from the release tarball, as a packager builds them"
# With their unit tests (make check's deb tier built with nocheck); the
# same packages must come out as from the source tree.
tarball=$(ls -t libnestiommu-*.tar.xz | head -n1)
sh tests/deb/build-debs.sh "$tarball" tests/deb-out/tarball
diff -u tests/deb-out/v1/contents.txt tests/deb-out/tarball/contents.txt ||
	{ echo "the tarball's packages differ from the source tree's (above)"; exit 1; }

echo "== unit tests under ASan+UBSan (from the release tarball)"
san="$top/build-sanitizers"
rm -rf "$san"
mkdir -p "$san"
tar -xf "$(ls -t libnestiommu-*.tar.xz | head -n1)" -C "$san" --strip-components=1
(cd "$san" && ./configure -q --enable-werror --enable-sanitizers &&
	make -j"$(nproc)" >/dev/null &&
	NESTIOMMU_VM=skip make check) ||
	{ cat "$san"/tests/test-suite.log 2>/dev/null; exit 1; }

echo "== the thread-safety tests under ThreadSanitizer (clang)"
sh scripts/tsan.sh

echo "== all tests passed"
