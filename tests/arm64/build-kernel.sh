#!/bin/sh
# Cross-build the arm64 tier's kernel (arm64 Image + uapi headers) out of
# tree, cached outside the repository, like tests/vm/build-kernel.sh.
#
# Usage: tests/arm64/build-kernel.sh [--config-only] [--jobs N]
#
#   Prints ONLY the build directory on stdout (all progress goes to stderr):
#     /var/cache/nestiommu/build-arm64/<kver>-<sha256(kernel.config +
#                                      smmuv3-canwbs.patch), 12 chars>/
#   containing:
#     arch/arm64/boot/Image   the kernel (booted directly by QEMU, no firmware)
#     usr/include/linux/...   uapi headers (make headers)
#     .config                 tinyconfig + tests/arm64/kernel.config
#     .built                  marker, written last: the cache is valid
#   A second run with a valid cache returns immediately.
#
#   The source is a private copy of the shared unpacked linux-source
#   (tests/vm/fetch-kernel-source.sh), hard-linked to save 1.8 GB, with
#   the files touched by smmuv3-canwbs.patch replaced by real copies before
#   patching, so the shared tree (the x86 build's) is never modified:
#     /var/cache/nestiommu/src-arm64/linux-<kver>-<sha256(patch), 12 chars>/
#
#   --config-only  configure and verify the fragment, do not build
#   --jobs N       parallel make jobs (default 2: the machine is shared)
#
# Needs gcc-aarch64-linux-gnu (scripts/install-deps-arm64.sh), bc, bison,
# flex. Environment: NESTIOMMU_CACHE (default /var/cache/nestiommu),
# NESTIOMMU_KVER (default 7.3), CROSS_COMPILE (default aarch64-linux-gnu-).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${NESTIOMMU_CACHE:-/var/cache/nestiommu}
FRAG="$HERE/kernel.config"
PATCH="$HERE/smmuv3-canwbs.patch"
CROSS=${CROSS_COMPILE:-aarch64-linux-gnu-}
JOBS=2
CONFIG_ONLY=0

die() { echo "build-kernel-arm64: error: $*" >&2; exit 1; }
say() { echo "build-kernel-arm64: $*" >&2; }

while [ $# -gt 0 ]; do
	case $1 in
	--config-only) CONFIG_ONLY=1 ;;
	--jobs) [ $# -ge 2 ] || die "--jobs needs a value"; JOBS=$2; shift ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done

[ -f "$FRAG" ] || die "missing fragment $FRAG"
[ -f "$PATCH" ] || die "missing patch $PATCH"
command -v "${CROSS}gcc" >/dev/null || die "no ${CROSS}gcc (run scripts/install-deps-arm64.sh)"

SHARED=$("$HERE/../vm/fetch-kernel-source.sh") || die "fetching the kernel source failed"
[ -f "$SHARED/Makefile" ] || die "no kernel source at $SHARED"
KVER=$(make -s -C "$SHARED" kernelversion 2>/dev/null) || die "cannot read kernel version from $SHARED"
HASH=$(cat "$FRAG" "$PATCH" | sha256sum | cut -c1-12)
PHASH=$(sha256sum "$PATCH" | cut -c1-12)
KEY="$KVER-$HASH"
OUT="$CACHE/build-arm64/$KEY"
SRC="$CACHE/src-arm64/linux-$KVER-$PHASH"

if [ -f "$OUT/.built" ] && [ -f "$OUT/arch/arm64/boot/Image" ] && [ "$CONFIG_ONLY" = 0 ]; then
	say "cached: $OUT"
	echo "$OUT"
	exit 0
fi

mkdir -p "$CACHE/build-arm64" "$CACHE/src-arm64"
# one build per key at a time (make check and a manual run may race)
exec 9>"$CACHE/build-arm64/.lock-$KEY"
if ! flock -n 9; then
	say "another build of $KEY is running; waiting for it"
	flock 9
	if [ -f "$OUT/.built" ] && [ "$CONFIG_ONLY" = 0 ]; then
		say "cached: $OUT"
		echo "$OUT"
		exit 0
	fi
fi

# --- the patched private source copy ---
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

mkdir -p "$OUT"
rm -f "$OUT/.built"
say "kernel $KVER (arm64), key $HASH, source $SRC"
say "build dir $OUT (log: $OUT/build.log)"
LOG="$OUT/build.log"
: >"$LOG"

kmake() {
	make -C "$SRC" O="$OUT" ARCH=arm64 CROSS_COMPILE="$CROSS" "$@" >>"$LOG" 2>&1
}

# --- configure: tinyconfig + fragment + olddefconfig, then verify ---
say "configuring (tinyconfig + $(basename "$FRAG"))"
kmake tinyconfig || { tail -n 30 "$LOG" >&2; die "make tinyconfig failed"; }
(cd "$OUT" && ARCH=arm64 CROSS_COMPILE="$CROSS" "$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT" "$OUT/.config" "$FRAG") >>"$LOG" 2>&1 \
	|| { tail -n 30 "$LOG" >&2; die "merge_config.sh failed"; }
kmake olddefconfig || { tail -n 30 "$LOG" >&2; die "make olddefconfig failed"; }

lost=""
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		case $line in *=y|*=m) ;; *) continue ;; esac
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
done <"$FRAG"
if [ -n "$lost" ]; then
	echo "build-kernel-arm64: error: options of $FRAG lost after olddefconfig" >&2
	echo "(an unmet dependency; check 'depends on' in the Kconfig):$lost" >&2
	exit 1
fi
say "config ok: all $(grep -cE '^CONFIG_.*=[ym]$' "$FRAG") options of the fragment survived"
[ "$CONFIG_ONLY" = 1 ] && { echo "$OUT"; exit 0; }

# --- build, with a progress line every 30 s ---
start=$(date +%s)
progress() {
	while sleep 30; do
		n=$(find "$OUT" -name '*.o' -newer "$OUT/.config" 2>/dev/null | wc -l)
		say "building arm64 kernel... $n objects, $(( $(date +%s) - start )) s"
	done
}
progress &
ppid=$!
trap 'kill $ppid 2>/dev/null || true' EXIT INT TERM

say "building Image + headers (make -j$JOBS)"
if ! kmake -j"$JOBS" Image; then
	kill $ppid 2>/dev/null || true
	grep -E 'error|Error' "$LOG" | head -n 20 >&2 || true
	tail -n 30 "$LOG" >&2
	die "kernel build failed (full log: $LOG)"
fi
kmake headers || { tail -n 30 "$LOG" >&2; die "make headers failed"; }
kill $ppid 2>/dev/null || true
trap - EXIT INT TERM

[ -f "$OUT/arch/arm64/boot/Image" ] || die "no Image after build"
[ -f "$OUT/usr/include/linux/iommufd.h" ] || die "no uapi iommufd.h after make headers"
grep -q 'nestiommu testbed: no CANWBS' "$OUT/drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.o" \
	|| die "the built driver does not carry smmuv3-canwbs.patch"
secs=$(( $(date +%s) - start ))
echo "$secs" >"$OUT/.build-seconds"
say "built in ${secs} s: $OUT/arch/arm64/boot/Image"
date -u +%FT%TZ >"$OUT/.built"
echo "$OUT"
