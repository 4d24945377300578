#!/bin/bash
# Run the kernel's own iommufd selftests (tools/testing/selftests/iommu:
# iommufd and iommufd_fail_nth) in the testbed VM, as an independent check
# that the testbed kernel is right.
#
# Usage: tests/vm/kselftest.sh [--timeout S] [--no-fail-nth] [--keep-log DIR]
#
#   Builds both programs statically (-static, libcap from libcap-dev) from
#   the same kernel source and against the uapi headers of the testbed build
#   (cached in <builddir>/kselftest-iommu/), boots the VM with hugepages
#   reserved, runs them, prints each program's "# Totals:" line and its run
#   time, and exits nonzero on any failure (a failing case, a kernel splat,
#   a timeout) other than the explicitly known ones listed in KNOWN_FAIL
#   (none today).
#
#   --timeout S     VM time limit (default 1800; fail_nth is slow under TCG)
#   --no-fail-nth   run only iommufd (fast), not iommufd_fail_nth
#   --keep-log DIR  keep the full console log in DIR/kselftest-console.log
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
say() { echo "kselftest: $*" >&2; }
die() { echo "kselftest: error: $*" >&2; exit 1; }

TIMEOUT=1800
FAIL_NTH=1
LOGDIR=""
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) TIMEOUT=${2:?--timeout needs seconds}; shift ;;
	--no-fail-nth) FAIL_NTH=0 ;;
	--keep-log) LOGDIR=${2:?--keep-log needs a directory}; shift ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done

# Cases that are known not to pass on this testbed, with the reason:
# "<fixture>.<variant>.<test>  reason". A listed case that fails is
# reported but tolerated; a listed case that passes is reported too (the
# list must then shrink). Keep it empty unless a case really cannot pass.
#
# Empty: the 8 dmabuf_simple/dmabuf_revoke cases that 7.3.4 fails (its
# iommufd_test_dmabuf_get() returns 0 instead of the dma-buf fd) pass
# since tests/vm/build-kernel.sh builds the testbed kernel with
# tests/vm/iommufd-dmabuf-fd.patch (see there).
KNOWN_FAIL=()

BUILD=$("$HERE/build-kernel.sh") || die "kernel build failed"
SRC=$("$HERE/fetch-kernel-source.sh")
KST="$SRC/tools/testing/selftests/iommu"
OUT="$BUILD/kselftest-iommu"
[ -f "$BUILD/usr/include/linux/iommufd.h" ] || die "no uapi headers in $BUILD/usr (headers_install)"

# --- build statically, once per kernel build ---
if [ ! -x "$OUT/iommufd" ] || [ ! -x "$OUT/iommufd_fail_nth" ] ||
   [ "$KST/iommufd.c" -nt "$OUT/iommufd" ]; then
	say "building $KST statically"
	mkdir -p "$OUT"
	make -s -C "$KST" OUTPUT="$OUT" \
		KHDR_INCLUDES="-isystem $BUILD/usr/include" \
		LDFLAGS=-static \
		"$OUT/iommufd" "$OUT/iommufd_fail_nth" >"$OUT/build.log" 2>&1 ||
		{ cat "$OUT/build.log" >&2; die "building the selftests failed"; }
fi
for p in iommufd iommufd_fail_nth; do
	if ldd "$OUT/$p" >/dev/null 2>&1; then die "$OUT/$p is not static"; fi
done

# --- the payload: run each program, time it, keep its Totals line ---
PAYLOAD=$(mktemp "${TMPDIR:-/tmp}/nestiommu-kst.XXXXXX")
trap 'rm -f "$PAYLOAD"' EXIT
cat >"$PAYLOAD" <<EOF
#!/bin/sh
# fail_nth sweeps error paths looking for splats; run-vm.sh fails the run
# on any WARNING/BUG/lockdep report in the console, so no panic_on_warn
# (that would hide the totals)
rc=0
for t in iommufd $( [ "$FAIL_NTH" = 1 ] && echo iommufd_fail_nth ); do
	echo "KSELFTEST-BEGIN \$t"
	s=\$(cut -d' ' -f1 /proc/uptime)
	/usr/local/bin/\$t
	r=\$?
	e=\$(cut -d' ' -f1 /proc/uptime)
	echo "KSELFTEST-END \$t status=\$r seconds=\$(awk -v a=\$s -v b=\$e 'BEGIN{printf "%.1f", b-a}')"
	[ \$r = 0 ] || rc=1
done
exit \$rc
EOF

LOGARGS=()
LOG=$(mktemp "${TMPDIR:-/tmp}/nestiommu-kst-out.XXXXXX")
trap 'rm -f "$PAYLOAD" "$LOG"' EXIT
if [ -n "$LOGDIR" ]; then
	mkdir -p "$LOGDIR"
	LOGARGS=(--log "$LOGDIR/kselftest-console.log")
fi

say "running in the VM (timeout ${TIMEOUT}s)"
t0=$(date +%s)
set +e
# 128M hugetlb buffers (dirty tracking *_huge variants) need 64 x 2M pages
"$HERE/run-vm.sh" --timeout "$TIMEOUT" --mem 1536 --no-vfio \
	--append "hugepages=96" "${LOGARGS[@]}" \
	--prog "$OUT/iommufd" --prog "$OUT/iommufd_fail_nth" \
	--file "$PAYLOAD:/usr/local/bin/run-kselftest" \
	-- sh /usr/local/bin/run-kselftest | tee "$LOG"
vmrc=${PIPESTATUS[0]}
set -e
t1=$(date +%s)

# --- report ---
is_known() {
	local k
	for k in "${KNOWN_FAIL[@]+"${KNOWN_FAIL[@]}"}"; do
		[ "${k%% *}" = "$1" ] && return 0
	done
	return 1
}
echo "===== iommufd kselftest summary ====="
bad=0
programs="iommufd"
[ "$FAIL_NTH" = 1 ] && programs="$programs iommufd_fail_nth"
for t in $programs; do
	# this program's section of the output
	sec=$(awk -v t="$t" '$0 == "KSELFTEST-BEGIN " t {on=1; next}
		on && $1 == "KSELFTEST-END" && $2 == t {print; exit}
		on {print}' "$LOG")
	end=$(printf '%s\n' "$sec" | grep -E "^KSELFTEST-END $t " || true)
	totals=$(printf '%s\n' "$sec" | grep -E '^# Totals:' || true)
	echo "$t: ${totals:-no Totals line} (${end:-did not finish})"
	if [ -z "$end" ] || [ -z "$totals" ]; then
		echo "  FAILED: $t did not complete"
		bad=1
		continue
	fi
	status=$(printf '%s\n' "$end" | sed -E 's/.*status=([0-9]+).*/\1/')
	nfail=$(printf '%s\n' "$totals" | sed -E 's/.* fail:([0-9]+).*/\1/')
	nerr=$(printf '%s\n' "$totals" | sed -E 's/.* error:([0-9]+).*/\1/')
	nknown=0
	while IFS= read -r c; do
		[ -n "$c" ] || continue
		if is_known "$c"; then
			nknown=$((nknown + 1))
			echo "  known failure (tolerated): $c"
		else
			echo "  FAILED: $c"
			bad=1
		fi
	done < <(printf '%s\n' "$sec" | grep -E '^not ok [0-9]+ ' | sed -E 's/^not ok [0-9]+ //; s/ #.*//')
	printf '%s\n' "$sec" | grep -E '^ok [0-9]+ .* # SKIP' | sed -E 's/^ok [0-9]+ /  skipped: /' || true
	for k in "${KNOWN_FAIL[@]+"${KNOWN_FAIL[@]}"}"; do
		if printf '%s\n' "$sec" | grep -qE "^ok [0-9]+ ${k%% *}\$"; then
			echo "  known failure now passes, remove it from KNOWN_FAIL: ${k%% *}"
		fi
	done
	# a nonzero status must be fully explained by known failures
	if [ "$nerr" != 0 ] || [ "$nfail" != "$nknown" ] ||
	   { [ "$status" != 0 ] && [ "$nknown" = 0 ]; }; then
		echo "  FAILED: $t status=$status fail=$nfail error=$nerr known=$nknown"
		bad=1
	fi
done
if [ "${#KNOWN_FAIL[@]}" != 0 ]; then
	echo "known failure list (${#KNOWN_FAIL[@]} cases), reasons:"
	printf '%s\n' "${KNOWN_FAIL[@]}" | sed 's/^[^ ]*  /  /' | sort -u
fi
echo "VM exit status $vmrc, $((t1 - t0)) s wall"
if [ "$vmrc" -ge 124 ]; then
	echo "FAILED: testbed status $vmrc (timeout, kernel splat or crash; see the console log above)"
	bad=1
fi
if [ "$bad" != 0 ]; then
	echo "FAIL"
	exit 1
fi
echo "PASS"
