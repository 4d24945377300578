#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ABI check of libnestiommu.so:
#  1. the dynamic symbols it defines are exactly the "global:" names of the
#     linker version script lib/libnestiommu.sym, every one carrying a
#     NESTIOMMU_* version;
#  2. every function declared NIO_API in the public headers is in the
#     version script, and every name in the version script is declared
#     NIO_API in a public header.
#
# Run by "make check" (automake exports srcdir); by hand:
#   tests/test-abi.sh [path/to/libnestiommu.so]
# Overrides: NIO_SO, NIO_SYM, NIO_HEADERS (directory), NM.
# Exit status: 0 pass, 1 fail, 77 skip (no nm), 99 hard error.
set -u

srcdir=${srcdir:-$(dirname "$0")}
top_srcdir=${top_srcdir:-$srcdir/..}
# The library is built in the build tree: ../lib from tests/, or lib/ when
# run from the top of an in-tree build.
if [ $# -ge 1 ]; then
	so=$1
elif [ -n "${NIO_SO:-}" ]; then
	so=$NIO_SO
elif [ -e ../lib/.libs/libnestiommu.so ]; then
	so=../lib/.libs/libnestiommu.so
else
	so=$top_srcdir/lib/.libs/libnestiommu.so
fi
sym=${NIO_SYM:-$top_srcdir/lib/libnestiommu.sym}
headers=${NIO_HEADERS:-$top_srcdir/include/nestiommu}
# $NM may carry options (libtool's configure sets "nm -B"): word-split it.
NM=${NM:-nm}
nm_prog=${NM%% *}

if ! command -v "$nm_prog" >/dev/null 2>&1; then
	echo "test-abi: SKIP: $nm_prog not found"
	exit 77
fi
for f in "$so" "$sym"; do
	if [ ! -e "$f" ]; then
		echo "test-abi: ERROR: $f does not exist" >&2
		exit 99
	fi
done
if [ ! -d "$headers" ]; then
	echo "test-abi: ERROR: $headers is not a directory" >&2
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-abi.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

# Defined dynamic symbols, as "name version" (version node symbols, type
# A, are not functions or data and are left out).
# shellcheck disable=SC2086 # NM is a command line
if ! $NM -D --defined-only "$so" >"$tmp/nm.raw" 2>"$tmp/nm.err"; then
	echo "test-abi: ERROR: $NM -D $so failed:" >&2
	cat "$tmp/nm.err" >&2
	exit 99
fi
awk 'NF >= 3 && $2 != "A" {
	name = $3; ver = "";
	i = index(name, "@");
	if (i) { ver = substr(name, i); sub(/^@+/, "", ver); name = substr(name, 1, i - 1) }
	print name, ver
}' "$tmp/nm.raw" | sort -u >"$tmp/exported.ver"
cut -d' ' -f1 "$tmp/exported.ver" | sort -u >"$tmp/exported"

# Global names of the version script (every version node), comments
# (/* */, # and //) removed.
awk '
{
	line = $0
	out = ""
	while (length(line)) {
		if (incomment) {
			e = index(line, "*/")
			if (!e) { line = ""; break }
			line = substr(line, e + 2); incomment = 0
			continue
		}
		s = index(line, "/*")
		if (!s) { out = out line; line = ""; break }
		out = out substr(line, 1, s - 1); line = substr(line, s + 2); incomment = 1
	}
	sub(/#.*/, "", out); sub(/\/\/.*/, "", out)
	gsub(/[{};]/, "\n", out)
	print out
}' "$sym" | awk '
{ gsub(/[ \t]+/, " "); sub(/^ /, ""); sub(/ $/, "") }
$0 == "" { next }
/^global:/ { scope = "g"; sub(/^global: ?/, ""); if ($0 == "") next }
/^local:/ { scope = "l"; next }
scope == "g" { print }
scope != "g" { scope = "" }
' | grep -v '^NESTIOMMU_' | sort -u >"$tmp/script"

# Functions (and objects) declared NIO_API in the public headers.
for h in "$headers"/*.h; do
	awk '
	{
		line = $0; out = ""
		while (length(line)) {
			if (incomment) {
				e = index(line, "*/")
				if (!e) { line = ""; break }
				line = substr(line, e + 2); incomment = 0
				continue
			}
			s = index(line, "/*")
			if (!s) { out = out line; line = ""; break }
			out = out substr(line, 1, s - 1); line = substr(line, s + 2); incomment = 1
		}
		sub(/\/\/.*/, "", out)
		if (out ~ /^[ \t]*#/) { decl = ""; next }
		if (!collecting && out ~ /(^|[^A-Za-z0-9_])NIO_API([^A-Za-z0-9_]|$)/) {
			collecting = 1; decl = ""
		}
		if (!collecting) next
		decl = decl " " out
		if (decl ~ /[(;]/) {
			collecting = 0
			sub(/[(;].*/, "", decl)
			if (match(decl, /[A-Za-z_][A-Za-z0-9_]*[ \t]*(\[[^]]*\])*[ \t]*$/)) {
				name = substr(decl, RSTART, RLENGTH)
				sub(/[ \t\[].*/, "", name)
				print name
			}
		}
	}' "$h"
done | sort -u >"$tmp/header"

fail=0
report() {
	# report FILE MESSAGE
	if [ -s "$1" ]; then
		echo "test-abi: FAIL: $2:"
		sed 's/^/	/' "$1"
		fail=1
	fi
}

comm -23 "$tmp/exported" "$tmp/script" >"$tmp/d1"
report "$tmp/d1" "exported by $so but not in the version script $sym (hidden symbol leaking? missing entry?)"
comm -13 "$tmp/exported" "$tmp/script" >"$tmp/d2"
report "$tmp/d2" "in the version script but not exported by $so (missing NIO_API, removed function, or a typo)"
comm -23 "$tmp/header" "$tmp/script" >"$tmp/d3"
report "$tmp/d3" "declared NIO_API in $headers but missing from the version script"
comm -13 "$tmp/header" "$tmp/script" >"$tmp/d4"
report "$tmp/d4" "in the version script but not declared NIO_API in any public header"
awk '$2 !~ /^NESTIOMMU_/ { print $1 (length($2) ? " @" $2 : " (unversioned)") }' \
	"$tmp/exported.ver" >"$tmp/d5"
report "$tmp/d5" "exported without a NESTIOMMU_* symbol version"

n=$(wc -l <"$tmp/exported" | tr -d ' ')
if [ "$n" -eq 0 ]; then
	echo "test-abi: FAIL: $so exports nothing"
	fail=1
fi
if [ "$fail" -eq 0 ]; then
	echo "test-abi: PASS: $n symbols, version script and headers agree"
fi
exit "$fail"
