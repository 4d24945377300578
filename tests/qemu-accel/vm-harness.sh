#!/bin/sh
# The QEMU accel client tier, VM side (busybox sh, run by tests/vm/init as
# the payload of tests/qemu-accel/run.sh). Runs the unmodified QEMU 11.1
# (/opt/qemu: the ship/ tree of scripts/install-qemu-accel.sh, started
# through its own dynamic loader) with KVM and `-device arm-smmuv3,accel=on`
# over a vfio-pci device, guestfw.bin as the inner VM's -bios, answers the
# firmware's pauses after checking, from outside QEMU, the iommufd objects
# QEMU made, and checks after QEMU that they are gone. TAP on stdout.
#
# Usage: qa-harness.sh RUN...   RUN = DEVICE:PROPS:END
#   DEVICE  e1000e     the e1000e behind the VM's upstream arm-smmu-v3
#                      ($NESTIOMMU_VFIO_BDF, bound to vfio-pci by the init)
#           nestiommu  a nestiommu.ko PCIe function (1b36:11e5): the
#                      module is loaded (/lib/nestiommu.ko, pci_devices=1)
#                      and the function bound to vfio-pci
#           linux      the e1000e again, but the inner guest is a full Linux
#                      (/opt/qa/Image booted by /opt/qa/QEMU_EFI.fd with
#                      /opt/qa/inner.cpio.gz: tests/qemu-accel/linux-guest.sh)
#                      whose own arm-smmu-v3 and e1000e drivers program the
#                      vSMMU; one pause, "linux"
#   PROPS   explicit   accel=on,ats=off,ril=on,ssidsize=0,oas=44
#           auto       accel=on only (QEMU takes the values from the host)
#   END     exit       every pause answered; the firmware powers off, QEMU
#                      exits by itself (status 0 expected)
#           kill       QEMU is killed with SIGKILL at the "fault" pause
#                      (linux: at its only pause)
# Files: /opt/qemu (QEMU), /opt/qa/guestfw.bin, /usr/local/bin/nestctl,
# /usr/local/bin/iommufd-peek, /lib/nestiommu.ko (nestiommu runs).
# Environment: QA_RUN_TIMEOUT (s per run, default 600).
# Exit: 0 every check passed, 1 a check failed, 2 set-up failed.

Q=/opt/qemu
FW=/opt/qa/guestfw.bin
RUN_TIMEOUT=${QA_RUN_TIMEOUT:-600}
W=/tmp/qa
# the session recorder (tests/record), when build-tools.sh shipped it
RECORDER=/opt/qa/libnestiommu-record.so
[ -f "$RECORDER" ] || RECORDER=
mkdir -p "$W"

n=0
failed=0
tap() {  # tap 0|1 text
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
check() {  # check text command... : ok when the command succeeds
	t=$1
	shift
	if "$@" >/dev/null 2>&1; then tap 0 "$t"; else tap 1 "$t"; fi
}
note() { echo "# $*"; }
setup_fail() { echo "Bail out! $*"; exit 2; }

[ -x "$Q/usr/bin/qemu-system-aarch64" ] || setup_fail "no QEMU in $Q"
[ -f "$FW" ] || setup_fail "no $FW"
[ -c /dev/kvm ] || setup_fail "no /dev/kvm (kernel without KVM, or the VM not booted with virtualization=on)"
QEMU_VERSION=$("$Q/lib/ld-linux-aarch64.so.1" --library-path "$Q/lib" "$Q/usr/bin/qemu-system-aarch64" --version | head -n1)
note "$QEMU_VERSION, $(uname -r), /dev/kvm present"

# --- nestiommu.ko and its PCIe function, on first use ---
MOD_BDF=""
module_up() {
	[ -n "$MOD_BDF" ] && return 0
	[ -f /lib/nestiommu.ko ] || setup_fail "no /lib/nestiommu.ko"
	if ! grep -q '^nestiommu ' /proc/modules; then
		insmod /lib/nestiommu.ko instances=1 devices=0 pci_devices=1 ats=0 ssidsize=0 ||
			setup_fail "insmod nestiommu.ko instances=1 devices=0 pci_devices=1 failed: $(dmesg | tail -n 5)"
	fi
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor" 2>/dev/null)" = 0x1b36 ] && [ "$(cat "$d/device" 2>/dev/null)" = 0x11e5 ] || continue
		MOD_BDF=${d##*/}
		break
	done
	[ -n "$MOD_BDF" ] || setup_fail "nestiommu.ko made no PCIe function 1b36:11e5"
	d=/sys/bus/pci/devices/$MOD_BDF
	if [ "$(basename "$(readlink "$d/driver" 2>/dev/null)")" != vfio-pci ]; then
		[ -e "$d/driver" ] && echo "$MOD_BDF" >"$d/driver/unbind"
		echo vfio-pci >"$d/driver_override"
		echo "$MOD_BDF" >/sys/bus/pci/drivers_probe 2>/dev/null
	fi
	[ "$(basename "$(readlink "$d/driver" 2>/dev/null)")" = vfio-pci ] ||
		setup_fail "vfio-pci did not bind the nestiommu function $MOD_BDF"
	note "nestiommu.ko function $MOD_BDF on vfio-pci, iommu $(basename "$(readlink "$d/iommu" 2>/dev/null)")"
}

# the module's view of its one endpoint (devices=0 pci_devices=1): "DOMAIN
# VSID" from nestctl -j smmu show, VSID "none" without a vDEVICE; empty if
# nestctl gives no device
mod_state() {
	obj=$(nestctl -j smmu show 2>/dev/null | tr '{' '\n' | grep '"domain":"' | head -n1)
	dom=$(printf '%s' "$obj" | sed -n 's/.*"domain":"\([^"]*\)".*/\1/p')
	vs=$(printf '%s' "$obj" | sed -n 's/.*"vsid-hex":"\([^"]*\)".*/\1/p')
	[ -n "$dom" ] && echo "$dom ${vs:-none}"
}
mod_attached() {
	nestctl -j smmu show 2>/dev/null | sed -n 's/.*"attached":\([0-9]*\).*/\1/p' | head -n1
}

# Fault injection (nestctl smmu inject) at the pause where QEMU is killed
# (the firmware's later checks would see the injected events): 20000
# copies of an F_TRANSLATION record into the vEVENTQ of QEMU's vIOMMU
# (the function is the module's endpoint 0/0), far more than its depth
# (the guest's event queue size, 128 entries in guestfw), while QEMU reads
# it: QEMU sees the kernel's sequence gaps (and LOST_EVENTS marker).
inject_overflow() {
	t0i=$(cut -d' ' -f1 /proc/uptime)
	out=$(nestctl -j smmu inject event 0/0 '{"id": "F_TRANSLATION", "input-addr": "0x12348000"}' count 20000 2>&1)
	t1i=$(cut -d' ' -f1 /proc/uptime)
	injected=1
	tap "$(printf '%s' "$out" | grep -q '"count":20000'; echo $?)" \
		"$L pause $1: nestctl smmu inject event 0/0 ... count 20000: into QEMU's vEVENTQ in $(awk -v a="$t0i" -v b="$t1i" 'BEGIN { printf "%.1f", b - a }') s ($(printf '%s' "$out" | cut -c1-80))"
	# QEMU reads one record per main loop turn: let it see the rest
	sleep 5
}

# a process that exists and is not a zombie
alive() {
	st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

# Guest checks known to fail, by device and check text (the prefix of the
# text after "not ok N - "), each with what was seen. They are reported,
# and any other failure fails the run; a known one that passes is said.
#  - e1000e and nestiommu, "2-level stream table: DMA at VA": with QEMU
#    11.1's accel SMMUv3, after guestfw disables the SMMU, switches the
#    stream table to the 2-level format (CFGI_ALL + CMD_SYNC) and enables
#    it again, the DMA through the same stage 1 is aborted and no event
#    is recorded (every check before, the same STE in the linear table
#    included, passes). Both hosts agree: nestiommu.ko's engine reports an
#    abort (code 7, as under the abort STE), upstream arm-smmu-v3 lets
#    nothing land. So the device is left on QEMU's abort HWPT: QEMU's
#    accel path after the switch (its walk of the new table, or CFGI_ALL
#    while disabled), not the host.
known_fail() {  # device text
	case "$1:$2" in
	"e1000e:2-level stream table: DMA at VA "*) return 0 ;;
	"nestiommu:2-level stream table: DMA at VA "*) return 0 ;;
	esac
	return 1
}

# field of iommufd-peek's "total" line
peek_field() {  # file field
	sed -n "s/^total .*$2=\([0-9]*\).*/\1/p" "$1"
}

# --- the checks at a pause, while QEMU runs ---
at_pause() {  # tag
	tag=$1
	p=$W/peek-$tag
	iommufd-peek "$QPID" >"$p" 2>&1
	sed 's/^/#   peek: /' "$p"
	devs=$(peek_field "$p" devices)
	vi=$(peek_field "$p" viommus)
	ne=$(peek_field "$p" hwpt_nested)
	pg=$(peek_field "$p" hwpt_paging)
	io=$(peek_field "$p" ioas)
	eq=$(peek_field "$p" eventqs)
	tap "$([ "$devs" = 1 ] && grep -q 'device hw_info=arm-smmuv3' "$p"; echo $?)" \
		"$L pause $tag: QEMU's iommufd holds the device (hw_info arm-smmuv3)"
	tap "$([ "${io:-0}" -ge 1 ] && [ "${pg:-0}" -ge 1 ]; echo $?)" \
		"$L pause $tag: an IOAS and the nest-parent HWPT (ioas=$io hwpt_paging=$pg)"
	tap "$([ "$vi" = 1 ]; echo $?)" "$L pause $tag: one vIOMMU (viommus=$vi)"
	case $tag in
	stage1|fault|linux) want_ne=3 ;;  # abort + bypass + the guest's S1_TRANS STE
	*) want_ne=2 ;;             # abort + bypass at least
	esac
	tap "$([ "${ne:-0}" -ge "$want_ne" ]; echo $?)" \
		"$L pause $tag: abort, bypass$([ "$want_ne" = 3 ] && echo ' and the guest STE') nested HWPTs (hwpt_nested=$ne, >= $want_ne)"
	tap "$(grep -q "viommu vsids=\(.*,\)\{0,1\}$GSID\(,.*\)\{0,1\}\$" "$p"; echo $?)" \
		"$L pause $tag: the vDEVICE has the guest's StreamID $GSID (CFGI_CD through the vIOMMU accepted for it)"
	case $tag in
	fault) tap "$([ "${eq:-0}" -ge 1 ]; echo $?)" "$L pause $tag: QEMU holds a vEVENTQ (eventqs=$eq)" ;;
	esac
	if [ "$DEV" = nestiommu ]; then
		st=$(mod_state)
		note "  nestctl -j smmu show: function domain/vsid: $st, attached $(mod_attached)"
		case $tag in
		stage1|fault) want="nested $GSID" ;;
		*) want="" ;;
		esac
		if [ -n "$want" ]; then
			tap "$([ "$st" = "$want" ]; echo $?)" \
				"$L pause $tag: nestiommu.ko: the function's domain is nested with vSID $GSID ($st)"
		else
			tap "$(case $st in *" $GSID") echo 0 ;; *) echo 1 ;; esac)" \
				"$L pause $tag: nestiommu.ko: the function keeps vSID $GSID ($st)"
		fi
	fi
}

# QEMU must refuse the device at start-up with this message (and leave
# nothing behind): SMMU-DEVICE BDF MESSAGE
refused_by_qemu() {
	note "$L QEMU: -M virt,gic-version=3 -accel kvm -cpu host -m 256 -bios guestfw.bin -device $1 -device vfio-pci,host=$2,iommufd=iommufd0 (must be refused)"
	timeout -s KILL 300 "$Q/lib/ld-linux-aarch64.so.1" --library-path "$Q/lib" "$Q/usr/bin/qemu-system-aarch64" \
		-M virt,gic-version=3 -accel kvm -cpu host -smp 1 -m 256 -bios "$FW" \
		-nodefaults -display none -monitor none -serial null \
		-object iommufd,id=iommufd0 -device "$1" -device vfio-pci,host="$2",iommufd=iommufd0 \
		</dev/null >"$W/qemu.log" 2>&1
	qrc=$?
	sed 's/^/#   qemu: /' "$W/qemu.log"
	tap "$([ "$qrc" = 1 ] && grep -qF "$3" "$W/qemu.log"; echo $?)" \
		"$L QEMU refuses the linear-only stream table: exit 1 with \"$3...\" (status $qrc)"
	st=$(mod_state)
	tap "$(case $st in ''|nested*|*" 0x"*) echo 1 ;; *) echo 0 ;; esac)" \
		"$L nestiommu.ko: nothing nested left after the refusal ($st)"
	tap "$([ "$(mod_attached)" = 0 ]; echo $?)" "$L nestiommu.ko: no endpoint attached after the refusal"
}

# --- one run ---
run_one() {  # DEVICE PROPS END
	DEV=$1 PROPS=$2 END=$3
	L="[$DEV $PROPS $END]"
	case $DEV in
	e1000e|linux) BDF=${NESTIOMMU_VFIO_BDF:?the init bound no e1000e to vfio-pci} ;;
	nestiommu) module_up; BDF=$MOD_BDF ;;
	*) setup_fail "unknown device $DEV" ;;
	esac
	case $PROPS in
	explicit) SMMU="arm-smmuv3,primary-bus=pcie.0,id=smmu0,accel=on,ats=off,ril=on,ssidsize=0,oas=44" ;;
	auto) SMMU="arm-smmuv3,primary-bus=pcie.0,id=smmu0,accel=on" ;;
	*) setup_fail "unknown PROPS $PROPS" ;;
	esac
	case $END in exit|kill) ;; *) setup_fail "unknown END $END" ;; esac
	if [ "$DEV" = linux ]; then
		for f in QEMU_EFI.fd Image inner.cpio.gz; do
			[ -f "/opt/qa/$f" ] || setup_fail "no /opt/qa/$f for the Linux guest"
		done
		set -- -m 512 -bios /opt/qa/QEMU_EFI.fd -kernel /opt/qa/Image -initrd /opt/qa/inner.cpio.gz \
			-append "console=ttyAMA0 earlycon panic=-1 nestiommu.vfio=0 loglevel=6 printk.time=1"
		PAUSES=" linux" KILL_AT=linux
	else
		set -- -m 256 -bios "$FW"
		PAUSES=" stage1 fault bypass disabled" KILL_AT=fault
	fi
	cdev=""
	for c in /sys/bus/pci/devices/$BDF/vfio-dev/vfio*; do
		[ -e "$c" ] && cdev=/dev/vfio/devices/${c##*/}
	done
	if [ "$DEV" = nestiommu ]; then
		# QEMU 11.1 requires the host's stream table format to equal its
		# own (2-level, IDR0.ST_LEVEL=1: smmuv3_accel_check_hw_compatible()).
		# A module that offers only a linear table (issue 14, item 3) must
		# be refused for exactly that; the full run needs 2-level.
		stl=$(nestctl -j hw-info "${cdev:-$BDF}" 2>/dev/null | sed -n 's/.*"st-level":\([0-9]*\).*/\1/p' | head -n1)
		note "$L nestiommu.ko's hw_info: st-level ${stl:-?}"
		if [ "$stl" = 0 ]; then
			refused_by_qemu "$SMMU" "$BDF" "Stream Table format mismatch (host STLEVEL=0"
			return
		fi
	fi
	if [ "$DEV" = nestiommu ]; then
		# nestiommu.ko's invalidation audit watches the guest driver
		check "$L nestctl smmu audit 0 on (and clear)" \
			sh -c 'nestctl -j smmu audit 0 on >/dev/null && nestctl -j smmu audit 0 clear >/dev/null'
	fi
	rm -f "$W/ser.in" "$W/ser.out" "$W/qemu.log"
	mkfifo "$W/ser.in" "$W/ser.out"
	note "$L QEMU: -M virt,gic-version=3 -accel kvm -cpu host $* -device $SMMU -device vfio-pci,host=$BDF,iommufd=iommufd0"
	t0=$(cut -d' ' -f1 /proc/uptime)
	# libnestiommu-record.so records QEMU's iommufd session as a plan,
	# which nestctl replay runs again after QEMU is gone
	REC=$W/record-$DEV-$PROPS-$END.json
	rm -f "$REC"
	NESTIOMMU_RECORD=$REC "$Q/lib/ld-linux-aarch64.so.1" --library-path "$Q/lib" \
		${RECORDER:+--preload "$RECORDER"} "$Q/usr/bin/qemu-system-aarch64" \
		-M virt,gic-version=3 -accel kvm -cpu host -smp 1 "$@" \
		-nodefaults -display none -monitor none \
		-chardev pipe,id=ser0,path="$W/ser" -serial chardev:ser0 \
		-object iommufd,id=iommufd0 \
		-device "$SMMU" \
		-device vfio-pci,host="$BDF",iommufd=iommufd0 \
		</dev/null >"$W/qemu.log" 2>&1 &
	QPID=$!
	( sleep "$RUN_TIMEOUT"; kill -9 "$QPID" 2>/dev/null && echo "# $L TIMEOUT: QEMU killed after $RUN_TIMEOUT s" ) &
	WD=$!
	# if QEMU dies before it opens the FIFO, opening it for reading would
	# block forever: a writer appears once QEMU is gone
	( while alive "$QPID"; do sleep 1; done; : >"$W/ser.out" ) &
	UNBLOCK=$!
	GSID="" done_line="" killed=0 gok=0 gnok=0 gknown=0 pauses="" gbench=""
	injected=0
	exec 3<"$W/ser.out"
	while IFS= read -r line <&3; do
		line=$(printf '%s' "$line" | tr -d '\r')
		echo "guest| $line"
		case $line in
		"@@ DEVICE "*) GSID=${line##*sid=} ;;
		"ok "*)
			gok=$((gok + 1))
			known_fail "$DEV" "${line#ok * - }" &&
				note "$L a known failure passed this time: ${line#ok * - }" ;;
		"not ok "*)
			if known_fail "$DEV" "${line#not ok * - }"; then
				gknown=$((gknown + 1))
				note "$L known failure (see vm-harness.sh): ${line#not ok * - }"
			else
				gnok=$((gnok + 1))
			fi ;;
		"@@ DONE "*) done_line=${line#@@ DONE } ;;
		"@@ BENCH "*) gbench=${line##*per_s=} ;;
		"@@ PAUSE "*)
			tag=${line#@@ PAUSE }
			pauses="$pauses $tag"
			at_pause "$tag"
			[ "$DEV" = nestiommu ] && [ "$END" = kill ] &&
				[ "$tag" = "$KILL_AT" ] && inject_overflow "$tag"
			if [ "$END" = kill ] && [ "$tag" = "$KILL_AT" ]; then
				note "$L SIGKILL to QEMU ($QPID) at pause $tag"
				kill -9 "$QPID"
				killed=1
				break
			fi
			printf c >"$W/ser.in" ;;
		esac
	done
	exec 3<&-
	wait "$QPID"
	qrc=$?
	kill "$WD" "$UNBLOCK" 2>/dev/null
	wait "$WD" "$UNBLOCK" 2>/dev/null
	t1=$(cut -d' ' -f1 /proc/uptime)
	if [ -s "$W/qemu.log" ]; then
		sed 's/^/#   qemu: /' "$W/qemu.log"
	fi
	if [ "$injected" = 1 ]; then
		# QEMU 11.1's vEVENTQ reader (smmuv3-accel.c) reads one record
		# per main loop turn while the module injects: records it
		# missed show as a sequence gap, reported once per process
		lost=$(grep -o 'vEVENTQ(type [0-9]* id [0-9]*): lost [0-9]* event(s)' "$W/qemu.log" | head -n1)
		ovf=$(grep -c 'vEVENTQ(type [0-9]* id [0-9]*): overflowed' "$W/qemu.log")
		tap "$([ -n "$lost" ]; echo $?)" \
			"$L QEMU's vEVENTQ reader reports the injected loss: \"${lost:-no lost event(s) line}\" (LOST_EVENTS marker: $ovf line)"
	fi
	note "$L QEMU ran $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s (guest uptime), status $qrc, pauses:$pauses"
	tap "$([ -n "$GSID" ]; echo $?)" "$L the firmware found the device and its StreamID ($GSID)"
	if [ "$END" = exit ]; then
		tap "$({ [ "$done_line" = pass ] && [ "$gknown" = 0 ]; } ||
			{ [ "$done_line" = fail ] && [ "$gnok" = 0 ] && [ "$gknown" -gt 0 ]; }; echo $?)" \
			"$L guestfw: @@ DONE $done_line, every check passed but the known failures ($gok ok, $gnok not ok, $gknown known)"
		tap "$([ "$qrc" = 0 ]; echo $?)" "$L QEMU exited by itself after SYSTEM_OFF (status $qrc)"
		tap "$([ "$pauses" = "$PAUSES" ]; echo $?)" "$L every pause seen and answered:$pauses"
	else
		tap "$([ "$gnok" = 0 ] && [ "$gok" -ge 1 ]; echo $?)" "$L guestfw: every check up to the kill passed ($gok ok, $gnok not ok, $gknown known)"
		tap "$([ "$killed" = 1 ] && [ "$qrc" = 137 ]; echo $?)" "$L QEMU died of SIGKILL at the $KILL_AT pause (status $qrc)"
	fi
	# --- after QEMU: nothing of it is left ---
	tap "$(kill -0 "$QPID" 2>/dev/null; [ $? != 0 ]; echo $?)" "$L the QEMU process is gone"
	if [ "$DEV" = nestiommu ]; then
		# guestfw's check_tlb moves the PTE of VA 0x12340000 twice
		# without a TLBI and has the device DMA there each time: the audit
		# saw exactly those two stale uses, and nothing else of guestfw's
		au=$(nestctl -j smmu audit 0 off 2>&1)
		note "  nestctl -j smmu audit 0: $(printf '%s' "$au" | sed 's/"stale-uses".*//')"
		tap "$(printf '%s' "$au" | grep -q '"stale-tlb":2,"stale-cd":0,' &&
			[ "$(printf '%s' "$au" | grep -o '"cache":"tlb"[^}]*"va-hex":"0x12340[0-9a-f][0-9a-f][0-9a-f]"' | wc -l)" = 2 ]; echo $?)" \
			"$L invalidation audit: the two DMAs after guestfw's PTE moves without TLBI are the only stale uses, in the page of VA 0x12340000"
		printf '%s' "$au" | grep -o '"seq":[0-9]*,"cache":"[a-z]*"[^}]*"va-hex":"0x[0-9a-f]*"' |
			sed 's/"time-ns"[^}]*"va-hex"/... "va-hex"/; s/^/#   stale use: /'
	fi
	# the device is free: a fresh context binds it (VFIO_DEVICE_BIND_IOMMUFD)
	hw=$(nestctl -j hw-info "${cdev:-$BDF}" 2>&1)
	tap "$(printf '%s' "$hw" | grep -q '"error"'; [ $? != 0 ] && [ -n "$hw" ]; echo $?)" \
		"$L the device binds to a new iommufd context again (nestctl hw-info ${cdev:-$BDF})"
	# --- the command queue benchmark's library half: the guest's 2000
	# TLBI_NH_VA again, now sent by cmdq-bench through the library to the
	# same device in the same VM (one per call as QEMU does, and arrays) ---
	if [ "$END" = exit ] && [ -n "$gbench" ]; then
		lb=$(cmdq-bench "${cdev:-$BDF}" 5 2>&1)
		one=$(printf '%s' "$lb" | sed -n 's/.*one_per_s=\([0-9]*\).*/\1/p')
		arr=$(printf '%s' "$lb" | sed -n 's/.*array_per_s=\([0-9]*\).*/\1/p')
		tap "$([ -n "$one" ] && [ "$one" -gt 0 ] && [ -n "$arr" ]; echo $?)" \
			"$L cmdq-bench: the guest's 2000 TLBI_NH_VA through the library on the same device ($lb)"
		if [ -n "$one" ] && [ "$one" -gt 0 ] && [ "$gbench" -gt 0 ]; then
			note "$L command queue, TLBI_NH_VA per second: guest through QEMU $gbench," \
				"library one per call $one, library arrays of 200 $arr;" \
				"guest/library $(awk -v g="$gbench" -v l="$one" 'BEGIN { printf "%.4f", g / l }')" \
				"(each guest command is a trapped MMIO write that leaves the inner KVM guest)"
		fi
	fi
	if [ "$DEV" = nestiommu ]; then
		st=$(mod_state)
		at=$(mod_attached)
		note "  nestctl -j smmu show after QEMU: function domain/vsid: $st, attached $at"
		tap "$(case $st in ''|nested*|*" 0x"*) echo 1 ;; *) echo 0 ;; esac)" \
			"$L nestiommu.ko: no nested domain and no vSID left on the function ($st)"
		tap "$([ "$at" = 0 ]; echo $?)" "$L nestiommu.ko: no endpoint attached (attached=$at)"
	fi
	# --- QEMU's recorded session, replayed on a fresh context ---
	if [ -n "$RECORDER" ]; then
		if [ -s "$REC" ]; then
			calls=$(sed -n 's/.*"calls": \([0-9]*\).*/\1/p' "$REC" | tail -n 1)
			opq=$(sed -n 's/.*"opaque": \([0-9]*\).*/\1/p' "$REC" | tail -n 1)
			note "$L recorded $calls calls, $opq opaque:$(sed -n 's/.*"op": "opaque".*"name": "\([A-Z_]*\)".*/\1/p' "$REC" | sort | uniq -c | tr -s ' \n' '  ')"
			nestctl -j replay "$REC" >"$W/replay.out" 2>"$W/replay.err"
			rrc=$?
			sed 's/"opaque":\[.*/.../; s/^/#   replay: /' "$W/replay.out"
			tap "$([ $rrc = 0 ] && grep -q '"result":"same"' "$W/replay.out"; echo $?)" \
				"$L nestctl replay of QEMU's recorded session: the same results and object graph (exit $rrc)"
		else
			tap 1 "$L libnestiommu-record.so wrote no recording ($REC)"
		fi
	fi
}

for r in "$@"; do
	IFS=: read -r dev props end <<EOF
$r
EOF
	run_one "$dev" "$props" "$end"
done
if [ -n "$MOD_BDF" ]; then
	echo "$MOD_BDF" >"/sys/bus/pci/devices/$MOD_BDF/driver/unbind" 2>/dev/null
	check "nestiommu.ko: endpoints removed (nestctl smmu remove)" nestctl smmu remove
	check "nestiommu.ko: rmmod (no domain, vIOMMU or endpoint holds it)" rmmod nestiommu
fi
echo "1..$n"
note "$failed of $n checks failed"
[ "$failed" = 0 ]
