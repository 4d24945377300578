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
# tests of tests/kernel/test-pci.c that assume the x86 tier's VT-d (its
# hw_info type, its interrupt window 0xfee00000, its refusal of nesting)
PCI_VTD_ONLY='iommu_group_reserved_regions|hw_info_vtd|attach_ioas_dma_map_unmap|vtd_refuses_nesting'

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
			# test-pci is written for the x86 tier's VT-d: its VT-d
			# specific tests do not apply behind an SMMUv3 and do
			# not count here; the others must pass
			if [ "$name" = test-pci ] && [ "$r" = 1 ]; then
				bad=$(sed -n 's/^not ok [0-9]* - \([^ #]*\).*/\1/p' /tmp/lib.out \
					| grep -vxE "$PCI_VTD_ONLY" || true)
				if [ -z "$bad" ]; then
					echo "--- test-pci: only VT-d specific tests failed ($(echo "$PCI_VTD_ONLY" | tr '|' ' ')): not applicable here"
					r=0
				else
					echo "--- test-pci: failed tests that apply to SMMUv3: $(echo $bad)"
				fi
			fi
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
