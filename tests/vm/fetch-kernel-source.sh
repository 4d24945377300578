#!/bin/sh
# Fetch and unpack the testbed kernel source (linux-source-$KVER from
# trixie-backports) into the cache, outside the repository. Prints the
# source directory. Never installs the package: bookworm stays bookworm.
set -eu

KVER=${NESTIOMMU_KVER:-7.3}
CACHE=${NESTIOMMU_CACHE:-/var/cache/nestiommu}
SRC="$CACHE/src/linux-source-$KVER"

if [ -f "$SRC/.unpacked" ]; then
	echo "$SRC"
	exit 0
fi

mkdir -p "$CACHE/src" "$CACHE/debs"
# concurrent first runs (several test scripts at once) unpack only once
exec 9>"$CACHE/src/.linux-source-$KVER.lock"
flock 9
if [ -f "$SRC/.unpacked" ]; then
	echo "$SRC"
	exit 0
fi
echo "fetch-kernel-source: fetching and unpacking linux-source-$KVER into $SRC" >&2
cd "$CACHE/debs"
if ! ls linux-source-"$KVER"_*.deb >/dev/null 2>&1; then
	apt-get download -q "linux-source-$KVER/trixie-backports" >&2
fi
deb=$(ls linux-source-"$KVER"_*.deb | tail -n1)
tmp=$(mktemp -d "$CACHE/src/unpack.XXXXXX")
dpkg-deb -x "$deb" "$tmp"
tarball=$(ls "$tmp"/usr/src/linux-source-"$KVER".tar.* | head -n1)
rm -rf "$SRC"
mkdir -p "$SRC"
tar -xf "$tarball" -C "$SRC" --strip-components=1
rm -rf "$tmp"
touch "$SRC/.unpacked"
echo "$SRC"
