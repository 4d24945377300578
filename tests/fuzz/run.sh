#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build and run the libFuzzer harnesses (tests/fuzz/README).
#
#   run.sh            make check: each harness for a short fixed budget
#                     (FUZZ_RUNS inputs, default 20000, at most
#                     FUZZ_SECONDS, default 30, niced, one fixed seed)
#                     over a copy of its committed seed corpus
#   run.sh long [S]   each harness for S seconds (default 600), new inputs
#                     kept in $top_builddir/tests/fuzz/build/corpus/NAME
#
# Skips (77) when clang cannot link a libFuzzer program (Debian: clang,
# libclang-rt-dev).  A crash leaves its input in tests/fuzz/build/artifacts/
# (reproduce: tests/fuzz/build/fuzz-NAME FILE).
#
# Environment: top_builddir, FUZZ_CC (default clang), FUZZ_RUNS,
# FUZZ_SECONDS, FUZZ_JOBS (make -j for the build, default 2).

set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
: "${top_builddir:=$top_srcdir}"
top_builddir=$(cd "$top_builddir" && pwd)
# everything built or found goes below build/ (never the seed corpus)
out=$top_builddir/tests/fuzz/build
mode=${1:-check}
secs=${2:-600}
: "${FUZZ_CC:=clang}"

if ! command -v "$FUZZ_CC" >/dev/null; then
	echo "SKIP: $FUZZ_CC not found (Debian: apt-get install clang libclang-rt-dev)"
	exit 77
fi
mkdir -p "$out" || exit 99
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return (int)(d && n) & 0; }\n' >"$out/probe.c"
if ! "$FUZZ_CC" -fsanitize=fuzzer,address,undefined -o "$out/probe" "$out/probe.c" 2>"$out/probe.log"; then
	echo "SKIP: $FUZZ_CC cannot link a libFuzzer program (libclang-rt-dev):"
	cat "$out/probe.log"
	exit 77
fi
if ! command -v pkg-config >/dev/null || ! pkg-config --exists json-c; then
	echo "SKIP: json-c not found by pkg-config (nestctl needs it)"
	exit 77
fi
if [ ! -f "$top_builddir/config.h" ]; then
	echo "SKIP: $top_builddir is not configured (no config.h)"
	exit 77
fi
nl=0
if grep -q '^#define HAVE_LIBNL 1' "$top_builddir/config.h"; then
	nl=1
fi

echo "== building the harnesses with $FUZZ_CC"
if ! nice make -s -f "$here/fuzz.mk" -j"${FUZZ_JOBS:-2}" SRC="$top_srcdir" \
	BLD="$top_builddir" O="$out" FUZZ_CC="$FUZZ_CC" NL=$nl \
	JSONC_CFLAGS="$(pkg-config --cflags json-c)" \
	JSONC_LIBS="$(pkg-config --libs json-c)" \
	LIBNL_CFLAGS="$(pkg-config --cflags libnl-3.0 libnl-genl-3.0 2>/dev/null)" \
	LIBNL_LIBS="$(pkg-config --libs libnl-3.0 libnl-genl-3.0 2>/dev/null)"; then
	echo "FAIL: the harnesses do not build"
	exit 1
fi

export FUZZ_SYSFS="$top_srcdir/tests/cli/sysfs"
if [ ! -d "$FUZZ_SYSFS" ]; then
	# a release tarball carries the tree as sysfs.tar (tests/cli)
	for t in "$top_srcdir/tests/cli/sysfs.tar" "$top_builddir/tests/cli/sysfs.tar"; do
		[ -f "$t" ] || continue
		rm -rf "$out/sysfs"
		tar -xf "$t" -C "$out" || exit 99
		FUZZ_SYSFS=$out/sysfs
		break
	done
fi
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1
export ASAN_OPTIONS
mkdir -p "$out/artifacts"
fail=0
for name in plan smmuv3 cli layout; do
	seeds=$here/corpus/$name
	if [ "$mode" = long ]; then
		corpus=$out/corpus/$name
		mkdir -p "$corpus"
		budget="-max_total_time=$secs"
	else
		corpus=$(mktemp -d) || exit 99
		budget="-runs=${FUZZ_RUNS:-20000} -max_total_time=${FUZZ_SECONDS:-30} -seed=1"
	fi
	log=$out/fuzz-$name.$mode.log
	echo "== fuzz-$name ($budget)"
	# shellcheck disable=SC2086
	nice "$out/fuzz-$name" $budget -timeout=10 -rss_limit_mb=2048 \
		-max_len=4096 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$name-" "$corpus" "$seeds" \
		>"$log" 2>&1
	rc=$?
	grep -a -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb)|^#[0-9]+.*DONE' "$log"
	if [ $rc != 0 ]; then
		echo "FAIL: fuzz-$name (exit status $rc):"
		tail -60 "$log"
		fail=1
	fi
	[ "$mode" = long ] || rm -rf "$corpus"
done
[ $fail = 0 ] && echo "PASS: fuzz harnesses"
exit $fail
