#!/bin/sh
# A throw-away Debian bookworm root for the package life-cycle test
# (tests/deb/lifecycle.sh): debootstrap --variant=minbase plus what the
# packages depend on (dkms and its compiler, libelf1 for the kernel tree's objtool,
# libjson-c5, libnl-3 and, for libnestiommu-dev, its -dev packages), cached
# under /var/cache/nestiommu/deb-root/<key>/ and keyed by this script's
# package list, so it is made once (about 2-4 minutes, mostly downloads)
# and copied for each run.  Prints the cached root's path.
# The archive URI is taken from the machine's apt configuration.
set -eu
ME=mkroot
die() { echo "$ME: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "debootstrap is missing: run scripts/install-deps.sh"

INCLUDE=dkms,gcc,make,libc6-dev,libelf1,kmod,pkg-config,libjson-c5,libnl-3-200,libnl-genl-3-200,libnl-3-dev,libnl-genl-3-dev,bash-completion
cache=${NESTIOMMU_CACHE:-/var/cache/nestiommu}/deb-root
key=bookworm-$(printf '%s\n' "$INCLUDE" | sha256sum | cut -c1-12)
root=$cache/$key

if [ -f "$root/.done" ]; then
	echo "$root"
	exit 0
fi

SOURCES=/etc/apt/sources.list.d/debian.sources
uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' "$SOURCES" 2>/dev/null || true)
[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$uri" ] || die "no archive URI in $SOURCES or /etc/apt/sources.list"

mkdir -p "$cache"
exec 9>"$cache/$key.lock"
flock 9
if [ -f "$root/.done" ]; then
	echo "$root"
	exit 0
fi
rm -rf "$root"
start=$(date +%s)
echo "$ME: debootstrap bookworm into $root (once; cached)" >&2
debootstrap --variant=minbase --include="$INCLUDE" bookworm "$root" "$uri" >"$cache/$key.log" 2>&1 ||
	{ tail -n 30 "$cache/$key.log" >&2; die "debootstrap failed (log: $cache/$key.log)"; }
# A root that never starts services.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
touch "$root/.done"
echo "$ME: made in $(($(date +%s) - start)) s" >&2
echo "$root"
