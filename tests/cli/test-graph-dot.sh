#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Graphviz accepts what "nestctl graph -f dot" prints: every golden DOT
# output (tests/cli/golden/graph-*-dot.out, checked byte for byte by
# test-golden.sh) and a fresh one from a saved plan result go through
# "dot -Tsvg", which must succeed and give an SVG with one node per
# object.  SKIP (77) only when Graphviz's dot is not installed
# (scripts/install-deps.sh installs it).
#
# Environment: NESTCTL (the binary), DOT (default dot).

set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/../..}"
: "${NESTCTL:=$top_builddir/cli/nestctl}"
: "${DOT:=dot}"

if ! command -v "$DOT" >/dev/null 2>&1; then
	echo "SKIP: Graphviz's $DOT is not installed (apt-get install graphviz)"
	exit 77
fi
if [ ! -x "$NESTCTL" ]; then
	echo "SKIP: $NESTCTL not built"
	exit 77
fi
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0

for f in "$here"/golden/graph-*-dot.out; do
	n=$((n + 1))
	if ! "$DOT" -Tsvg "$f" >"$tmp/out.svg" 2>"$tmp/err" || [ -s "$tmp/err" ]; then
		echo "FAIL: dot -Tsvg refuses $(basename "$f"):"; cat "$tmp/err"; fail=1
	fi
done
# A fresh one, from the golden saved apply result (7 objects, 1 IOMMU).
# The release tarball carries the captured sysfs tree as sysfs.tar (its
# symlink loops; see test-golden.sh).
sysfs=$here/sysfs
if [ ! -d "$sysfs" ] && [ -f "$here/sysfs.tar" ]; then
	tar -xf "$here/sysfs.tar" -C "$tmp" || exit 99
	sysfs=$tmp/sysfs
fi
NESTCTL_SYSFS=$sysfs "$NESTCTL" graph -f dot \
	file "$here/golden/apply-nested-smmuv3.out" >"$tmp/g.dot" || fail=1
if "$DOT" -Tsvg "$tmp/g.dot" >"$tmp/g.svg" 2>"$tmp/err" && [ ! -s "$tmp/err" ]; then
	nodes=$(grep -c 'class="node"' "$tmp/g.svg")
	if [ "$nodes" != 8 ]; then
		echo "FAIL: the SVG has $nodes nodes, expected 8"; fail=1
	fi
else
	echo "FAIL: dot -Tsvg refuses nestctl's output:"; cat "$tmp/err" "$tmp/g.dot"; fail=1
fi
n=$((n + 1))
[ $fail = 0 ] && echo "PASS: dot -Tsvg accepts $n DOT outputs of nestctl graph"
exit $fail
