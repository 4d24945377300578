#!/bin/sh
# The thread-safety tests under ThreadSanitizer: the library, the fake
# kernel and the race tests built with clang -fsanitize=thread in
# build-tsan/ (a VPATH build of this tree), then tests/test-lib-race and
# the queue and import suites run with TSan halting on the first report.
# make check runs the same race tests without TSan (they fail by their own
# checks when a race is reintroduced); this adds TSan's race reports.
#
# Usage: scripts/tsan.sh   (CI: scripts/test.sh runs it)
# Exit: 0 pass, 1 a test or TSan failed, 77 clang missing.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
CC=${TSAN_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "tsan: SKIP: $CC not found (scripts/install-deps.sh installs clang)"
	exit 77
fi
# The source tree is usually configured in place, which rules out a VPATH
# build: build from a release tarball of the tree as it is (as the ASan
# step of scripts/test.sh does).
[ -f Makefile ] || { echo "tsan: configure the tree first (scripts/build.sh)"; exit 1; }
make dist >/dev/null
tarball=$(ls -t libnestiommu-*.tar.xz | head -n1)
b=$top/build-tsan
rm -rf "$b"
mkdir -p "$b"
tar -xf "$tarball" -C "$b" --strip-components=1
cd "$b"
# no --enable-werror: the warning set is tuned for gcc
CC=$CC CFLAGS="-g -O1" ./configure -q --enable-tsan --disable-dependency-tracking
make -j2 -C lib >make.log 2>&1 || { tail -n 30 make.log; exit 1; }
make -j2 -C tests test-lib-race test-lib-eventq test-lib-import \
	fake-kernel/libfakekernel.la >>make.log 2>&1 || { tail -n 30 make.log; exit 1; }
status=0
for t in test-lib-race test-lib-eventq test-lib-import; do
	echo "== tsan: $t"
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}" \
		NIO_RACE_ITERS=${NIO_RACE_ITERS:-200} "./tests/$t" || status=1
done
[ "$status" = 0 ] && echo "tsan: PASS" || echo "tsan: FAIL"
exit "$status"
