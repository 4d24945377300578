#!/bin/sh
# Build the testbed kernel (x86_64 bzImage + modules_prepare + uapi headers)
# out of tree, cached outside the repository.
#
# Usage: tests/vm/build-kernel.sh [--config-only] [--jobs N]
#
#   Prints ONLY the build directory on stdout (all progress goes to stderr):
#     /var/cache/nestiommu/build/<kver>-<sha256(kernel.config), 12 chars>/
#   containing:
#     arch/x86/boot/bzImage   the kernel
#     Module.symvers          + modules_prepare: make -C <builddir> M=<dir>
#     usr/include/linux/...   uapi headers (make headers: same result as
#                             headers_install INSTALL_HDR_PATH=<builddir>/usr)
#     .config                 tinyconfig + tests/vm/kernel.config
#     .built                  marker, written last: the cache is valid
#   A second run with a valid cache returns immediately.
#
#   --config-only  configure and verify the fragment, do not build (a no-op
#                  on a completed build)
#   --print-dir    only print the build dir of the current fragment (for
#                  pollers: the build is usable once <dir>/.built exists)
#   --jobs N       parallel make jobs (default 2: the machine is shared)
#
# Environment: NESTIOMMU_CACHE (default /var/cache/nestiommu),
#              NESTIOMMU_KVER (default 7.3, see fetch-kernel-source.sh)
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${NESTIOMMU_CACHE:-/var/cache/nestiommu}
FRAG="$HERE/kernel.config"
JOBS=2
CONFIG_ONLY=0
PRINT_DIR=0

die() { echo "build-kernel: error: $*" >&2; exit 1; }
say() { echo "build-kernel: $*" >&2; }

while [ $# -gt 0 ]; do
	case $1 in
	--config-only) CONFIG_ONLY=1 ;;
	--print-dir) PRINT_DIR=1 ;;
	--jobs) [ $# -ge 2 ] || die "--jobs needs a value"; JOBS=$2; shift ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done

[ -f "$FRAG" ] || die "missing fragment $FRAG"

SRC=$("$HERE/fetch-kernel-source.sh") || die "fetching the kernel source failed"
[ -f "$SRC/Makefile" ] || die "no kernel source at $SRC"
KVER=$(make -s -C "$SRC" kernelversion 2>/dev/null) || die "cannot read kernel version from $SRC"
HASH=$(sha256sum "$FRAG" | cut -c1-12)
KEY="$KVER-$HASH"
OUT="$CACHE/build/$KEY"
if [ "$PRINT_DIR" = 1 ]; then
	echo "$OUT"
	exit 0
fi

if [ -f "$OUT/.built" ] && [ -f "$OUT/arch/x86/boot/bzImage" ]; then
	say "cached: $OUT"
	echo "$OUT"
	exit 0
fi

# One build per key at a time: other engineers' scripts call this one too.
# The lock sits next to the build dir; a second caller waits, then finds the
# marker written by the first and returns.
mkdir -p "$CACHE/build"
exec 9>"$CACHE/build/$KEY.lock"
if ! flock -n 9; then
	say "another build of $KEY is running; waiting for it"
	flock 9
fi
if [ -f "$OUT/.built" ] && [ -f "$OUT/arch/x86/boot/bzImage" ]; then
	say "cached (built by a concurrent run): $OUT"
	echo "$OUT"
	exit 0
fi

mkdir -p "$OUT"
rm -f "$OUT/.built"
say "kernel $KVER, fragment $HASH, source $SRC"
say "build dir $OUT (log: $OUT/build.log)"
LOG="$OUT/build.log"
: >"$LOG"

kmake() {
	make -C "$SRC" O="$OUT" ARCH=x86_64 "$@" >>"$LOG" 2>&1
}

# --- configure: tinyconfig + fragment + olddefconfig, then verify ---
say "configuring (tinyconfig + $(basename "$FRAG"))"
kmake tinyconfig || { tail -n 30 "$LOG" >&2; die "make tinyconfig failed"; }
# merge_config.sh -m: merge only, -O: output dir; it warns about
# overridden values on stdout, which goes to the log
(cd "$OUT" && "$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT" "$OUT/.config" "$FRAG") >>"$LOG" 2>&1 \
	|| { tail -n 30 "$LOG" >&2; die "merge_config.sh failed"; }
kmake olddefconfig || { tail -n 30 "$LOG" >&2; die "make olddefconfig failed"; }

# Every CONFIG_X=y/m (and every other CONFIG_X=value) in the fragment must
# have survived with that value, every "# CONFIG_X is not set" must be off.
lost=""
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
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
	echo "build-kernel: error: options of $FRAG lost after olddefconfig" >&2
	echo "(an unmet dependency; check 'depends on' in the Kconfig):$lost" >&2
	exit 1
fi
say "config ok: all $(grep -cE '^CONFIG_.*=' "$FRAG") options of the fragment survived"
[ "$CONFIG_ONLY" = 1 ] && { echo "$OUT"; exit 0; }

# --- build, with a progress line every 30 s ---
start=$(date +%s)
progress() {
	while sleep 30; do
		n=$(find "$OUT" -name '*.o' -newer "$OUT/.config" 2>/dev/null | wc -l)
		say "building kernel... $n objects, $(( $(date +%s) - start )) s"
	done
}
progress &
ppid=$!
trap 'kill $ppid 2>/dev/null || true' EXIT INT TERM

say "building bzImage + modules_prepare (make -j$JOBS)"
if ! kmake -j"$JOBS" bzImage modules_prepare; then
	kill $ppid 2>/dev/null || true
	grep -E 'error|Error' "$LOG" | head -n 20 >&2 || true
	tail -n 30 "$LOG" >&2
	die "kernel build failed (full log: $LOG)"
fi
# Module.symvers comes from modpost, i.e. "make modules"; with no in-tree
# module configured it is (nearly) empty but must exist for M= builds.
kmake -j"$JOBS" modules || { tail -n 30 "$LOG" >&2; die "make modules failed"; }
[ -f "$OUT/Module.symvers" ] || die "no Module.symvers after make modules"
# uapi headers into <builddir>/usr/include. "make headers" writes exactly
# there ($(objtree)/usr/include); headers_install INSTALL_HDR_PATH=<builddir>/usr
# would only copy them onto themselves, and needs rsync (not installed).
kmake headers || { tail -n 30 "$LOG" >&2; die "make headers failed"; }
kill $ppid 2>/dev/null || true
trap - EXIT INT TERM

[ -f "$OUT/arch/x86/boot/bzImage" ] || die "no bzImage after build"
[ -f "$OUT/usr/include/linux/iommufd.h" ] || die "no uapi iommufd.h after headers_install"
secs=$(( $(date +%s) - start ))
echo "$secs" >"$OUT/.build-seconds"
say "built in ${secs} s: $OUT/arch/x86/boot/bzImage"
# marker last: others poll for it
date -u +%FT%TZ >"$OUT/.built"
echo "$OUT"
