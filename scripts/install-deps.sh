#!/bin/sh
# Install everything libnestiommu needs to build, test and run its testbed
# on Debian 12 (bookworm), as root. Idempotent.
#
# Newer suites (trixie-backports for linux-source-7.3) are added with a pin
# of 1, so bookworm's own libraries are never replaced; the archive URI is
# taken from the machine's existing apt configuration.
set -eu

SOURCES=/etc/apt/sources.list.d/debian.sources
EXTRA=/etc/apt/sources.list.d/nestiommu-extra.sources
PIN=/etc/apt/preferences.d/nestiommu-extra

if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: must run as root" >&2
	exit 1
fi

archive_uri() {
	# First URIs: line of the main (non-security) archive.
	awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' "$SOURCES"
}

if [ ! -f "$EXTRA" ]; then
	uri=$(archive_uri)
	if [ -z "$uri" ]; then
		echo "install-deps.sh: no archive URI in $SOURCES" >&2
		exit 1
	fi
	cat >"$EXTRA" <<EOS
Types: deb
URIs: $uri
Suites: bookworm-backports trixie trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	cat >"$PIN" <<EOS
Package: *
Pin: release n=trixie
Pin-Priority: 1

Package: *
Pin: release n=trixie-backports
Pin-Priority: 1

Package: *
Pin: release n=bookworm-backports
Pin-Priority: 100
EOS
	apt-get update -q
elif [ -z "$(find /var/lib/apt/lists -name '*trixie-backports*Packages*' 2>/dev/null | head -n1)" ]; then
	apt-get update -q
fi

export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends \
	build-essential autoconf automake libtool pkg-config \
	check libjson-c-dev libnl-3-dev libnl-genl-3-dev \
	libcap-dev libc6-dev \
	qemu-system-x86 busybox-static cpio xz-utils zstd \
	bc bison flex libelf-dev libssl-dev kmod \
	python3 ca-certificates bash-completion \
	clang libclang-rt-dev debhelper dh-dkms dkms lintian debootstrap \
	graphviz

# The arm64 tier (upstream SMMUv3 under qemu-system-aarch64).
sh "$(dirname "$0")/install-deps-arm64.sh"
