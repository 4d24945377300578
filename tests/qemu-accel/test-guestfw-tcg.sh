#!/bin/sh
# guestfw on QEMU's emulated SMMUv3 (TCG, stage 1, no accel): the
# reference behaviour the accel runs are held to. Boots the firmware as
# -bios of -M virt,iommu=smmuv3 with an e1000e, answers each "@@ PAUSE"
# with one byte as the accel harness does, and asserts "@@ DONE pass",
# every check by name and the plan. Then the NOPAUSE build: no pause,
# same result. Then a build with 1 s pauses nobody answers: four failed
# pause checks, everything else passes, "@@ DONE fail". SKIP (77) without aarch64-linux-gnu-gcc or a QEMU for
# aarch64 (tests/arm64/find-qemu.sh says where it looks).
set -eu
srcdir=${srcdir:-$(dirname "$0")/..}
here=$(cd "$srcdir/qemu-accel" && pwd)
top_builddir=${top_builddir:-}

CROSS=${CROSS:-aarch64-linux-gnu-}
if ! command -v "${CROSS}gcc" >/dev/null 2>&1; then
	echo "SKIP: ${CROSS}gcc is missing (scripts/install-deps-arm64.sh installs gcc-aarch64-linux-gnu): guestfw cannot be built" >&2
	exit 77
fi
if ! QEMU=$(sh "$here/../arm64/find-qemu.sh"); then
	echo "SKIP: no qemu-system-aarch64 (run scripts/install-deps-arm64.sh as root)" >&2
	exit 77
fi

tmp=$(mktemp -d)
qpid=
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	exec 3>&- 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# the firmware make check built, else a private build
fw=${top_builddir:+$top_builddir/tests/qemu-accel/guest}
if [ -z "$fw" ] || [ ! -f "$fw/guestfw.bin" ] || [ ! -f "$fw/guestfw-nopause.bin" ]; then
	fw=$tmp/fw
	mkdir -p "$fw"
	unset MAKEFLAGS MFLAGS MAKELEVEL
	make -s -C "$fw" -f "$here/guest/Makefile" srcdir="$here/guest" CROSS="$CROSS" >&2
fi

status=0
fail() {
	echo "not ok - $*"
	status=1
}

# run BIN LOG [silent]: boot it, answer pauses (unless silent), wait for
# QEMU to power off
run() {
	bin=$1 log=$2 silent=${3:-}
	rm -f "$tmp/in"
	mkfifo "$tmp/in"
	"$QEMU" -M virt,gic-version=3,iommu=smmuv3 -cpu max -accel tcg -m 256 \
		-bios "$bin" -device e1000e,romfile= -nodefaults -display none \
		-monitor none -serial stdio -no-reboot <"$tmp/in" >"$log" 2>"$log.err" &
	qpid=$!
	exec 3>"$tmp/in"
	answered=0
	t=0
	while kill -0 "$qpid" 2>/dev/null; do
		n=$(grep -c '^@@ PAUSE' "$log" || true)
		if [ -z "$silent" ] && [ "$n" -gt "$answered" ]; then
			printf g >&3
			answered=$((answered + 1))
			continue
		fi
		t=$((t + 1))
		if [ "$t" -gt 1200 ]; then	# 2 minutes
			fail "$bin: QEMU still running after 120 s"
			kill "$qpid" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	wait "$qpid" || fail "$bin: QEMU exited with $? ($(grep -v 'module' "$log.err" | head -3))"
	qpid=
	exec 3>&-
	tr -d '\r' <"$log" >"$log.txt"
}

# expect LOG PATTERN: one line matches the extended regex
expect() {
	if grep -Eq "$2" "$1.txt"; then
		echo "ok - $(basename "$1"): $2"
	else
		fail "$(basename "$1"): no line matching: $2"
	fi
}

checks='^ok [0-9]+ - SMMU enabled: linear stream table, command and event queues in guest RAM
^ok [0-9]+ - S1_TRANS STE and CD \(ASID 1, .*installed: CFGI_CD, CFGI_STE, CMD_SYNC without CERROR
^ok [0-9]+ - stage 1: DMA at VA 0x12340000 lands at page A .* byte for byte, page B untouched, no event
^ok [0-9]+ - PTE moved to page B without TLBI: DMA still lands at page A
^ok [0-9]+ - after TLBI_NH_VA: DMA lands at page B
^ok [0-9]+ - PTE moved back to page A without TLBI: DMA still lands at page B
^ok [0-9]+ - after TLBI_NH_ASID: DMA lands at page A
^ok [0-9]+ - DMA at unmapped VA 0x12348000: no memory changes
^ok [0-9]+ - F_TRANSLATION for VA 0x12348000 with StreamID @SID@ in the guest.s event queue
^ok [0-9]+ - abort STE: DMA fails, no memory changes
^ok [0-9]+ - bypass STE: DMA at IPA 0x[0-9a-f]+ lands there
^ok [0-9]+ - S1_TRANS STE again: DMA at VA 0x12340000 lands at page A
^ok [0-9]+ - SMMU disabled, GBPA abort: DMA fails, no memory changes
^ok [0-9]+ - SMMU disabled, GBPA bypass: DMA at IPA 0x[0-9a-f]+ lands there
^ok [0-9]+ - SMMU enabled again with a 2-level stream table
^ok [0-9]+ - 2-level stream table: DMA at VA 0x12340000 lands at page A
^ok [0-9]+ - benchmark: 2000 TLBI_NH_VA in 10 batches, each closed by CMD_SYNC, completed
^@@ BENCH cmdq tlbi=2000 syncs=10 us=[0-9]+ per_s=[0-9]+$
^ok [0-9]+ - no command was rejected \(CERROR\) and every CMD_SYNC completed
^@@ DEVICE e1000e 00:0[0-9a-f]\.0 sid=0x[0-9a-f]+$
^@@ DONE pass$'

for flavour in guestfw guestfw-nopause; do
	log=$tmp/$flavour
	run "$fw/$flavour.bin" "$log"
	# the event names the StreamID the firmware announced
	sid=$(sed -n 's/^@@ DEVICE e1000e .* sid=\(0x[0-9a-f]*\)$/\1/p' "$log.txt")
	echo "$checks" | sed "s/@SID@/${sid:-none}/" | while IFS= read -r re; do
		expect "$log" "$re"
	done
	if grep -q '^not ok' "$log.txt"; then
		fail "$flavour: $(grep '^not ok' "$log.txt" | head -5)"
	fi
	# the plan matches the number of results, none missing or repeated
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log.txt")
	results=$(grep -Ec '^(not )?ok [0-9]+ ' "$log.txt" || true)
	[ -n "$plan" ] && [ "$plan" = "$results" ] ||
		fail "$flavour: plan '1..$plan' but $results results"
	pauses=$(grep -c '^@@ PAUSE' "$log.txt" || true)
	if [ "$flavour" = guestfw ]; then
		[ "$pauses" = 4 ] || fail "$flavour: $pauses pauses, expected stage1 fault bypass disabled"
		for tag in stage1 fault bypass disabled; do
			expect "$log" "^ok [0-9]+ - pause $tag: harness answered$"
		done
	else
		[ "$pauses" = 0 ] || fail "$flavour: $pauses pauses in the NOPAUSE build"
	fi
	if [ $status != 0 ]; then
		echo "# $flavour's console:"
		sed 's/^/#   /' "$log.txt"
	fi
done
# a harness that never answers: each pause times out as a failed check,
# the run goes on and ends in "@@ DONE fail"
fwt=$tmp/fw-timeout
mkdir -p "$fwt"
(unset MAKEFLAGS MFLAGS MAKELEVEL
 make -s -C "$fwt" -f "$here/guest/Makefile" srcdir="$here/guest" \
	CROSS="$CROSS" PAUSE_TIMEOUT_MS=1000 guestfw.bin >&2)
run "$fwt/guestfw.bin" "$tmp/timeout" silent
for tag in stage1 fault bypass disabled; do
	expect "$tmp/timeout" "^not ok [0-9]+ - pause $tag: harness answered \(no byte within 1 s\)$"
done
expect "$tmp/timeout" '^ok [0-9]+ - 2-level stream table: DMA at VA 0x12340000 lands at page A'
expect "$tmp/timeout" '^@@ DONE fail$'
[ "$(grep -c '^not ok' "$tmp/timeout.txt")" = 4 ] ||
	fail "timeout: $(grep -c '^not ok' "$tmp/timeout.txt") failed checks, expected the 4 pauses"

# expect's failures happen in the pipeline's subshell: count them here
for flavour in guestfw guestfw-nopause; do
	sid=$(sed -n 's/^@@ DEVICE e1000e .* sid=\(0x[0-9a-f]*\)$/\1/p' "$tmp/$flavour.txt")
	echo "$checks" | sed "s/@SID@/${sid:-none}/" | while IFS= read -r re; do
		grep -Eq "$re" "$tmp/$flavour.txt" || exit 1
	done || status=1
done
exit $status
