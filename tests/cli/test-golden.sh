#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Golden tests of nestctl: for each golden/NAME.cmd run nestctl with the
# arguments of its non-comment line (evaluated by sh, in golden/) and
# compare standard output with golden/NAME.out, the exit status with
# "#rc N" (default 0) and, when golden/NAME.err exists, standard error.
#
# Directives in NAME.cmd:
#   #rc N          expected exit status
#   #env VAR=VAL   environment (VAL may use @SRC@ for this directory)
#   #fake          needs the fake kernel: LD_PRELOAD=$FAKEKERNEL (the
#                  preloadable double of tests/fake-kernel); skipped when
#                  FAKEKERNEL is unset
#   #stdin FILE    feed FILE (relative to golden/) on standard input
#
# The path of this directory is written as @SRC@ in the outputs.
# GOLDEN_UPDATE=1 rewrites the .out (and existing .err) files.
# GOLDEN_ONLY=GLOB runs only the cases whose name matches GLOB.
#
# Environment: NESTCTL (the binary), FAKEKERNEL (libfakekernel.so).

set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/../..}"
: "${NESTCTL:=$top_builddir/cli/nestctl}"
case $NESTCTL in /*) ;; *) NESTCTL=$(pwd)/$NESTCTL ;; esac
: "${FAKEKERNEL:=$top_builddir/tests/fake-kernel/.libs/libfakekernel.so}"
case $FAKEKERNEL in /*) ;; *) FAKEKERNEL=$(pwd)/$FAKEKERNEL ;; esac
gdir=$here/golden

if [ ! -x "$NESTCTL" ]; then
	echo "SKIP: $NESTCTL not built"
	exit 77
fi

# Sanitizer builds: the preloaded fake must not trip ASan's link order check.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=1
export ASAN_OPTIONS

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

# The captured sysfs tree has symlink loops, which the release tarball
# cannot hold as a tree (automake's tar follows links): it ships sysfs.tar.
sysfs=$here/sysfs
if [ ! -d "$sysfs" ] && [ -f "$here/sysfs.tar" ]; then
	tar -xf "$here/sysfs.tar" -C "$tmp" || exit 99
	sysfs=$tmp/sysfs
fi
pass=0 fail=0 skip=0

for cmd in "$gdir"/*.cmd; do
	name=$(basename "$cmd" .cmd)
	# shellcheck disable=SC2254
	case $name in ${GOLDEN_ONLY:-*}) ;; *) continue ;; esac
	want_rc=$(sed -n 's/^#rc //p' "$cmd")
	want_rc=${want_rc:-0}
	envs=$(sed -n 's/^#env //p' "$cmd" |
		sed "s|@SRC@/sysfs|$sysfs|g; s|@SRC@|$here|g" | tr '\n' ' ')
	stdin=$(sed -n 's/^#stdin //p' "$cmd")
	args=$(grep -v '^#' "$cmd")
	preload=
	if grep -q '^#fake' "$cmd"; then
		if [ -z "$FAKEKERNEL" ] || [ ! -e "$FAKEKERNEL" ]; then
			echo "SKIP: $name (no FAKEKERNEL)"
			skip=$((skip + 1))
			continue
		fi
		preload="LD_PRELOAD=$FAKEKERNEL"
	fi
	(
		cd "$gdir" || exit 99
		if [ -n "$stdin" ]; then exec <"$stdin"; else exec </dev/null; fi
		eval "env $envs $preload \"\$NESTCTL\" $args"
	) >"$tmp/out" 2>"$tmp/err"
	rc=$?
	sed -i "s|$sysfs|@SRC@/sysfs|g; s|$here|@SRC@|g" "$tmp/out" "$tmp/err"
	if [ "${GOLDEN_UPDATE:-}" = 1 ]; then
		cp "$tmp/out" "$gdir/$name.out"
		[ -e "$gdir/$name.err" ] && cp "$tmp/err" "$gdir/$name.err"
	fi
	ok=1
	if [ "$rc" != "$want_rc" ]; then
		echo "FAIL: $name: exit status $rc, expected $want_rc"
		ok=0
	fi
	if ! diff -u "$gdir/$name.out" "$tmp/out" >"$tmp/diff" 2>&1; then
		echo "FAIL: $name: standard output differs:"
		cat "$tmp/diff"
		ok=0
	fi
	if [ -e "$gdir/$name.err" ]; then
		if ! diff -u "$gdir/$name.err" "$tmp/err" >"$tmp/diff"; then
			echo "FAIL: $name: standard error differs:"
			cat "$tmp/diff"
			ok=0
		fi
	elif grep -q 'Sanitizer\|runtime error' "$tmp/err"; then
		echo "FAIL: $name: sanitizer report:"
		cat "$tmp/err"
		ok=0
	fi
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done

echo "golden: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ] || exit 1
[ $pass = 0 ] && exit 77
exit 0
