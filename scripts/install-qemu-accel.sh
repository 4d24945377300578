#!/bin/bash
# Unpack QEMU 11.1 for arm64 (qemu-system-aarch64 with
# `-device arm-smmuv3,accel=on`) and its runtime libraries into a private
# root, for the QEMU accel client tier (tests/qemu-accel), which runs it
# inside the arm64 tier's VM. As root; idempotent. Called by
# scripts/install-deps-arm64.sh (which has added the arm64 architecture to
# dpkg and, through scripts/install-deps.sh, trixie and trixie-backports
# with pin 1 to apt, from the archive of the machine's own apt config).
#
# NOTHING IS INSTALLED: bookworm's libraries must stay. Every package is
# `apt-get download`ed and unpacked with `dpkg-deb -x` into
#     /var/cache/nestiommu/qemu-accel-arm64/<version>/root/
# and the part the binary needs is copied to
#     /var/cache/nestiommu/qemu-accel-arm64/<version>/ship/
#         usr/bin/qemu-system-aarch64
#         lib/ld-linux-aarch64.so.1      the root's own dynamic loader
#         lib/*.so*                      every library of the NEEDED closure
#         MANIFEST                       package versions, NEEDED closure
# (current -> <version>). In the VM it runs as
#     ship/lib/ld-linux-aarch64.so.1 --library-path ship/lib \
#         ship/usr/bin/qemu-system-aarch64 ...
#
# Which packages: qemu-system-arm for arm64 from trixie-backports (its
# candidate there, e.g. 1:11.1.3+ds-2~bpo13+1), then the closure of its
# Depends and Pre-Depends, computed with apt-cache from the package lists:
# a dependency with "(= V)" at exactly V, any other one at trixie's
# version (trixie-backports only when trixie has none); the first
# alternative of an "a | b". Not followed (firmware, option ROMs and
# keymaps, Architecture: all, no code): qemu-system-data, ipxe-qemu,
# seabios; the run uses its own -bios, -nographic, no emulated NIC, and
# loads no QEMU module. What is shipped is then decided by readelf: the
# binary's NEEDED sonames, recursively, each resolved inside the root (a
# soname not found there fails the script, naming it); the rest of the
# closure (maintainer tools, documentation, packages whose libraries the
# binary does not load) stays in root/ only.
#
# Also nestctl's arm64 libraries, for a static cross build of nestctl
# (tests/qemu-accel/build-tools.sh): libjson-c-dev, libnl-3-dev and
# libnl-genl-3-dev for arm64 at apt's candidate (bookworm's), downloaded
# and unpacked (headers and static libraries) into
#     /var/cache/nestiommu/arm64-sysroot/<sha of the versions>/
# (current -> it).
#
# Usage: scripts/install-qemu-accel.sh [--refresh]
#   --refresh  look the version up again even if a root is in place
# Environment: NESTIOMMU_CACHE (default /var/cache/nestiommu).
set -euo pipefail

CACHE=${NESTIOMMU_CACHE:-/var/cache/nestiommu}
BASE=$CACHE/qemu-accel-arm64
SUITE=trixie-backports
LIBSUITE=trixie
SKIP_PKGS="qemu-system-data ipxe-qemu seabios"
export DEBIAN_FRONTEND=noninteractive

say() { echo "install-qemu-accel: $*" >&2; }
die() { echo "install-qemu-accel: error: $*" >&2; exit 1; }

REFRESH=0
case ${1:-} in
--refresh) REFRESH=1 ;;
"") ;;
-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
*) die "unknown argument: $1" ;;
esac

SYSROOTS=$CACHE/arm64-sysroot
SYSROOT_PKGS="libjson-c-dev libnl-3-dev libnl-genl-3-dev"
if [ "$REFRESH" = 0 ] && [ -f "$BASE/current/.unpacked" ] &&
   [ -x "$BASE/current/ship/usr/bin/qemu-system-aarch64" ] &&
   [ -f "$SYSROOTS/current/.unpacked" ]; then
	say "already unpacked: $(sed -n 's/^qemu-system-arm //p' "$BASE/current/ship/MANIFEST") in $(readlink -f "$BASE/current") (--refresh to look again)"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "must run as root"
dpkg --print-foreign-architectures | grep -qx arm64 ||
	die "dpkg has no arm64 architecture (scripts/install-deps-arm64.sh adds it)"
for t in apt-get apt-cache dpkg-deb readelf; do
	command -v "$t" >/dev/null || die "$t not found"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/nestiommu-qemu-accel.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# This machine's apt keeps no binary cache (Dir::Cache::pkgcache ""), so
# every apt-cache call would parse all lists again (30 s under load):
# a private cache for the calls of this script.
APTO=(-o "Dir::Cache::pkgcache=$TMP/pkgcache.bin" -o "Dir::Cache::srcpkgcache=$TMP/srcpkgcache.bin")

apt_updated=0
apt_update() {
	[ "$apt_updated" = 1 ] && return 0
	say "apt-get update"
	apt-get update -q >&2
	rm -f "$TMP"/*.bin
	apt_updated=1
}

# the stanzas of the packages named by the apt-cache specs in "$@"; apt
# prints those it finds (first, i.e. newest, stanza of each) and fails
# for the others: the caller checks which it got
show() {
	apt-cache "${APTO[@]}" show "$@" 2>/dev/null || true
}

# --- nestctl's arm64 libraries (static), apt's candidate ---
sysroot() {
	local specs=() p st v a n deb key dir
	for p in $SYSROOT_PKGS; do specs+=("$p:arm64"); done
	st=$(apt-cache "${APTO[@]}" policy "${specs[@]}" 2>/dev/null)
	key=""
	for p in $SYSROOT_PKGS; do
		v=$(printf '%s\n' "$st" | awk -v p="$p:arm64" '$0 == p ":" { f = 1 } f && /Candidate:/ { print $2; exit }')
		[ -n "$v" ] && [ "$v" != "(none)" ] || die "apt has no $p:arm64 (dpkg --add-architecture arm64; apt-get update)"
		key="$key $p=$v"
	done
	dir=$SYSROOTS/$(echo "$key" | sha256sum | cut -c1-12)
	if [ -f "$dir/.unpacked" ]; then
		ln -sfn "$(basename "$dir")" "$SYSROOTS/current"
		return 0
	fi
	mkdir -p "$DEBS_SR"
	chown _apt "$DEBS_SR" 2>/dev/null || true
	specs=()
	for p in $key; do specs+=("${p%%=*}:arm64=${p#*=}"); done
	(cd "$DEBS_SR" && apt-get "${APTO[@]}" download -q "${specs[@]}" >&2) || {
		apt_update
		(cd "$DEBS_SR" && apt-get "${APTO[@]}" download -q "${specs[@]}" >&2)
	}
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	for p in $key; do
		n=${p%%=*} v=${p#*=}
		deb=$DEBS_SR/${n}_$(echo "$v" | sed 's/:/%3a/')_arm64.deb
		[ -s "$deb" ] || die "apt-get download did not produce $deb"
		dpkg-deb -x "$deb" "$dir.tmp"
	done
	echo "$key" >"$dir.tmp/PACKAGES"
	for a in libjson-c.a libnl-3.a libnl-genl-3.a; do
		[ -n "$(find "$dir.tmp" -name "$a")" ] || die "no $a in $key"
	done
	date -u +%FT%TZ >"$dir.tmp/.unpacked"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
	ln -sfn "$(basename "$dir")" "$SYSROOTS/current"
	say "nestctl's arm64 libraries:$key in $dir"
}
DEBS_SR=$CACHE/debs-arm64-sysroot
mkdir -p "$SYSROOTS"
sysroot

qstanza=$(show "qemu-system-arm:arm64/$SUITE")
if [ -z "$qstanza" ]; then
	apt_update
	qstanza=$(show "qemu-system-arm:arm64/$SUITE")
fi
[ -n "$qstanza" ] || die "apt knows no qemu-system-arm for arm64 in $SUITE (run scripts/install-deps.sh: it adds $SUITE)"
QVER=$(printf '%s\n' "$qstanza" | awk -v RS= 'NR==1' | sed -n 's/^Version: //p')
DIR=$BASE/$(echo "$QVER" | sed 's/^[0-9]*://')
if [ -f "$DIR/.unpacked" ] && [ -x "$DIR/ship/usr/bin/qemu-system-aarch64" ]; then
	ln -sfn "$(basename "$DIR")" "$BASE/current"
	say "qemu-system-arm $QVER already unpacked in $DIR"
	exit 0
fi
say "qemu-system-arm $QVER (arm64, $SUITE): computing the Depends closure"

# --- the closure, breadth first, one apt-cache call per round ---
# stanza fields of one package: NAME VERSION ARCH and its dependencies
declare -A SEEN
: >"$TMP/pkgs"          # name version arch
printf '%s\n' "$qstanza" | awk -v RS= 'NR==1' >"$TMP/round"
SEEN[qemu-system-arm]=1
deps_of() {  # stanza file -> "name=exactversion" per line (first alternative)
	sed -n 's/^\(Pre-\)\{0,1\}Depends: //p' "$1" | tr ',' '\n' |
		sed 's/|.*//; s/^ *//; s/ *$//' | grep -v '^$' |
		sed -E 's/^([^ :]+)(:any)?( \((=) ([^)]*)\)| \([^)]*\))?$/\1=\5/'
}
round=0
while [ -s "$TMP/round" ]; do
	round=$((round + 1))
	awk -v RS= '{
		n = v = a = ""
		split($0, L, "\n")
		for (i in L) {
			if (L[i] ~ /^Package: /) n = substr(L[i], 10)
			if (L[i] ~ /^Version: /) v = substr(L[i], 10)
			if (L[i] ~ /^Architecture: /) a = substr(L[i], 15)
		}
		print n, v, a
	}' "$TMP/round" >>"$TMP/pkgs"
	want=()
	while IFS='=' read -r name ver; do
		[ -n "${SEEN[$name]:-}" ] && continue
		SEEN[$name]=1
		case " $SKIP_PKGS " in *" $name "*) echo "$name" >>"$TMP/skipped"; continue ;; esac
		want+=("$name=$ver")
	done < <(deps_of "$TMP/round")
	: >"$TMP/round"
	[ ${#want[@]} -gt 0 ] || break
	# first try: exact versions and trixie's arm64 packages
	specs=()
	for w in "${want[@]}"; do
		n=${w%%=*} v=${w#*=}
		if [ -n "$v" ]; then specs+=("$n:arm64=$v"); else specs+=("$n:arm64/$LIBSUITE"); fi
	done
	show "${specs[@]}" >"$TMP/got"
	# apt prints every version for a name=version spec miss; keep one
	# stanza per package (the first one printed)
	awk -v RS= -v ORS='\n\n' '{ split($0, L, "\n"); p = substr(L[1], 10); if (!(p in s)) { s[p] = 1; print } }' \
		"$TMP/got" >"$TMP/got1"
	got=" $(sed -n 's/^Package: //p' "$TMP/got1" | tr '\n' ' ')"
	cat "$TMP/got1" >>"$TMP/round"
	# the rest: Architecture all, or only in $SUITE, or virtual (fails)
	for w in "${want[@]}"; do
		n=${w%%=*} v=${w#*=}
		case $got in *" $n "*) continue ;; esac
		st=""
		if [ -n "$v" ]; then
			st=$(show "$n=$v" | awk -v RS= '/\nArchitecture: all(\n|$)/ { print; exit }')
		else
			st=$(show "$n/$LIBSUITE" | awk -v RS= '/\nArchitecture: all(\n|$)/ { print; exit }')
			[ -n "$st" ] || st=$(show "$n:arm64/$SUITE" | awk -v RS= 'NR==1')
		fi
		[ -n "$st" ] || die "dependency $n${v:+ (= $v)} of the closure: no arm64 or all package in $LIBSUITE/$SUITE (virtual? then name the provider here)"
		printf '%s\n\n' "$st" >>"$TMP/round"
	done
done
npk=$(wc -l <"$TMP/pkgs")
say "closure: $npk packages in $round rounds (not followed: $(sort -u "$TMP/skipped" 2>/dev/null | tr '\n' ' '))"

# --- download (one apt-get call) and unpack into root/ ---
DEBS=$CACHE/debs-qemu-accel-arm64
mkdir -p "$DEBS"
chown _apt "$DEBS" 2>/dev/null || true
dl=()
while read -r n v a; do
	ev=$(echo "$v" | sed 's/:/%3a/')
	[ -s "$DEBS/${n}_${ev}_${a}.deb" ] && continue
	if [ "$a" = all ]; then dl+=("$n=$v"); else dl+=("$n:$a=$v"); fi
done <"$TMP/pkgs"
if [ ${#dl[@]} -gt 0 ]; then
	say "apt-get download: ${#dl[@]} packages into $DEBS"
	(cd "$DEBS" && apt-get "${APTO[@]}" download -q "${dl[@]}" >&2) || {
		apt_update
		(cd "$DEBS" && apt-get "${APTO[@]}" download -q "${dl[@]}" >&2)
	}
fi

rm -rf "$DIR.tmp"
mkdir -p "$DIR.tmp/root"
while read -r n v a; do
	ev=$(echo "$v" | sed 's/:/%3a/')
	deb=$DEBS/${n}_${ev}_${a}.deb
	[ -s "$deb" ] || die "apt-get download did not produce $deb"
	dpkg-deb -x "$deb" "$DIR.tmp/root"
	echo "$n $v $a"
done <"$TMP/pkgs" >"$DIR.tmp/packages"
R=$DIR.tmp/root
BIN=$R/usr/bin/qemu-system-aarch64
[ -f "$BIN" ] || die "no usr/bin/qemu-system-aarch64 in qemu-system-arm $QVER"
readelf -h "$BIN" | grep -q 'Machine:.*AArch64' || die "$BIN is not an arm64 program"

# --- what the binary needs: NEEDED, recursively, resolved in the root ---
LIBDIRS="$R/usr/lib/aarch64-linux-gnu $R/lib/aarch64-linux-gnu $R/usr/lib $R/lib"
find_lib() {
	for d in $LIBDIRS; do
		[ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 1
}
interp=$(readelf -l "$BIN" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
[ -n "$interp" ] || die "$BIN names no program interpreter"
loader=$(find_lib "$(basename "$interp")") || die "the root has no $(basename "$interp") (libc6 for arm64)"
S=$DIR.tmp/ship
mkdir -p "$S/usr/bin" "$S/lib"
cp "$BIN" "$S/usr/bin/"
cp -L "$loader" "$S/lib/$(basename "$interp")"
todo=$(readelf -d "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
: >"$TMP/needed"
while [ -n "$todo" ]; do
	next=""
	for so in $todo; do
		grep -qx "$so" "$TMP/needed" && continue
		echo "$so" >>"$TMP/needed"
		f=$(find_lib "$so") || die "NEEDED $so is not in the closure's root (a Depends missing from qemu-system-arm?)"
		cp -L "$f" "$S/lib/$so"
		next="$next $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
	done
	todo=$next
done
{
	echo "qemu-system-arm $QVER"
	echo "# packages unpacked into root/ (name version arch):"
	sed 's/^/package /' "$DIR.tmp/packages"
	echo "# not followed: $(sort -u "$TMP/skipped" 2>/dev/null | tr '\n' ' ')"
	echo "# the NEEDED closure of usr/bin/qemu-system-aarch64, copied to lib/:"
	sort "$TMP/needed" | sed 's/^/needed /'
} >"$S/MANIFEST"
date -u +%FT%TZ >"$DIR.tmp/.unpacked"
rm -rf "$DIR"
mv "$DIR.tmp" "$DIR"
ln -sfn "$(basename "$DIR")" "$BASE/current"
say "qemu-system-arm $QVER: root $(du -sm "$DIR/root" | cut -f1) MB ($npk packages), ship $(du -sm "$DIR/ship" | cut -f1) MB ($(wc -l <"$TMP/needed") libraries): $DIR"
say "ok"
