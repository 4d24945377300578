#!/bin/sh
# Install what the arm64 tier (tests/arm64) needs on Debian 12 (bookworm),
# as root. Idempotent: a second run changes nothing and takes seconds.
# Called by scripts/install-deps.sh, which has already added
# bookworm-backports (pin 100), trixie and trixie-backports (pin 1) to apt.
#
#  - gcc-aarch64-linux-gnu, libc6-dev-arm64-cross: from bookworm (apt-get
#    install; the default candidate is bookworm's, pin 500). And
#    qemu-efi-aarch64 (bookworm, Architecture all: QEMU_EFI.fd), the UEFI
#    firmware of the QEMU accel tier's full Linux guest.
#  - qemu-system-aarch64 10.0 from bookworm-backports (nested SMMUv3 stage
#    needs QEMU >= 9.1; bookworm has 7.2). NOT installed: `apt-get -s install
#    -t bookworm-backports qemu-system-arm` would also upgrade
#    qemu-system-x86, qemu-system-common, qemu-system-data and seabios (the
#    x86 tier's emulator). Instead `apt-get download` of qemu-system-arm and
#    `dpkg-deb -x` into
#       /var/cache/nestiommu/qemu-arm/<version>/usr/bin/qemu-system-aarch64
#    with /var/cache/nestiommu/qemu-arm/current -> <version>. Its shared
#    libraries are bookworm's (its Depends are all satisfied by bookworm;
#    missing ones are installed from bookworm, never a newer suite) and
#    checked with ldd. The tier boots with -kernel and romfile= (no
#    firmware, no option ROM), so qemu-system-data is not needed.
#  - QEMU 11.1 for arm64 and nestctl's arm64 libraries, unpacked, never
#    installed: scripts/install-qemu-accel.sh (the QEMU accel client tier).
#  - busybox-static:arm64 for the initramfs: `dpkg --add-architecture
#    arm64` (so apt can see arm64 packages; nothing arm64 is installed),
#    `apt-get download` and `dpkg-deb -x` into
#       /var/cache/nestiommu/busybox-arm64/<version>/bin/busybox
#    with /var/cache/nestiommu/busybox-arm64/current -> <version>.
#
# Usage: scripts/install-deps-arm64.sh [--refresh]
#   --refresh  look the versions up again even when everything is in place
#              (otherwise a complete installation returns at once)
# Environment: NESTIOMMU_CACHE (default /var/cache/nestiommu).
set -eu

CACHE=${NESTIOMMU_CACHE:-/var/cache/nestiommu}
QEMU_SUITE=bookworm-backports
export DEBIAN_FRONTEND=noninteractive

say() { echo "install-deps-arm64: $*" >&2; }
die() { echo "install-deps-arm64: error: $*" >&2; exit 1; }

REFRESH=0
case ${1:-} in
--refresh) REFRESH=1; REFRESH_ARG=--refresh ;;
"") ;;
-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
*) die "unknown argument: $1" ;;
esac

[ "$(id -u)" = 0 ] || die "must run as root"

# fast path: everything in place and working
if [ "$REFRESH" = 0 ] &&
   dpkg-query -W -f='${Status}' gcc-aarch64-linux-gnu 2>/dev/null | grep -q 'install ok installed' &&
   dpkg-query -W -f='${Status}' libc6-dev-arm64-cross 2>/dev/null | grep -q 'install ok installed' &&
   dpkg-query -W -f='${Status}' qemu-efi-aarch64 2>/dev/null | grep -q 'install ok installed' &&
   dpkg --print-foreign-architectures | grep -qx arm64 &&
   [ -f "$CACHE/busybox-arm64/current/.unpacked" ] &&
   [ -f "$CACHE/qemu-arm/current/.unpacked" ] &&
   ! ldd "$CACHE/qemu-arm/current/usr/bin/qemu-system-aarch64" | grep -q 'not found' &&
   "$CACHE/qemu-arm/current/usr/bin/qemu-system-aarch64" --version >/dev/null 2>&1 &&
   bash "$(dirname "$0")/install-qemu-accel.sh"; then
	say "already installed: $("$CACHE/qemu-arm/current/usr/bin/qemu-system-aarch64" --version | head -n1), busybox-static:arm64 $(basename "$(readlink "$CACHE/busybox-arm64/current")"), $(aarch64-linux-gnu-gcc --version | head -n1) (--refresh to look again)"
	exit 0
fi
command -v apt-get >/dev/null || die "apt-get not found (Debian 12 expected)"

apt_updated=0
apt_update() {
	[ "$apt_updated" = 1 ] && return 0
	apt-get update -q >&2
	apt_updated=1
}

# apt can see $1 (a package name, optionally with /suite or :arch)
have_candidate() {
	apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [^(]'
}

# --- 1. cross compiler from bookworm ---
missing=""
for p in gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-efi-aarch64; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing$missing (bookworm)"
	apt-get install -y -q --no-install-recommends $missing >&2 || {
		apt_update
		apt-get install -y -q --no-install-recommends $missing >&2
	}
fi
# the candidate must have been bookworm's (pin 500), never trixie's
v=$(dpkg-query -W -f='${Version}' libc6-dev-arm64-cross)
case $v in 2.36-*) ;; *) die "libc6-dev-arm64-cross $v is not bookworm's (2.36)" ;; esac

# --- 2. arm64 architecture for apt-get download of busybox-static:arm64 ---
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	say "dpkg --add-architecture arm64 (nothing arm64 is installed; apt only lists it)"
	dpkg --add-architecture arm64
	apt_updated=0
	apt_update
fi
if ! have_candidate busybox-static:arm64; then
	apt_update
fi
have_candidate busybox-static:arm64 || die "apt has no busybox-static:arm64"

DEBS="$CACHE/debs-arm64"
mkdir -p "$DEBS"
chown _apt "$DEBS" 2>/dev/null || true

# fetch PKG (apt-get download spec) into $DEBS unless VERSION is there;
# prints the .deb path. $1 spec, $2 name, $3 arch, $4 version
fetch_deb() {
	ev=$(echo "$4" | sed 's/:/%3a/')
	deb="$DEBS/${2}_${ev}_${3}.deb"
	if [ ! -s "$deb" ]; then
		(cd "$DEBS" && apt-get download -q "$1" >&2) || {
			apt_update
			(cd "$DEBS" && apt-get download -q "$1" >&2)
		}
	fi
	[ -s "$deb" ] || die "apt-get download $1 did not produce $deb"
	echo "$deb"
}

# unpack DEB into DIR (atomically), point DIR/../current at it
unpack() {
	deb=$1 dir=$2
	if [ ! -f "$dir/.unpacked" ]; then
		rm -rf "$dir" "$dir.tmp"
		mkdir -p "$dir.tmp"
		dpkg-deb -x "$deb" "$dir.tmp"
		date -u +%FT%TZ >"$dir.tmp/.unpacked"
		mv "$dir.tmp" "$dir"
	fi
	ln -sfn "$(basename "$dir")" "$(dirname "$dir")/current"
}

# --- 3. busybox-static:arm64 ---
bbver=$(apt-cache policy busybox-static:arm64 | sed -n 's/^ *Candidate: //p')
bbdeb=$(fetch_deb "busybox-static:arm64=$bbver" busybox-static arm64 "$bbver")
unpack "$bbdeb" "$CACHE/busybox-arm64/$(echo "$bbver" | sed 's/^[0-9]*://')"
BB="$CACHE/busybox-arm64/current/bin/busybox"
[ -x "$BB" ] || die "no $BB after unpacking $bbdeb"
readelf -h "$BB" | grep -q 'Machine:.*AArch64' || die "$BB is not an arm64 program"
if readelf -l "$BB" | grep -q INTERP; then die "$BB is not statically linked"; fi
say "busybox-static:arm64 $bbver: $BB"

# --- 4. qemu-system-aarch64 from bookworm-backports, unpacked ---
if ! apt-cache show "qemu-system-arm/$QEMU_SUITE" >/dev/null 2>&1; then
	apt_update
fi
qver=$(apt-cache show "qemu-system-arm/$QEMU_SUITE" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
[ -n "$qver" ] || die "no qemu-system-arm in $QEMU_SUITE (is it in apt's sources? run scripts/install-deps.sh)"
qdeb=$(fetch_deb "qemu-system-arm/$QEMU_SUITE" qemu-system-arm amd64 "$qver")
QDIR="$CACHE/qemu-arm/$(echo "$qver" | sed 's/^[0-9]*://')"
unpack "$qdeb" "$QDIR"
Q="$CACHE/qemu-arm/current/usr/bin/qemu-system-aarch64"
[ -x "$Q" ] || die "no $Q after unpacking $qdeb"

# its shared libraries: Depends that are not installed, from bookworm only
deps=$(dpkg-deb -f "$qdeb" Depends | tr ',' '\n' | sed 's/(.*//; s/|.*//; s/ //g' \
	| grep -v '^qemu-system-' | grep -v '^$')
need=""
for p in $deps; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need="$need $p"
done
if [ -n "$need" ]; then
	say "installing qemu's libraries from bookworm:$need"
	bw=""
	for p in $need; do bw="$bw $p/bookworm"; done
	# /bookworm pins the named packages; their own Depends follow the
	# normal policy (pin 500 bookworm > 100 backports > 1 trixie)
	apt-get install -y -q --no-install-recommends $bw >&2 || {
		apt_update
		apt-get install -y -q --no-install-recommends $bw >&2
	}
fi
if ldd "$Q" | grep -q 'not found'; then
	ldd "$Q" | grep 'not found' >&2
	die "$Q misses shared libraries"
fi
qv=$("$Q" --version | head -n1)
case $qv in
*"version 9.1"*|*"version 9.2"*|*"version "1[0-9].*) ;;
*) die "$Q is too old for -global arm-smmuv3.stage=nested: $qv" ;;
esac
# (-device help would load every module of the installed 7.2 qemu from
# /usr/lib/x86_64-linux-gnu/qemu and abort: ask about the two types only;
# the tier itself loads no module)
"$Q" -M virt -device e1000e,help 2>/dev/null | grep -q 'e1000e options' || die "$Q has no e1000e"
"$Q" -M virt -device arm-smmuv3,help 2>/dev/null | grep -q 'stage=' || die "$Q has no arm-smmuv3 stage property"
say "$qv: $Q"

# --- 5. QEMU 11.1 for arm64 + nestctl's arm64 libraries, unpacked (the
# QEMU accel client tier, tests/qemu-accel) ---
bash "$(dirname "$0")/install-qemu-accel.sh" ${REFRESH_ARG:-}
say "ok"
