#!/bin/sh
# The packages as installed, upgraded and purged by dpkg in a throw-away
# Debian bookworm root (tests/deb/mkroot.sh, copied per run):
#   tests/deb/installed.sh DEBDIR DEBDIR2
# DEBDIR holds the .debs of this version, DEBDIR2 those of a bumped
# version (tests/deb/build-debs.sh --bump).  Steps:
#  1. dpkg -i libnestiommu1, libnestiommu-dev, nestctl, nestiommu-dkms: the
#     dkms postinst builds and installs nestiommu.ko for the testbed kernel
#     (its build tree, tests/vm/build-kernel.sh, is /lib/modules/KVER/build
#     in the root, bind-mounted read-only); every dpkg -L path exists;
#  2. debian/tests (autopkgtest scripts) run in the root: a program built
#     with pkg-config against the installed -dev, nestctl offline;
#  3. bad input: DKMS against a copy of the kernel tree without IOMMUFD
#     fails with Kbuild's one line naming the missing options;
#  4. the testbed VM boots with the root's installed files (nestctl, the
#     libraries, the DKMS-installed nestiommu.ko, nestctl's examples) and
#     runs the nested session (examples/nested-session.sh) with them;
#  5. upgrade to DEBDIR2: DKMS has only the new version, built and
#     installed; every dpkg -L path exists;
#  6. purge: DKMS has no nestiommu, the module file is gone, and the root
#     has exactly the files it had before step 1.
# Needs root (chroot, mounts).  Exit: 0 ok, 1 failure, 77 tool missing.
set -eu
ME=deb-installed
say() { echo "$ME: $*" >&2; }
die() { echo "$ME: FAIL: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

[ $# = 2 ] || { echo "usage: $ME DEBDIR DEBDIR2" >&2; exit 1; }
debs=$(cd "$1" && pwd)
debs2=$(cd "$2" && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (chroot and bind mounts)" >&2
	exit 77
fi
for tool in debootstrap chroot mount; do
	command -v "$tool" >/dev/null 2>&1 ||
		{ echo "SKIP: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 77; }
done

kbuild=$("$top/tests/vm/build-kernel.sh")
kver=$(cat "$kbuild/include/config/kernel.release")
ksrc=$(readlink -f "$kbuild/source")
cached=$("$here/mkroot.sh")

work=$(mktemp -d /var/tmp/nestiommu-deb.XXXXXX)
R=$work/root
mounts=
cleanup() {
	for m in $mounts; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	# Never delete through a mount that is still there.
	if ! grep -q " $work" /proc/mounts; then
		rm -rf --one-file-system "$work"
	else
		say "left $work: still mounted"
	fi
}
trap cleanup EXIT INT TERM
bind_ro() { # HOSTDIR: at the same path in the root, read-only
	mkdir -p "$R$1"
	mount --bind "$1" "$R$1"
	mounts="$R$1 $mounts"
	mount -o remount,bind,ro "$R$1"
}
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

start=$(date +%s)
cp -a "$cached" "$R"
rm -f "$R/.done"
say "root copied in $(($(date +%s) - start)) s"
bind_ro "$kbuild"
bind_ro "$ksrc"
mkdir -p "$R/proc"
mount -t proc proc "$R/proc"
mounts="$R/proc $mounts"
mkdir -p "$R/lib/modules/$kver"
ln -s "$kbuild" "$R/lib/modules/$kver/build"

# What dpkg, dkms and depmod keep for themselves (depmod's index of the
# kernel's modules belongs to no package); everything else must be
# as it was after the purge.
snapshot() {
	(cd "$R" && find . -xdev \( -path ./proc -o -path ./var/lib/dpkg \
		-o -path ./var/log -o -path ./var/cache -o -path ./tmp \
		-o -path ./var/lib/dkms -o -path "./lib/modules/$kver/build" \) -prune \
		-o -print | grep -vE "^\./(usr/)?lib/modules/$kver/modules\." | LC_ALL=C sort)
	# dkms's own tree: only what the dkms package itself has
	(cd "$R" && find ./var/lib/dkms -xdev | LC_ALL=C sort)
}
snapshot >"$work/before.txt"

pkgs="libnestiommu1 libnestiommu-smmu1 libnestiommu-dev nestctl nestiommu-dkms"
debs_of() { for p in $pkgs; do ls "$1"/"${p}"_*.deb; done; }
install_debs() {
	rm -rf "$R/tmp/debs"
	mkdir -p "$R/tmp/debs"
	# shellcheck disable=SC2046
	cp $(debs_of "$1") "$R/tmp/debs/"
	in_root sh -c 'dpkg -i /tmp/debs/*.deb' >"$work/dpkg-$2.log" 2>&1 ||
		{ cat "$work/dpkg-$2.log" >&2; die "dpkg -i ($2) failed"; }
	cat "$work/dpkg-$2.log"
}
check_listed() {
	for p in $pkgs; do
		in_root dpkg -L "$p" | while read -r f; do
			[ -e "$R$f" ] || [ -L "$R$f" ] || die "$p lists $f, which is not there"
		done
	done
	say "every file dpkg -L lists exists"
}
dkms_state() { in_root dkms status nestiommu 2>/dev/null | sed 's/^/    /'; }

# 1. install
v1=$(dpkg-deb -f "$(ls "$debs"/nestiommu-dkms_*.deb)" Version)
v1=${v1%-*}
v2=$(dpkg-deb -f "$(ls "$debs2"/nestiommu-dkms_*.deb)" Version)
v2=${v2%-*}
say "1. dpkg -i ($v1)"
t=$(date +%s)
install_debs "$debs" install
say "installed in $(($(date +%s) - t)) s (DKMS build included)"
check_listed
ko=/lib/modules/$kver/updates/dkms/nestiommu.ko
state=$(dkms_state)
echo "$state"
echo "$state" | grep -q "nestiommu/$v1, $kver, [^:]*: installed" ||
	die "DKMS did not build and install nestiommu $v1 for $kver"
[ -f "$R$ko" ] || die "no $ko after the DKMS install"

# 2. the autopkgtests of debian/tests, in the root
say "2. debian/tests in the root"
for t in build-against-dev nestctl-offline; do
	cp "$top/debian/tests/$t" "$R/tmp/$t"
	in_root sh -c "mkdir -p /tmp/apt-$t && AUTOPKGTEST_TMP=/tmp/apt-$t sh /tmp/$t" ||
		die "debian/tests/$t failed"
done

# 3. bad input: a kernel without IOMMUFD
say "3. DKMS against a kernel configured without IOMMUFD"
bad=/usr/src/linux-headers-$kver-noiommufd
# A real copy, not hard links: a build writes some files in place
# (modpost's Module.symvers), which must never reach the shared cache.
cp -a "$kbuild" "$R$bad"
for f in .config include/config/auto.conf; do
	sed -i -e '/^CONFIG_IOMMUFD=/d' -e '/^CONFIG_VFIO_DEVICE_CDEV=/d' "$R$bad/$f"
done
sed -i -e '/^#define CONFIG_IOMMUFD 1$/d' -e '/^#define CONFIG_VFIO_DEVICE_CDEV 1$/d' \
	"$R$bad/include/generated/autoconf.h"
# An O= build tree's Makefile names its own path: make the copy its own.
sed "s|^export KBUILD_OUTPUT = .*|export KBUILD_OUTPUT = $bad|" "$R$bad/Makefile" >"$R$bad/Makefile.new"
mv "$R$bad/Makefile.new" "$R$bad/Makefile"
rc=0
in_root dkms build -m nestiommu -v "$v1" -k "$kver-noiommufd" \
	--kernelsourcedir "$bad" >"$work/bad.log" 2>&1 || rc=$?
cat "$work/bad.log"
[ "$rc" != 0 ] || die "DKMS built nestiommu against a kernel without IOMMUFD"
mlog=$R/var/lib/dkms/nestiommu/$v1/build/make.log
[ -f "$mlog" ] || die "no DKMS make.log"
grep -q 'lacks: CONFIG_IOMMUFD CONFIG_VFIO_DEVICE_CDEV' "$mlog" ||
	{ cat "$mlog" >&2; die "make.log does not name the missing options"; }
if grep -qE '(error|warning):' "$mlog"; then
	cat "$mlog" >&2
	die "the compiler ran: make.log has compiler diagnostics"
fi
say "refused with: $(grep -o 'nestiommu.ko needs.*' "$mlog")"
in_root dkms remove -m nestiommu -v "$v1" -k "$kver-noiommufd" >/dev/null 2>&1 || true
rm -rf --one-file-system "${R:?}$bad"
dkms_state | grep -q "nestiommu/$v1, $kver, [^:]*: installed" ||
	die "the failed build disturbed the installed module"

# 4. the nested session in the VM, from the installed files
if [ "${NESTIOMMU_DEB_VM:-}" = skip ]; then
	say "4. VM step skipped (NESTIOMMU_DEB_VM=skip)"
else
	say "4. the testbed VM with the installed nestctl, libraries and module"
	set --
	# nestctl's libraries as the root has them (ldd in the root)
	for l in $(in_root ldd /usr/bin/nestctl | awk '$2 == "=>" { print $3 } $1 ~ /^\// { print $1 }'); do
		set -- "$@" --file "$R$(in_root readlink -f "$l"):$l"
	done
	"$top/tests/vm/run-vm.sh" --timeout 600 \
		--kernel "$kbuild/arch/x86/boot/bzImage" \
		--file "$R/usr/bin/nestctl:/usr/bin/nestctl" \
		--file "$R$ko:$ko" \
		--dir "$R/usr/share/doc/nestctl/examples:/usr/share/doc/nestctl/examples" \
		"$@" \
		-- sh -c "set -e
			LD_DEBUG=libs nestctl -j version 2>&1 | grep -o 'calling init: .*libnestiommu[^ ]*'
			ln -s $ko /lib/nestiommu.ko
			sh /usr/share/doc/nestctl/examples/nested-session.sh /usr/share/doc/nestctl/examples" \
		>"$work/vm.log" 2>"$work/vm.err" ||
		{ cat "$work/vm.log" "$work/vm.err" >&2; die "the nested session in the VM failed"; }
	cat "$work/vm.log"
	grep -qE "calling init: /[^ ]*/libnestiommu\.so\.1" "$work/vm.log" ||
		die "nestctl in the VM did not load libnestiommu.so.1 from the root"
	grep -q '"sid": 16' "$work/vm.log" ||
		die "the nested session did not read the event with the virtual StreamID"
fi

# 5. upgrade
say "5. upgrade to $v2"
install_debs "$debs2" upgrade
check_listed
state=$(dkms_state)
echo "$state"
echo "$state" | grep -q "nestiommu/$v2, $kver, [^:]*: installed" ||
	die "DKMS has no nestiommu $v2 installed after the upgrade"
if echo "$state" | grep -q "nestiommu/$v1,"; then
	die "DKMS still has nestiommu $v1 after the upgrade"
fi
[ ! -e "$R/usr/src/nestiommu-$v1" ] || die "/usr/src/nestiommu-$v1 left after the upgrade"

# 6. purge
say "6. purge"
# shellcheck disable=SC2086
in_root dpkg --purge $pkgs >"$work/purge.log" 2>&1 ||
	{ cat "$work/purge.log" >&2; die "dpkg --purge failed"; }
cat "$work/purge.log"
[ -z "$(dkms_state)" ] || die "DKMS still knows nestiommu after the purge: $(dkms_state)"
[ ! -e "$R$ko" ] || die "$ko left after the purge"
for p in $pkgs; do
	# shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
	st=$(in_root dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case $st in "" | "un "*) ;; *) die "dpkg still has $p ($st) after the purge" ;; esac
done
snapshot >"$work/after.txt"
if ! diff -u "$work/before.txt" "$work/after.txt" >"$work/left.diff"; then
	cat "$work/left.diff" >&2
	die "install, upgrade and purge changed the root's files (diff above)"
fi
say "PASS: install, autopkgtests, bad kernel, VM session, upgrade $v1 -> $v2, purge leaves nothing"
