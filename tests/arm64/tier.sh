#!/bin/sh
# The arm64 tier's payload, run inside the VM by tests/arm64/run.sh (as
# /usr/local/bin/arm64-tier.sh). Runs each suite named on the command line,
# prefixes the output of the conformance table with "conform| " so that the
# host can cut it out of the console stream, and dumps the kernel log at the
# end with "dmesg| " (the console shows only warnings and worse meanwhile,
# so kernel lines cannot split the payload's lines).
#
# Suites: smoke (nested-smoke), dma (nested-dma), conform (conform), lib (the library's test
# programs found in /usr/local/libtests, if any).
# Exit: 0 when every suite passed, 1 otherwise.

# console loglevel 5: warnings and worse still reach the console (the
# host's splat detection), informational lines wait for the dmesg dump
dmesg -n 5 2>/dev/null

status=0
for suite in "$@"; do
	start=$(cut -d' ' -f1 /proc/uptime)
	case $suite in
	smoke)
		echo "=== arm64 suite: smoke (nested-smoke)"
		nested-smoke
		rc=$?
		;;
	dma)
		echo "=== arm64 suite: dma (nested-dma: e1000e DMA through stage 2, C_BAD_CD vEVENT, stage 1 + 2)"
		nested-dma
		rc=$?
		;;
	conform)
		echo "=== arm64 suite: conform (differential table, verdicts compared on the host)"
		conform >/tmp/conform.out 2>&1
		rc=$?
		sed 's/^/conform| /' /tmp/conform.out
		;;
	lib)
		echo "=== arm64 suite: lib (library test programs)"
		rc=0
		n=0
		for p in /usr/local/libtests/*; do
			[ -x "$p" ] || continue
			n=$((n + 1))
			name=$(basename "$p")
			echo "--- $name"
			"$p" >/tmp/lib.out 2>&1
			r=$?
			cat /tmp/lib.out
			# every test counts (test-pci asserts SMMUv3's own
			# hw_info, reserved regions and MSI window here)
			echo "--- $name: exit $r"
			# 77: the program skipped itself (Automake convention)
			[ "$r" = 0 ] || [ "$r" = 77 ] || rc=1
		done
		[ "$n" -gt 0 ] || echo "(no library test programs in the initramfs)"
		;;
	*)
		echo "=== arm64 suite: $suite: unknown"
		rc=1
		;;
	esac
	end=$(cut -d' ' -f1 /proc/uptime)
	echo "=== arm64 suite $suite: exit $rc ($(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}') s guest)"
	[ "$rc" = 0 ] || status=1
done
dmesg | sed 's/^/dmesg| /'
exit $status
