#!/bin/sh
# Build the arm64 tier's initramfs: busybox-static:arm64 + tests/arm64/init
# + caller files. The arm64 counterpart of tests/vm/mkinitramfs.sh, which
# cannot serve here: it runs busybox on the host to list the applets and
# copies shared libraries found by the host's ldd. Here every program must
# be a static arm64 ELF (cross-compiled with -static); the init makes the
# applet links at boot (busybox --install -s).
#
# Usage: tests/arm64/mkinitramfs.sh -o OUT.cpio.gz
#            [--prog HOSTPATH[:VMPATH]]...   static arm64 program or script; VMPATH
#                                            default /usr/local/bin/<name>
#            [--file HOSTPATH:VMPATH]...     a plain file
#            [--dir HOSTDIR:VMDIR]...        a directory tree (copied as is)
#            [--init PATH]                   init script (default tests/arm64/init)
#
# Environment: NESTIOMMU_BUSYBOX_ARM64 (default
# /var/cache/nestiommu/busybox-arm64/current/bin/busybox, from
# scripts/install-deps-arm64.sh).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${NESTIOMMU_CACHE:-/var/cache/nestiommu}
die() { echo "mkinitramfs-arm64: error: $*" >&2; exit 1; }

OUT=""
INIT="$HERE/init"
BUSYBOX=${NESTIOMMU_BUSYBOX_ARM64:-$CACHE/busybox-arm64/current/bin/busybox}
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/nestiommu-initramfs-arm64.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT INT TERM
chmod 755 "$STAGE"

# a static arm64 ELF?
check_static_arm64() {
	readelf -h "$1" 2>/dev/null | grep -q 'Machine:.*AArch64' || die "$1 is not an arm64 ELF program"
	if readelf -l "$1" 2>/dev/null | grep -q 'INTERP'; then
		die "$1 is dynamically linked; the arm64 initramfs takes static programs only"
	fi
}

put() {
	[ -e "$1" ] || die "no such file: $1"
	case $2 in /*) ;; *) die "VM path must be absolute: $2" ;; esac
	mkdir -p "$STAGE$(dirname "$2")"
	cp -L "$1" "$STAGE$2"
}

while [ $# -gt 0 ]; do
	case $1 in
	-o) [ $# -ge 2 ] || die "-o needs a path"; OUT=$2; shift ;;
	--init) [ $# -ge 2 ] || die "--init needs a path"; INIT=$2; shift ;;
	--prog)
		[ $# -ge 2 ] || die "--prog needs HOSTPATH[:VMPATH]"
		case $2 in
		*:*) host=${2%%:*} vm=${2#*:} ;;
		*) host=$2 vm=/usr/local/bin/$(basename "$2") ;;
		esac
		[ -f "$host" ] || die "no such program: $host"
		# a script (#!) goes as is; anything else must be static arm64
		[ "$(head -c 2 "$host")" = '#!' ] || check_static_arm64 "$host"
		put "$host" "$vm"
		chmod 755 "$STAGE$vm"
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
[ -f "$BUSYBOX" ] || die "no arm64 busybox at $BUSYBOX (run scripts/install-deps-arm64.sh)"
check_static_arm64 "$BUSYBOX"

mkdir -p "$STAGE/bin" "$STAGE/sbin" "$STAGE/usr/bin" "$STAGE/usr/sbin" \
	"$STAGE/usr/local/bin" "$STAGE/etc/nestiommu" "$STAGE/proc" "$STAGE/sys" \
	"$STAGE/dev" "$STAGE/tmp" "$STAGE/run" "$STAGE/root"
cp "$BUSYBOX" "$STAGE/bin/busybox"
chmod 755 "$STAGE/bin/busybox"
ln -sf busybox "$STAGE/bin/sh"
cp "$INIT" "$STAGE/init"
chmod 755 "$STAGE/init"
mknod -m 600 "$STAGE/dev/console" c 5 1 2>/dev/null || true
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$STAGE/etc/passwd"
printf 'root:x:0:\n' >"$STAGE/etc/group"

mkdir -p "$(dirname "$OUT")"
(cd "$STAGE" && find . -print | LC_ALL=C sort | cpio -o -H newc --owner 0:0 --quiet) \
	| gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "mkinitramfs-arm64: $OUT ($(du -k "$OUT" | cut -f1) KiB)" >&2
