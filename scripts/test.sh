#!/bin/sh
# The README's test command: install what is needed, build, and pass every
# test: `make check` (unit tests, ABI check, golden JSON, and the VM tier:
# the kernel's iommufd selftests, the library against the selftest mock
# and a real vfio-pci device, nestiommu.ko), then distcheck, the unit tests
# again under AddressSanitizer and UndefinedBehaviorSanitizer, and the
# thread-safety tests under ThreadSanitizer; the Debian packages are
# built again from the release tarball.
#
# What CI prints (.ci/run runs this) says what ran: make check's own
# PASS/FAIL line per test, then each tier's summary copied from its log
# (the VM tier: every suite's status, wall time and counts, the kernel
# selftest's Totals lines; the Debian package tier's times), and at the
# end the wall time of every step.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

times=""
step_start=$(date +%s)
all_start=$step_start
# step_done NAME: record the wall time of the step that just ended
step_done() {
	now=$(date +%s)
	times="$times$(printf '  %-44s %5d s' "$1" $((now - step_start)))
"
	step_start=$now
}
# what make check's tiers say about themselves, from their logs
tier_summaries() {
	if [ -f tests/vm-tier.sh.log ]; then
		echo "== VM tier (tests/vm-tier.sh.log)"
		sed -n '/^==== VM tier: every suite/,/^==== VM tier: end/p' tests/vm-tier.sh.log
		grep -E '^(SKIP|FAIL):' tests/vm-tier.sh.log || true
	fi
	if [ -f tests/deb-tier.sh.log ]; then
		echo "== Debian package tier (tests/deb-tier.sh.log)"
		grep -E '^deb-tier:|^(SKIP|FAIL):' tests/deb-tier.sh.log || true
	fi
}

sh scripts/install-deps.sh
step_done "install-deps"
sh scripts/build.sh
step_done "build"

echo "== make check (with the VM tier)"
make check || { cat tests/test-suite.log 2>/dev/null; tier_summaries; exit 1; }
step_done "make check (unit, fuzz, VM and Debian tiers)"
tier_summaries

echo "== make distcheck (the VM tier already ran above)"
NESTIOMMU_VM=skip make distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror
step_done "make distcheck"

echo "== Debian packages from the release tarball, as a packager builds them"
# With their unit tests (make check's deb tier built with nocheck); the
# same packages must come out as from the source tree.
tarball=$(ls -t libnestiommu-*.tar.xz | head -n1)
sh tests/deb/build-debs.sh "$tarball" tests/deb-out/tarball
diff -u tests/deb-out/v1/contents.txt tests/deb-out/tarball/contents.txt ||
	{ echo "the tarball's packages differ from the source tree's (above)"; exit 1; }
step_done "Debian packages from the tarball"

echo "== unit tests under ASan+UBSan (from the release tarball)"
san="$top/build-sanitizers"
rm -rf "$san"
mkdir -p "$san"
tar -xf "$(ls -t libnestiommu-*.tar.xz | head -n1)" -C "$san" --strip-components=1
(cd "$san" && ./configure -q --enable-werror --enable-sanitizers &&
	make -j"$(nproc)" >/dev/null &&
	NESTIOMMU_VM=skip make check) ||
	{ cat "$san"/tests/test-suite.log 2>/dev/null; exit 1; }
step_done "unit tests under ASan+UBSan"

echo "== the thread-safety tests under ThreadSanitizer (clang)"
sh scripts/tsan.sh
step_done "ThreadSanitizer tests"

echo "== wall time per step"
printf '%s' "$times"
printf '  %-44s %5d s\n' "total" $(($(date +%s) - all_start))
echo "== all tests passed"
