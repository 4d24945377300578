#!/bin/sh
# Build the testbed kernel (x86_64 bzImage + modules_prepare + uapi headers)
# out of tree, cached outside the repository; with --arch arm64
# (tests/arm64/build-kernel.sh), cross-build the arm64 tier's kernel (arm64
# Image + uapi headers) from a patched private copy of the source.
#
# Usage: tests/vm/build-kernel.sh [--arch x86_64|arm64] [--variant kasan]
#            [--config-only] [--print-dir] [--jobs N]
#
#   Prints ONLY the build directory on stdout (all progress goes to stderr):
#     x86_64: /var/cache/nestiommu/build/<kver>-<sha256(kernel.config +
#                                      iommufd-dmabuf-fd.patch), 12 chars>/
#     x86_64 --variant kasan:
#             /var/cache/nestiommu/build-kasan/<kver>-<sha256(kernel.config +
#                   iommufd-dmabuf-fd.patch + kernel-kasan.config), 12 chars>/
#     arm64:  /var/cache/nestiommu/build-arm64/<kver>-<sha256(kernel.config +
#                                      smmuv3-canwbs.patch), 12 chars>/
#   containing:
#     arch/x86/boot/bzImage   the kernel (arm64: arch/arm64/boot/Image,
#                             booted directly by QEMU, no firmware)
#     Module.symvers          + modules_prepare: make -C <builddir> M=<dir>
#                             (arm64: when its fragment has CONFIG_MODULES,
#                             with ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
#     usr/include/linux/...   uapi headers (make headers: same result as
#                             headers_install INSTALL_HDR_PATH=<builddir>/usr)
#     .config                 tinyconfig + tests/vm/kernel.config (arm64:
#                             tests/arm64/kernel.config; kasan: +
#                             tests/vm/kernel-kasan.config)
#     fragment.config         the fragment(s) merged, as verified
#     .built                  marker, written last: the cache is valid
#   A second run with a valid cache returns immediately.
#
#   Each architecture builds from a patched private copy of the shared
#   unpacked linux-source (tests/vm/fetch-kernel-source.sh), hard-linked
#   to save 1.8 GB, with the files its patch touches replaced by real
#   copies before patching, so the shared tree is never modified:
#     x86_64 (both variants): tests/vm/iommufd-dmabuf-fd.patch (the
#       iommufd selftest's DMABUF_GET returns the fd: the kernel's
#       selftest then passes without expected failures)
#       /var/cache/nestiommu/src-x86/linux-<kver>-<sha256(patch), 12 chars>/
#     arm64: tests/arm64/smmuv3-canwbs.patch
#       /var/cache/nestiommu/src-arm64/linux-<kver>-<sha256(patch), 12 chars>/
#   arm64: only the =y/=m options of its fragment are verified after
#   olddefconfig.
#
#   --arch A       x86_64 (default) or arm64
#   --variant V    x86_64 only: kasan, the sanitizer kernel (KASAN, UBSAN,
#                  on top of the testbed's lockdep and atomic-sleep
#                  debugging: tests/vm/kernel-kasan.config), built from
#                  the same patched source; a separate cache entry
#   --config-only  configure and verify the fragment, do not build (a no-op
#                  on a completed build)
#   --print-dir    only print the build dir of the current fragment (for
#                  pollers: the build is usable once <dir>/.built exists)
#   --jobs N       parallel make jobs (default 2: the machine is shared)
#
# Environment: NESTIOMMU_CACHE (default /var/cache/nestiommu),
#              NESTIOMMU_KVER (default 7.3, see fetch-kernel-source.sh),
#              CROSS_COMPILE (arm64, default aarch64-linux-gnu-; needs
#              gcc-aarch64-linux-gnu from scripts/install-deps-arm64.sh)
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${NESTIOMMU_CACHE:-/var/cache/nestiommu}
ARCH=x86_64
JOBS=2
CONFIG_ONLY=0
PRINT_DIR=0
VARIANT=""

ME=build-kernel
die() { echo "$ME: error: $*" >&2; exit 1; }
say() { echo "$ME: $*" >&2; }

while [ $# -gt 0 ]; do
	case $1 in
	--arch) [ $# -ge 2 ] || die "--arch needs x86_64 or arm64"; ARCH=$2; shift
		if [ "$ARCH" = arm64 ]; then ME=build-kernel-arm64; else ME=build-kernel; fi ;;
	--variant) [ $# -ge 2 ] || die "--variant needs a name (kasan)"; VARIANT=$2; shift ;;
	--config-only) CONFIG_ONLY=1 ;;
	--print-dir) PRINT_DIR=1 ;;
	--jobs) [ $# -ge 2 ] || die "--jobs needs a value"; JOBS=$2; shift ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done

# what differs between the tiers; the cache keys and directories are
# those of the former separate scripts, so existing builds stay valid
case $ARCH in
x86_64)
	FRAG="$HERE/kernel.config"
	PATCH="$HERE/iommufd-dmabuf-fd.patch"
	IMAGE=arch/x86/boot/bzImage
	KARCH=x86_64
	BUILDS="$CACHE/build"
	SRCS="$CACHE/src-x86"
	;;
arm64)
	FRAG="$HERE/../arm64/kernel.config"
	PATCH="$HERE/../arm64/smmuv3-canwbs.patch"
	IMAGE=arch/arm64/boot/Image
	KARCH=arm64
	BUILDS="$CACHE/build-arm64"
	SRCS="$CACHE/src-arm64"
	CROSS=${CROSS_COMPILE:-aarch64-linux-gnu-}
	;;
*) die "--arch must be x86_64 or arm64, not '$ARCH'" ;;
esac
VFRAG=""
case $VARIANT in
"") ;;
kasan)
	[ "$ARCH" = x86_64 ] || die "--variant kasan is an x86_64 variant"
	VFRAG="$HERE/kernel-kasan.config"
	BUILDS="$CACHE/build-kasan"
	ME=build-kernel-kasan
	;;
*) die "--variant must be kasan, not '$VARIANT'" ;;
esac

[ -f "$FRAG" ] || die "missing fragment $FRAG"
[ -z "$VFRAG" ] || [ -f "$VFRAG" ] || die "missing fragment $VFRAG"
[ -f "$PATCH" ] || die "missing patch $PATCH"
if [ "$ARCH" = arm64 ]; then
	command -v "${CROSS}gcc" >/dev/null || die "no ${CROSS}gcc (run scripts/install-deps-arm64.sh)"
fi

SHARED=$("$HERE/fetch-kernel-source.sh") || die "fetching the kernel source failed"
[ -f "$SHARED/Makefile" ] || die "no kernel source at $SHARED"
KVER=$(make -s -C "$SHARED" kernelversion 2>/dev/null) || die "cannot read kernel version from $SHARED"
# the key covers everything that changes the kernel: fragment(s) and patch
# shellcheck disable=SC2086 # VFRAG: empty or one path without spaces
HASH=$(cat "$FRAG" "$PATCH" $VFRAG | sha256sum | cut -c1-12)
PHASH=$(sha256sum "$PATCH" | cut -c1-12)
SRC="$SRCS/linux-$KVER-$PHASH"
KEY="$KVER-$HASH"
if [ "$ARCH" = arm64 ]; then
	LOCK="$BUILDS/.lock-$KEY"
else
	LOCK="$BUILDS/$KEY.lock"
fi
OUT="$BUILDS/$KEY"
if [ "$PRINT_DIR" = 1 ]; then
	echo "$OUT"
	exit 0
fi

if [ -f "$OUT/.built" ] && [ -f "$OUT/$IMAGE" ]; then
	say "cached: $OUT"
	echo "$OUT"
	exit 0
fi

# One build per key at a time: other engineers' scripts call this one too.
# The lock sits next to the build dir; a second caller waits, then finds the
# marker written by the first and returns.
mkdir -p "$BUILDS"
exec 9>"$LOCK"
if ! flock -n 9; then
	say "another build of $KEY is running; waiting for it"
	flock 9
fi
if [ -f "$OUT/.built" ] && [ -f "$OUT/$IMAGE" ]; then
	say "cached (built by a concurrent run): $OUT"
	echo "$OUT"
	exit 0
fi

# --- the patched private source copy (shared by the x86_64 variants:
# its own lock, as two variants may be built at once) ---
mkdir -p "$SRCS"
exec 8>"$SRC.lock"
flock 8
if [ ! -f "$SRC/.patched" ]; then
	say "copying $SHARED -> $SRC (hard links) and applying $(basename "$PATCH")"
	rm -rf "$SRC" "$SRC.tmp"
	cp -al "$SHARED" "$SRC.tmp"
	rm -f "$SRC.tmp/.unpacked"
	# break the hard link of every file the patch touches: patch must write
	# a new inode, never the shared tree's
	for f in $(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$PATCH"); do
		[ -f "$SRC.tmp/$f" ] || die "patched file $f not in the source"
		cp --remove-destination "$SHARED/$f" "$SRC.tmp/$f"
	done
	(cd "$SRC.tmp" && patch -p1 --no-backup-if-mismatch -s) <"$PATCH" \
		|| die "$(basename "$PATCH") does not apply to $KVER"
	# the shared tree must still be pristine (the patch still applies there)
	(cd "$SHARED" && patch -p1 --dry-run -s -f) <"$PATCH" >/dev/null 2>&1 \
		|| die "the shared tree $SHARED is modified; it must stay pristine"
	mv "$SRC.tmp" "$SRC"
	date -u +%FT%TZ >"$SRC/.patched"
fi
flock -u 8
exec 8>&-

mkdir -p "$OUT"
rm -f "$OUT/.built"
say "kernel $KVER ($ARCH${VARIANT:+, variant $VARIANT}), key $HASH, source $SRC"
say "build dir $OUT (log: $OUT/build.log)"
LOG="$OUT/build.log"
: >"$LOG"

# CROSS_COMPILE only for arm64 (an empty one would override the
# kernel's default for x86_64 builds just the same, but keep it out)
kmake() {
	if [ "$ARCH" = arm64 ]; then
		make -C "$SRC" O="$OUT" ARCH="$KARCH" CROSS_COMPILE="$CROSS" "$@" >>"$LOG" 2>&1
	else
		make -C "$SRC" O="$OUT" ARCH="$KARCH" "$@" >>"$LOG" 2>&1
	fi
}

# --- configure: tinyconfig + fragment(s) + olddefconfig, then verify ---
# (the variant's fragment after the base: its lines win)
# shellcheck disable=SC2086
cat "$FRAG" $VFRAG >"$OUT/fragment.config"
say "configuring (tinyconfig + $(basename "$FRAG")${VFRAG:+ + $(basename "$VFRAG")})"
kmake tinyconfig || { tail -n 30 "$LOG" >&2; die "make tinyconfig failed"; }
# merge_config.sh -m: merge only, -O: output dir; it warns about
# overridden values on stdout, which goes to the log
(cd "$OUT" && if [ "$ARCH" = arm64 ]; then export ARCH="$KARCH" CROSS_COMPILE="$CROSS"; fi
	"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT" "$OUT/.config" "$OUT/fragment.config") >>"$LOG" 2>&1 \
	|| { tail -n 30 "$LOG" >&2; die "merge_config.sh failed"; }
kmake olddefconfig || { tail -n 30 "$LOG" >&2; die "make olddefconfig failed"; }

# Every CONFIG_X=y/m (and every other CONFIG_X=value) in the fragment must
# have survived with that value, every "# CONFIG_X is not set" must be off.
# arm64: only its =y/=m options are held to that.
lost=""
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		if [ "$ARCH" = arm64 ]; then
			case $line in *=y|*=m) ;; *) continue ;; esac
		fi
		if ! grep -qx "$line" "$OUT/.config"; then
			sym=${line%%=*}
			got=$(grep -E "^$sym=|^# $sym is not set" "$OUT/.config" || echo "absent (unknown symbol?)")
			lost="$lost
  $line  -> $got"
		fi ;;
	"# CONFIG_"*" is not set")
		sym=${line#"# "}; sym=${sym%% *}
		if grep -qE "^$sym=[ym]" "$OUT/.config"; then
			lost="$lost
  $line  -> $(grep -E "^$sym=" "$OUT/.config")"
		fi ;;
	esac
done <"$OUT/fragment.config"
if [ -n "$lost" ]; then
	echo "$ME: error: options of $FRAG${VFRAG:+ + $VFRAG} lost after olddefconfig" >&2
	echo "(an unmet dependency; check 'depends on' in the Kconfig):$lost" >&2
	exit 1
fi
if [ "$ARCH" = arm64 ]; then
	say "config ok: all $(grep -cE '^CONFIG_.*=[ym]$' "$FRAG") options of the fragment survived"
else
	say "config ok: all $(grep -cE '^CONFIG_.*=' "$OUT/fragment.config") options of the fragment(s) survived"
fi
[ "$CONFIG_ONLY" = 1 ] && { echo "$OUT"; exit 0; }

# --- build, with a progress line every 30 s ---
start=$(date +%s)
progress() {
	while sleep 30; do
		n=$(find "$OUT" -name '*.o' -newer "$OUT/.config" 2>/dev/null | wc -l)
		say "building $ARCH${VARIANT:+ $VARIANT} kernel... $n objects, $(( $(date +%s) - start )) s"
	done
}
progress &
ppid=$!
trap 'kill $ppid 2>/dev/null || true' EXIT INT TERM

if [ "$ARCH" = arm64 ]; then
	# with CONFIG_MODULES (the QEMU accel client loads nestiommu.ko in this
	# VM) also modules_prepare + modules, for M= builds (Module.symvers)
	if grep -qx 'CONFIG_MODULES=y' "$OUT/.config"; then
		say "building Image + modules_prepare + headers (make -j$JOBS)"
		set -- Image modules_prepare
	else
		say "building Image + headers (make -j$JOBS)"
		set -- Image
	fi
else
	say "building bzImage + modules_prepare (make -j$JOBS)"
	set -- bzImage modules_prepare
fi
if ! kmake -j"$JOBS" "$@"; then
	kill $ppid 2>/dev/null || true
	grep -E 'error|Error' "$LOG" | head -n 20 >&2 || true
	tail -n 30 "$LOG" >&2
	die "kernel build failed (full log: $LOG)"
fi
# Module.symvers comes from modpost, i.e. "make modules"; with no in-tree
# module configured it is (nearly) empty but must exist for M= builds.
if [ "$ARCH" = x86_64 ] || grep -qx 'CONFIG_MODULES=y' "$OUT/.config"; then
	kmake -j"$JOBS" modules || { tail -n 30 "$LOG" >&2; die "make modules failed"; }
	[ -f "$OUT/Module.symvers" ] || die "no Module.symvers after make modules"
fi
# uapi headers into <builddir>/usr/include. "make headers" writes exactly
# there ($(objtree)/usr/include); headers_install INSTALL_HDR_PATH=<builddir>/usr
# would only copy them onto themselves, and needs rsync (not installed).
kmake headers || { tail -n 30 "$LOG" >&2; die "make headers failed"; }
kill $ppid 2>/dev/null || true
trap - EXIT INT TERM

[ -f "$OUT/$IMAGE" ] || die "no $(basename "$IMAGE") after build"
[ -f "$OUT/usr/include/linux/iommufd.h" ] || die "no uapi iommufd.h after make headers"
if [ "$ARCH" = arm64 ]; then
	grep -q 'nestiommu testbed: no CANWBS' "$OUT/drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.o" \
		|| die "the built driver does not carry $(basename "$PATCH")"
else
	grep -q 'nestiommu testbed: the selftest takes the return value as the fd' \
		"$SRC/drivers/iommu/iommufd/selftest.c" \
		|| die "the source $SRC does not carry $(basename "$PATCH")"
fi
secs=$(( $(date +%s) - start ))
echo "$secs" >"$OUT/.build-seconds"
say "built in ${secs} s: $OUT/$IMAGE"
# marker last: others poll for it
date -u +%FT%TZ >"$OUT/.built"
echo "$OUT"
