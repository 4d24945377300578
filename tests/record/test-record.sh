#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# libnestiommu-record and nestctl replay against the fake kernel:
#  - record/rec-vmm (QEMU's calls as raw ioctls, from several threads)
#    prints the same results with and without the recorder;
#  - the recording is a valid plan that nestctl replay runs with the same
#    results and graph, saying which calls it could not replay (opaque);
#  - a changed result, a changed graph, a kernel lacking a feature, a
#    SIGKILLed recording, a plan that is not a recording;
#  - nestctl apply of a golden plan, recorded and replayed.
#
# Environment: NESTCTL, FAKEKERNEL, RECORDER, REC_VMM (defaults: the build).

# "check && ok || bad": ok only prints, so bad runs exactly when a check fails.
# shellcheck disable=SC2015
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/../..}"
: "${top_srcdir:=$here/../..}"
: "${NESTCTL:=$top_builddir/cli/nestctl}"
: "${FAKEKERNEL:=$top_builddir/tests/fake-kernel/.libs/libfakekernel.so}"
: "${RECORDER:=$top_builddir/record/.libs/libnestiommu-record.so}"
: "${REC_VMM:=$top_builddir/tests/record/rec-vmm}"

for f in "$NESTCTL" "$FAKEKERNEL" "$RECORDER" "$REC_VMM"; do
	if [ ! -e "$f" ]; then
		echo "SKIP: $f not built"
		exit 77
	fi
done

# Sanitizer builds: the ASan runtime must come first in LD_PRELOAD.
asan=$(ldd "$RECORDER" 2>/dev/null | awk '/libasan/ { print $3 }')
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=1
export ASAN_OPTIONS

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }

fake() { LD_PRELOAD="${asan:+$asan }$FAKEKERNEL" "$@"; }
recorded() {
	out=$1
	shift
	NESTIOMMU_RECORD=$out LD_PRELOAD="${asan:+$asan }$RECORDER $FAKEKERNEL" "$@"
}
# A JSON field of nestctl's -j output, without a JSON tool.
field() { sed -n "s/.*\"$1\": *\\([0-9][0-9]*\\).*/\\1/p" "$2" | head -n 1; }

# --- 1. the recorder changes nothing the process sees ---
fake "$REC_VMM" >"$tmp/plain.out" 2>"$tmp/plain.err" || bad "rec-vmm without the recorder exited $?"
recorded "$tmp/vmm.json" "$REC_VMM" >"$tmp/rec.out" 2>"$tmp/rec.err" || bad "rec-vmm under the recorder exited $?"
sort "$tmp/plain.out" >"$tmp/plain.sorted"
sort "$tmp/rec.out" >"$tmp/rec.sorted"
if cmp -s "$tmp/plain.sorted" "$tmp/rec.sorted" && [ -s "$tmp/plain.out" ]; then
	ok "every call gives the same result under the recorder ($(wc -l <"$tmp/rec.out") results)"
else
	bad "results differ under the recorder"
	diff "$tmp/plain.sorted" "$tmp/rec.sorted"
fi
grep -q "INVALIDATE array *ret=-1 errno=5 value=0x2" "$tmp/rec.out" &&
	grep -q "thread 3: 0 failures" "$tmp/rec.out" &&
	ok "entry_num of a failing array and the threads' maps" ||
	bad "rec-vmm's own results are not the expected ones"

# --- 2. what was recorded ---
calls=$(field calls "$tmp/vmm.json" | tr -d ' ')
steps=$(field steps "$tmp/vmm.json" | tr -d ' ')
opaque=$(field opaque "$tmp/vmm.json" | tr -d ' ')
# 28 single calls + 4 threads x (25 maps + 8 unmaps)
if [ "$calls" = 160 ] && [ "$steps" = 160 ] && [ "$opaque" = 3 ]; then
	ok "recorded $calls calls as $steps steps, $opaque opaque"
else
	bad "recorded calls=$calls steps=$steps opaque=$opaque (expected 160/160/3)"
fi
grep -q '"op": "ioas-iova-ranges", "ioas": "ioas1", "num": 0, "expect-errno": 90' "$tmp/vmm.json" &&
	grep -q '"op": "device-attach", "dev": "dev2", "pt": "ioas1", "hwpt-name": "hwpt3"' "$tmp/vmm.json" &&
	grep -q '"data": \["0x4000000b", "0x0"\], "data-type": 2' "$tmp/vmm.json" &&
	grep -q '"ioctl": "IOMMU_HWPT_INVALIDATE", "ret": -1, "errno": 5, "entries": 4, "processed": 2' "$tmp/vmm.json" &&
	grep -q '"op": "ioas-map", "ioas": "ioas1", "length": 8192, "va-align": "0x[0-9a-f]*", "readable": true, "writable": false' "$tmp/vmm.json" &&
	grep -q '"name": "VFIO_DEVICE_GET_INFO"' "$tmp/vmm.json" &&
	grep -q '"request": "0x3bef", "fd-kind": "iommufd", "note": "an ioctl the recorder does not know"' "$tmp/vmm.json" &&
	grep -q '"op": "ioas-alloc", "name": "ioas9"' "$tmp/vmm.json" &&
	grep -q '"complete": true' "$tmp/vmm.json" &&
	ok "probe, automatic HWPT, vSTE verbatim, entry_num, permissions, opaque calls, dup()ed descriptor" ||
	bad "the recording lacks an expected step"

# --- 3. replay ---
fake "$NESTCTL" -j replay "$tmp/vmm.json" >"$tmp/replay.out" 2>"$tmp/replay.err"
rc=$?
if [ $rc = 0 ] && grep -q '"result":"same"' "$tmp/replay.out" &&
   [ "$(field replayed "$tmp/replay.out")" = 157 ] &&
   grep -q "3 recorded call(s) not replayed" "$tmp/replay.err"; then
	ok "replay: same results and graph ($(field values-compared "$tmp/replay.out") values compared, 157 steps replayed, 3 opaque)"
else
	bad "replay exited $rc"
	cat "$tmp/replay.out" "$tmp/replay.err"
fi

# --- 4. divergences ---
sed 's/"ioctl": "IOMMU_VIOMMU_ALLOC", "ret": 0, "id": 3/"ioctl": "IOMMU_VIOMMU_ALLOC", "ret": 0, "id": 4/' \
	"$tmp/vmm.json" >"$tmp/bad-id.json"
fake "$NESTCTL" -j replay "$tmp/bad-id.json" >"$tmp/d1.out" 2>&1
rc=$?
if [ $rc = 2 ] && grep -q '"divergence":"result"' "$tmp/d1.out" &&
   grep -q '"field":"id","recorded":"4","replayed":"3"' "$tmp/d1.out"; then
	ok "a different ID is the first divergence"
else
	bad "changed ID: exit $rc"; cat "$tmp/d1.out"
fi
sed 's/"processed": 2}/"processed": 3}/' "$tmp/vmm.json" >"$tmp/bad-num.json"
fake "$NESTCTL" -j replay "$tmp/bad-num.json" >"$tmp/d2.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q '"op":"invalidate","field":"processed","recorded":"3","replayed":"2"' "$tmp/d2.out" &&
	ok "a different entry_num is a divergence" ||
	{ bad "changed entry_num: exit $rc"; cat "$tmp/d2.out"; }
sed 's/{"name": "vdev6", "type": "vdevice", "id": 6}/{"name": "vdev6", "type": "vdevice", "id": 9}/' \
	"$tmp/vmm.json" >"$tmp/bad-graph.json"
fake "$NESTCTL" -j replay "$tmp/bad-graph.json" >"$tmp/d3.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q '"divergence":"graph"' "$tmp/d3.out" &&
	ok "a different final graph is a divergence" ||
	{ bad "changed graph: exit $rc"; cat "$tmp/d3.out"; }
sed 's/"ioctl": "IOMMU_HWPT_ALLOC", "ret": -1, "errno": 5/"ioctl": "IOMMU_HWPT_ALLOC", "ret": 0/; s/"data-type": 2, "expect-errno": 5,/"data-type": 2,/' \
	"$tmp/vmm.json" >"$tmp/bad-errno.json"
fake "$NESTCTL" -j replay "$tmp/bad-errno.json" >"$tmp/d4.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q '"divergence":"errno"' "$tmp/d4.out" && grep -q '"errno":5' "$tmp/d4.out" &&
	ok "a call that fails on replay but not when recorded stops there with its errno" ||
	{ bad "changed errno: exit $rc"; cat "$tmp/d4.out"; }

# --- 5. a kernel without IOMMU_VEVENTQ_ALLOC (0x93): the kernel's ENOTTY,
# which the library reports as EOPNOTSUPP naming the release that added it
FAKE_KERNEL_MISSING=0x93 fake "$NESTCTL" -j replay "$tmp/vmm.json" >"$tmp/old.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q '"errno":95' "$tmp/old.out" && grep -q '"op":"veventq-alloc"' "$tmp/old.out" &&
	grep -q 'added in Linux' "$tmp/old.out" &&
	ok "a kernel lacking a feature: the replay stops at that step (EOPNOTSUPP)" ||
	{ bad "missing feature: exit $rc"; cat "$tmp/old.out"; }

# --- 5b. recorded on that older kernel (IOMMU_IOAS_CHANGE_PROCESS, 0x92,
# missing: ENOTTY), replayed on it: the library's EOPNOTSUPP is the same ---
FAKE_KERNEL_MISSING=0x92 recorded "$tmp/old-rec.json" "$REC_VMM" >/dev/null 2>&1
FAKE_KERNEL_MISSING=0x92 fake "$NESTCTL" -j replay "$tmp/old-rec.json" >"$tmp/old2.out" 2>/dev/null
rc=$?
grep -q '"op": "ioas-change-process", "expect-errno": 25' "$tmp/old-rec.json" &&
	[ $rc = 0 ] && grep -q '"result":"same"' "$tmp/old2.out" &&
	ok "a call the recording kernel lacked (ENOTTY) replays as the library's EOPNOTSUPP" ||
	{ bad "missing at record time: exit $rc"; cat "$tmp/old2.out"; }

# --- 6. SIGKILL half-way: the file is still a plan ---
recorded "$tmp/killed.json" "$REC_VMM" kill >/dev/null 2>&1
grep -q '"complete": false' "$tmp/killed.json" &&
	fake "$NESTCTL" -j replay "$tmp/killed.json" >"$tmp/killed.out" 2>/dev/null &&
	grep -q '"recording-complete":false' "$tmp/killed.out" &&
	ok "a SIGKILLed recording replays up to its last call ($(field steps "$tmp/killed.json" | tr -d ' ') steps)" ||
	{ bad "killed recording"; cat "$tmp/killed.out"; }

# --- 7. bad input ---
fake "$NESTCTL" -j replay "$top_srcdir/tests/cli/golden/plan-small.json" >"$tmp/plain-plan.out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "is not a recording" "$tmp/plain-plan.out" &&
	ok "a plan that is not a recording: usage error" ||
	{ bad "plain plan: exit $rc"; cat "$tmp/plain-plan.out"; }
fake "$NESTCTL" -j replay "$tmp/nonexistent.json" >"$tmp/none.out" 2>&1
[ $? = 1 ] && ok "a missing file: usage error" || bad "missing file"
NESTIOMMU_RECORD=/nonexistent/dir/x.json LD_PRELOAD="${asan:+$asan }$RECORDER $FAKEKERNEL" \
	"$REC_VMM" >"$tmp/nowrite.out" 2>"$tmp/nowrite.err"
rc=$?
[ $rc = 0 ] && grep -q "cannot write /nonexistent/dir/x.json" "$tmp/nowrite.err" &&
	ok "an unwritable recording file: said once, the process runs unchanged" ||
	{ bad "unwritable file: exit $rc"; cat "$tmp/nowrite.err"; }

# --- 8. nestctl apply recorded, then replayed ---
recorded "$tmp/apply.json" "$NESTCTL" -j apply "$top_srcdir/tests/cli/golden/plan-nested-smmuv3.json" \
	>"$tmp/apply.out" 2>&1 || bad "nestctl apply under the recorder exited $?"
fake "$NESTCTL" -j replay "$tmp/apply.json" >"$tmp/apply-replay.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q '"result":"same"' "$tmp/apply-replay.out" &&
	ok "nestctl apply recorded ($(field calls "$tmp/apply.json" | tr -d ' ') calls) and replayed" ||
	{ bad "apply recording: exit $rc"; cat "$tmp/apply-replay.out"; }

exit $fail
