#!/bin/sh
# make check's Debian package tier (tests/deb): build the packages from
# this source tree (stray build outputs included) and check them with
# lintian, build a second version, then install, test, upgrade and purge
# them in a throw-away bookworm root, with the nested session run in the
# testbed VM from the installed files.  Each step prints its own time.
# NESTIOMMU_VM=skip skips it (exit 77, saying so), as it skips the VM
# tier: debian/rules sets it for the package build's own make check.
set -eu
srcdir=${srcdir:-$(dirname "$0")}
top_srcdir=$(cd "$srcdir/.." && pwd)
top_builddir=${top_builddir:-$top_srcdir}

if [ "${NESTIOMMU_VM:-}" = skip ]; then
	echo "SKIP: Debian package tier skipped (NESTIOMMU_VM=skip): it ran in this build's own make check" >&2
	exit 77
fi
for tool in dpkg-buildpackage dh lintian dh_dkms dh_bash-completion debootstrap; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool is missing: run scripts/install-deps.sh" >&2
		exit 77
	fi
done
if [ ! -f "$top_srcdir/debian/control" ]; then
	echo "FAIL: no debian/ in $top_srcdir (EXTRA_DIST must carry it)" >&2
	exit 1
fi
# The package builds run their own make: not this one's job server.
unset MAKEFLAGS MFLAGS MAKELEVEL

out=$top_builddir/tests/deb-out
version=$(sed -n 's/^AC_INIT(\[libnestiommu\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
start=$(date +%s)
sh "$top_srcdir/tests/deb/build-debs.sh" --nocheck "$top_srcdir" "$out/v1"
sh "$top_srcdir/tests/deb/build-debs.sh" --nocheck --bump "$version.1" "$top_srcdir" "$out/v2"
echo "deb-tier: two package builds and lintian: $(($(date +%s) - start)) s"
start=$(date +%s)
sh "$top_srcdir/tests/deb/installed.sh" "$out/v1" "$out/v2"
echo "deb-tier: install, VM session, upgrade, purge: $(($(date +%s) - start)) s"
