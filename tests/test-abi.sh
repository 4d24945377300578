#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ABI check of the two libraries, libnestiommu.so (needs only libc) and
# libnestiommu-smmu.so (the nestiommu.ko client, built when configure finds
# libnl-3).  For each:
#  1. the committed ABI list (lib/libnestiommu.abi,
#     lib/smmu/libnestiommu-smmu.abi: "symbol VERSION" lines) is exactly
#     the set of dynamic symbols the built library defines, with the same
#     version nodes (a removed, renamed or re-versioned symbol fails);
#  2. it is exactly the "global:" names of the linker version script, each
#     in the same version node;
#  3. it is exactly the set of functions declared NIO_API in that
#     library's public headers;
#  4. every symbol is named in the NAME section of a man page in man/;
# and libnestiommu.so needs nothing but libc (and the sanitizer runtimes
# when built with them).  2 to 4 need no build: they run even when
# libnestiommu-smmu was not built (no libnl-3), which is said.
#
# Run by "make check" (automake exports srcdir); by hand from the build
# tree: tests/test-abi.sh.  Overrides: NIO_LIBDIR (directory with the built
# .so files), NM, READELF.
# Exit status: 0 pass, 1 fail, 77 skip (no nm), 99 hard error.
set -u

srcdir=${srcdir:-$(dirname "$0")}
top_srcdir=${top_srcdir:-$srcdir/..}
# The libraries are built in the build tree: ../lib from tests/, or lib/
# when run from the top of an in-tree build.
if [ -n "${NIO_LIBDIR:-}" ]; then
	libdir=$NIO_LIBDIR
elif [ -e ../lib/.libs/libnestiommu.so ]; then
	libdir=../lib/.libs
else
	libdir=$top_srcdir/lib/.libs
fi
hdrdir=$top_srcdir/include/nestiommu
mandir=$top_srcdir/man
# $NM may carry options (libtool's configure sets "nm -B"): word-split it.
NM=${NM:-nm}
nm_prog=${NM%% *}
READELF=${READELF:-readelf}

if ! command -v "$nm_prog" >/dev/null 2>&1; then
	echo "test-abi: SKIP: $nm_prog not found"
	exit 77
fi
if [ ! -e "$libdir/libnestiommu.so" ]; then
	echo "test-abi: ERROR: $libdir/libnestiommu.so does not exist" >&2
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-abi.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

fail=0
report() {
	# report FILE MESSAGE
	if [ -s "$1" ]; then
		echo "test-abi: FAIL: $2:"
		sed 's/^/	/' "$1"
		fail=1
	fi
}

# Comments (/* */, # and //) stripped from a C header or version script.
strip_comments() {
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
		print out
	}' "$1"
}

# Global names of a version script as "name NODE".
script_symbols() {
	strip_comments "$1" | sed 's/#.*//' | awk '
	{ gsub(/[{};]/, " & "); for (i = 1; i <= NF; i++) print $i }' | awk '
	$0 == "{" { depth++; scope = ""; next }
	$0 == "}" { depth--; node = ""; scope = ""; next }
	$0 == ";" { next }
	depth == 0 { node = $0; next }
	$0 == "global:" { scope = "g"; next }
	$0 == "local:" { scope = "l"; next }
	scope == "g" { print $0, node }
	' | sort -u
}

# Functions (and objects) declared NIO_API in the given headers.
header_symbols() {
	for h in "$@"; do
		strip_comments "$h" | awk '
		/^[ \t]*#/ { decl = ""; next }
		{
			if (!collecting && $0 ~ /(^|[^A-Za-z0-9_])NIO_API([^A-Za-z0-9_]|$)/) {
				collecting = 1; decl = ""
			}
			if (!collecting) next
			decl = decl " " $0
			if (decl ~ /[(;]/) {
				collecting = 0
				sub(/[(;].*/, "", decl)
				if (match(decl, /[A-Za-z_][A-Za-z0-9_]*[ \t]*(\[[^]]*\])*[ \t]*$/)) {
					name = substr(decl, RSTART, RLENGTH)
					sub(/[ \t\[].*/, "", name)
					print name
				}
			}
		}'
	done | sort -u
}

# Names in the NAME sections of the man pages.
man_names() {
	for m in "$mandir"/*.3; do
		awk '/^\.SH NAME/ { f = 1; next } /^\.SH/ { f = 0 } f' "$m"
	done | tr -c 'A-Za-z0-9_\n' '\n' | grep . | sort -u
}
man_names >"$tmp/man"

# check_lib LABEL SO ABI SCRIPT HEADER...
check_lib() {
	label=$1 so=$2 abi=$3 sym=$4
	shift 4
	for f in "$abi" "$sym" "$@"; do
		if [ ! -e "$f" ]; then
			echo "test-abi: ERROR: $f does not exist" >&2
			exit 99
		fi
	done
	d=$tmp/$label
	mkdir -p "$d"
	grep -v '^[[:space:]]*#' "$abi" | awk 'NF { print $1, $2 }' | sort -u >"$d/abi"
	cut -d' ' -f1 "$d/abi" >"$d/abi.names"
	script_symbols "$sym" >"$d/script"
	header_symbols "$@" >"$d/header"

	if [ -n "$so" ]; then
		# Defined dynamic symbols as "name VERSION" (version node
		# symbols, type A, are left out).
		# shellcheck disable=SC2086 # NM is a command line
		if ! $NM -D --defined-only "$so" >"$d/nm.raw" 2>"$d/nm.err"; then
			echo "test-abi: ERROR: $NM -D $so failed:" >&2
			cat "$d/nm.err" >&2
			exit 99
		fi
		awk 'NF >= 3 && $2 != "A" {
			name = $3; ver = "(unversioned)";
			i = index(name, "@");
			if (i) { ver = substr(name, i); sub(/^@+/, "", ver); name = substr(name, 1, i - 1) }
			print name, ver
		}' "$d/nm.raw" | sort -u >"$d/exported"
		comm -23 "$d/exported" "$d/abi" >"$d/d1"
		report "$d/d1" "$label: exported by $so but not in the ABI list $abi (new symbol not added? hidden symbol leaking? wrong version node?)"
		comm -13 "$d/exported" "$d/abi" >"$d/d2"
		report "$d/d2" "$label: in the ABI list $abi but not exported by $so (removed or re-versioned: an ABI break)"
	fi
	comm -3 "$d/script" "$d/abi" >"$d/d3"
	report "$d/d3" "$label: version script $sym and ABI list $abi differ (name and version node)"
	comm -3 "$d/header" "$d/abi.names" >"$d/d4"
	report "$d/d4" "$label: NIO_API declarations in $* and ABI list $abi differ"
	comm -23 "$d/abi.names" "$tmp/man" >"$d/d5"
	report "$d/d5" "$label: no man page in $mandir names these in its NAME section"
	n=$(wc -l <"$d/abi" | tr -d ' ')
	if [ "$n" -eq 0 ]; then
		echo "test-abi: FAIL: $label: the ABI list $abi is empty"
		fail=1
	fi
	echo "test-abi: $label: $n symbols checked${so:+ against $so}"
}

main_headers=$(ls "$hdrdir"/*.h | grep -v '/smmu\.h$')
# shellcheck disable=SC2086 # a list of paths without blanks
check_lib libnestiommu "$libdir/libnestiommu.so" "$top_srcdir/lib/libnestiommu.abi" \
	"$top_srcdir/lib/libnestiommu.sym" $main_headers

if [ -e "$libdir/libnestiommu-smmu.so" ]; then
	smmu_so=$libdir/libnestiommu-smmu.so
else
	smmu_so=
	echo "test-abi: libnestiommu-smmu was not built (configure found no libnl-3): its list, script, header and man page are checked, not its exports"
fi
check_lib libnestiommu-smmu "$smmu_so" "$top_srcdir/lib/smmu/libnestiommu-smmu.abi" \
	"$top_srcdir/lib/smmu/libnestiommu-smmu.sym" "$hdrdir/smmu.h"

# libnestiommu needs only libc (the sanitizer runtimes when built with them).
if command -v "$READELF" >/dev/null 2>&1; then
	"$READELF" -d "$libdir/libnestiommu.so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
		grep -Ev '^(libc\.so\.[0-9]+|ld-linux[-a-z0-9_.]*\.so\.[0-9]+|lib(asan|ubsan|tsan)\.so\.[0-9]+)$' >"$tmp/needed"
	report "$tmp/needed" "libnestiommu.so needs more than libc"
else
	echo "test-abi: $READELF not found: the libc-only check of libnestiommu.so is not run"
fi

if [ "$fail" -eq 0 ]; then
	echo "test-abi: PASS: exports, ABI lists, version scripts, headers and man pages agree"
fi
exit "$fail"
