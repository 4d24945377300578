#!/bin/sh
# Build the Debian packages as a packager does and check them:
#   tests/deb/build-debs.sh [--nocheck] [--bump VERSION] SOURCE OUTDIR
# SOURCE is a source tree (copied as it is, stray build outputs included:
# debian/rules clean must cope) or a release tarball (make dist's
# libnestiommu-*.tar.xz).  In a copy under OUTDIR it runs
# dpkg-buildpackage -us -uc -b (from a tarball: the full build, source
# package included, with the tarball as the .orig.tar.xz), then lintian on
# the .changes, which must report no error and no warning.  The .debs end up in OUTDIR, with
# OUTDIR/contents.txt: each package's file list and relationships (to
# compare two builds: the same packages must come out).
# --nocheck  DEB_BUILD_OPTIONS=nocheck (the unit tests already ran)
# --bump V   package upstream version V instead (configure.ac, dkms.conf,
#            a new debian/changelog entry): the upgrade test's second version
# Exit: 0 ok, 1 failure, 77 dpkg-buildpackage or lintian missing.
set -eu
ME="build-debs"
die() { echo "$ME: error: $*" >&2; exit 1; }

nocheck=0
bump=
while [ $# -gt 0 ]; do
	case $1 in
	--nocheck) nocheck=1 ;;
	--bump) [ $# -ge 2 ] || die "--bump needs a version"; bump=$2; shift ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
	shift
done
[ $# = 2 ] || die "usage: $ME [--nocheck] [--bump VERSION] SOURCE OUTDIR"
src=$1
out=$2

for tool in dpkg-buildpackage dh lintian dh_dkms dh_bash-completion; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool is missing (scripts/install-deps.sh installs it)" >&2
		exit 77
	fi
done

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
tree=$out/libnestiommu
mkdir -p "$tree"
build=-b
if [ -f "$src" ]; then
	tar -xf "$src" -C "$tree" --strip-components=1
	upver=$(sed -n 's/^AC_INIT(\[libnestiommu\], \[\([^]]*\)\].*/\1/p' "$tree/configure.ac")
	[ -z "$bump" ] || die "--bump needs a source tree, not a tarball"
	cp "$src" "$out/libnestiommu_$upver.orig.tar.xz"
	build=
else
	[ -f "$src/debian/control" ] || die "$src has no debian/control"
	# The tree as it is, build outputs included, but not version control,
	# earlier package builds or release tarballs and their unpacked copies.
	(cd "$src" && tar -cf - --exclude=./.git --exclude=./tests/deb-out \
		--exclude='./libnestiommu-*' --exclude=./build-sanitizers --exclude=./build-tsan .) |
		tar -xf - -C "$tree"
fi
[ -f "$tree/debian/control" ] || die "no debian/ in $src (a release tarball carries it)"

if [ -n "$bump" ]; then
	old=$(sed -n 's/^AC_INIT(\[libnestiommu\], \[\([^]]*\)\].*/\1/p' "$tree/configure.ac")
	[ -n "$old" ] || die "no version in configure.ac's AC_INIT"
	sed -i "s/^AC_INIT(\[libnestiommu\], \[$old\]/AC_INIT([libnestiommu], [$bump]/" "$tree/configure.ac"
	sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$bump\"/" "$tree/kernel/dkms.conf"
	{
		echo "libnestiommu ($bump-1) unstable; urgency=medium"
		echo
		echo "  * Version $bump (the package upgrade test's second version)."
		echo
		sed -n 's/^ -- \(.*>\)  .*/ -- \1/p' "$tree/debian/changelog" | head -n1 |
			tr -d '\n'
		echo "  $(date -R)"
		echo
		cat "$tree/debian/changelog"
	} >"$tree/debian/changelog.new"
	mv "$tree/debian/changelog.new" "$tree/debian/changelog"
fi

opts=${DEB_BUILD_OPTIONS:-}
[ "$nocheck" = 0 ] || opts="$opts nocheck"
echo "$ME: dpkg-buildpackage -us -uc $build in $tree (log: $out/build.log)" >&2
start=$(date +%s)
# shellcheck disable=SC2086 # $build is one option or none
if ! (cd "$tree" && DEB_BUILD_OPTIONS="$opts" dpkg-buildpackage -us -uc $build -j2) \
	>"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	die "dpkg-buildpackage failed (log: $out/build.log)"
fi
echo "$ME: built in $(($(date +%s) - start)) s" >&2

changes=$(ls "$out"/*.changes)
start=$(date +%s)
rc=0
lintian --pedantic --info --fail-on error,warning "$changes" >"$out/lintian.txt" 2>&1 || rc=$?
echo "$ME: lintian (exit $rc) in $(($(date +%s) - start)) s:" >&2
cat "$out/lintian.txt" >&2
if [ "$rc" != 0 ] || grep -qE '^[EW]: ' "$out/lintian.txt"; then
	die "lintian reports errors or warnings, or failed (above)"
fi

: >"$out/contents.txt"
for deb in "$out"/*.deb; do
	case $deb in *-dbgsym_*) continue ;; esac
	pkg=$(dpkg-deb -f "$deb" Package)
	{
		echo "== $pkg"
		dpkg-deb -f "$deb" Version Architecture Depends Pre-Depends Recommends \
			Suggests Provides Conflicts Breaks Replaces Multi-Arch Section
		dpkg-deb -c "$deb" | awk '{ print $1, $6, $7, $8 }' | LC_ALL=C sort
	} >>"$out/contents.txt"
done
echo "$ME: packages: $(cd "$out" && for d in ./*.deb; do printf '%s ' "${d#./}"; done)" >&2
