#!/bin/sh
# Build the testbed initramfs: busybox-static + tests/vm/init + caller files.
# With --arch arm64 (tests/arm64/mkinitramfs.sh), the arm64 tier's: the
# arm64 busybox + the same init (it tells the arches apart). The host can neither run that busybox
# to list its applets nor ldd arm64 programs, so there every program must be
# a static arm64 ELF (cross-compiled with -static) or a #! script, and the
# init makes the applet links at boot (busybox --install -s).
#
# Usage: tests/vm/mkinitramfs.sh [--arch x86_64|arm64] -o OUT.cpio.gz
#            [--prog HOSTPATH[:VMPATH]]...   dynamically linked (or static)
#                                            program + its shared libraries
#                                            (ldd) and the ELF loader, at
#                                            their host paths; VMPATH default
#                                            /usr/local/bin/<name>
#                                            (arm64: static arm64 program
#                                            or script, no libraries)
#            [--file HOSTPATH:VMPATH]...     a plain file
#            [--dir HOSTDIR:VMDIR]...        a directory tree (copied as is)
#            [--init PATH]                   init script (default tests/vm/init,
#                                            for both arches)
#
# The archive is cpio newc, gzip compressed, owned by root. Directories of
# the copied libraries go to /etc/nestiommu/ld-library-path, which the init
# exports as LD_LIBRARY_PATH (libraries found on the host through RUNPATH or
# LD_LIBRARY_PATH are found in the VM too). The payload command of run-vm.sh
# is just a --file ...:/etc/nestiommu/payload. --arch must come before any
# --prog/--file/--dir (they are staged as they are read).
#
# Environment: NESTIOMMU_INITRAMFS_GZIP=0 writes the cpio archive
# uncompressed (the kernel takes both; same file name),
# NESTIOMMU_BUSYBOX (x86_64, default /bin/busybox),
# NESTIOMMU_BUSYBOX_ARM64 (arm64, default
# /var/cache/nestiommu/busybox-arm64/current/bin/busybox, from
# scripts/install-deps-arm64.sh), NESTIOMMU_CACHE.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${NESTIOMMU_CACHE:-/var/cache/nestiommu}
ME=mkinitramfs
die() { echo "$ME: error: $*" >&2; exit 1; }

ARCH=x86_64
if [ "${1-}" = --arch ]; then
	[ $# -ge 2 ] || die "--arch needs x86_64 or arm64"
	ARCH=$2
	shift 2
fi
OUT=""
case $ARCH in
x86_64)
	INIT="$HERE/init"
	BUSYBOX=${NESTIOMMU_BUSYBOX:-/bin/busybox}
	STAGE=$(mktemp -d "${TMPDIR:-/tmp}/nestiommu-initramfs.XXXXXX") ;;
arm64)
	ME=mkinitramfs-arm64
	INIT="$HERE/init"
	BUSYBOX=${NESTIOMMU_BUSYBOX_ARM64:-$CACHE/busybox-arm64/current/bin/busybox}
	STAGE=$(mktemp -d "${TMPDIR:-/tmp}/nestiommu-initramfs-arm64.XXXXXX")
	chmod 755 "$STAGE" ;;
*) die "--arch must be x86_64 or arm64, not '$ARCH'" ;;
esac
trap 'rm -rf "$STAGE"' EXIT INT TERM
LIBDIRS="$STAGE.libdirs"
: >"$LIBDIRS"
trap 'rm -rf "$STAGE" "$LIBDIRS"' EXIT INT TERM

# copy HOSTPATH to VMPATH inside the staging tree (dereferencing symlinks)
put() {
	[ -e "$1" ] || die "no such file: $1"
	case $2 in /*) ;; *) die "VM path must be absolute: $2" ;; esac
	mkdir -p "$STAGE$(dirname "$2")"
	cp -L "$1" "$STAGE$2"
}

# a static arm64 ELF?
check_static_arm64() {
	readelf -h "$1" 2>/dev/null | grep -q 'Machine:.*AArch64' || die "$1 is not an arm64 ELF program"
	if readelf -l "$1" 2>/dev/null | grep -q 'INTERP'; then
		die "$1 is dynamically linked; the arm64 initramfs takes static programs only"
	fi
}

# a program and, if dynamic, its libraries and loader; arm64: a script
# (#!) as is, anything else must be a static arm64 ELF
put_prog() {
	host=$1 vm=$2
	[ -f "$host" ] || die "no such program: $host"
	if [ "$ARCH" = arm64 ]; then
		[ "$(head -c 2 "$host")" = '#!' ] || check_static_arm64 "$host"
		put "$host" "$vm"
		chmod 755 "$STAGE$vm"
		return 0
	fi
	[ -x "$host" ] || die "not executable: $host"
	if head -c 4 "$host" | grep -q ELF; then :; else
		if grep -q 'libtool' "$host" 2>/dev/null; then
			die "$host is a libtool wrapper script; pass the real binary (.libs/$(basename "$host"))"
		fi
		die "$host is not an ELF program"
	fi
	put "$host" "$vm"
	chmod 755 "$STAGE$vm"
	# ldd exits 1 with "not a dynamic executable" for static programs
	deps=$(ldd "$host" 2>/dev/null) || return 0
	echo "$deps" | while read -r a b c rest; do
		case "$a $b $c" in
		*"=> not found"*) die "$host: library $a not found by ldd" ;;
		*" => /"*) lib=$c loader=0 ;;
		/*) lib=$a loader=1 ;;  # /lib64/ld-linux-x86-64.so.2 (0x...)
		*) continue ;;          # linux-vdso.so.1 (0x...)
		esac
		if [ ! -e "$STAGE$lib" ]; then
			put "$lib" "$lib"
			[ "$loader" = 1 ] || dirname "$lib" >>"$LIBDIRS"
		fi
	done
}

while [ $# -gt 0 ]; do
	case $1 in
	-o) [ $# -ge 2 ] || die "-o needs a path"; OUT=$2; shift ;;
	--init) [ $# -ge 2 ] || die "--init needs a path"; INIT=$2; shift ;;
	--arch) die "--arch must be the first argument" ;;
	--prog)
		[ $# -ge 2 ] || die "--prog needs HOSTPATH[:VMPATH]"
		case $2 in
		*:*) put_prog "${2%%:*}" "${2#*:}" ;;
		*) put_prog "$2" "/usr/local/bin/$(basename "$2")" ;;
		esac
		shift ;;
	--file)
		[ $# -ge 2 ] || die "--file needs HOSTPATH:VMPATH"
		case $2 in *:*) ;; *) die "--file needs HOSTPATH:VMPATH, got $2" ;; esac
		put "${2%%:*}" "${2#*:}"
		shift ;;
	--dir)
		[ $# -ge 2 ] || die "--dir needs HOSTDIR:VMDIR"
		case $2 in *:*) ;; *) die "--dir needs HOSTDIR:VMDIR, got $2" ;; esac
		src=${2%%:*} dst=${2#*:}
		[ -d "$src" ] || die "no such directory: $src"
		case $dst in /*) ;; *) die "VM path must be absolute: $dst" ;; esac
		mkdir -p "$STAGE$dst"
		cp -a "$src/." "$STAGE$dst/"
		shift ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
	shift
done

[ -n "$OUT" ] || die "missing -o OUT.cpio.gz"
[ -f "$INIT" ] || die "no init script $INIT"
if [ "$ARCH" = arm64 ]; then
	[ -f "$BUSYBOX" ] || die "no arm64 busybox at $BUSYBOX (run scripts/install-deps-arm64.sh)"
	check_static_arm64 "$BUSYBOX"
	mkdir -p "$STAGE/bin" "$STAGE/sbin" "$STAGE/usr/bin" "$STAGE/usr/sbin" \
		"$STAGE/usr/local/bin" "$STAGE/etc/nestiommu" "$STAGE/proc" "$STAGE/sys" \
		"$STAGE/dev" "$STAGE/tmp" "$STAGE/run" "$STAGE/root"
	cp "$BUSYBOX" "$STAGE/bin/busybox"
	chmod 755 "$STAGE/bin/busybox"
	# only /bin/sh: the init makes the other applet links at boot
	ln -sf busybox "$STAGE/bin/sh"
else
	[ -x "$BUSYBOX" ] || die "no busybox at $BUSYBOX (apt-get install busybox-static)"
	if ldd "$BUSYBOX" >/dev/null 2>&1; then
		die "$BUSYBOX is dynamically linked; the initramfs needs busybox-static"
	fi
	# busybox and its applets at their canonical paths
	mkdir -p "$STAGE/bin" "$STAGE/sbin" "$STAGE/usr/bin" "$STAGE/usr/sbin" \
		"$STAGE/etc/nestiommu" "$STAGE/proc" "$STAGE/sys" "$STAGE/dev" \
		"$STAGE/tmp" "$STAGE/run" "$STAGE/root" "$STAGE/lib" "$STAGE/lib64"
	cp "$BUSYBOX" "$STAGE/bin/busybox"
	"$BUSYBOX" --list-full | while read -r app; do
		[ "$app" = bin/busybox ] && continue
		[ -e "$STAGE/$app" ] && continue
		# relative link: bin/x -> busybox, usr/sbin/x -> ../../bin/busybox
		up=$(echo "$app" | sed 's|[^/]*/|../|g; s|[^/]*$||')
		ln -s "${up}bin/busybox" "$STAGE/$app"
	done
fi
cp "$INIT" "$STAGE/init"
chmod 755 "$STAGE/init"
# the kernel's built-in initramfs has /dev/console too; keep ours complete
mknod -m 600 "$STAGE/dev/console" c 5 1 2>/dev/null || true
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$STAGE/etc/passwd"
printf 'root:x:0:\n' >"$STAGE/etc/group"
if [ -s "$LIBDIRS" ]; then
	sort -u "$LIBDIRS" | paste -sd: - >"$STAGE/etc/nestiommu/ld-library-path"
fi

mkdir -p "$(dirname "$OUT")"
if [ "${NESTIOMMU_INITRAMFS_GZIP:-1}" = 0 ]; then
	# uncompressed: a big initramfs (the QEMU accel tier's 75 MB QEMU)
	# is unpacked by a TCG guest much faster than it is gunzipped
	(cd "$STAGE" && find . -print | LC_ALL=C sort | cpio -o -H newc --owner 0:0 --quiet) >"$OUT.tmp"
else
	(cd "$STAGE" && find . -print | LC_ALL=C sort | cpio -o -H newc --owner 0:0 --quiet) \
		| gzip -1 >"$OUT.tmp"
fi
mv "$OUT.tmp" "$OUT"
echo "$ME: $OUT ($(du -k "$OUT" | cut -f1) KiB)" >&2
