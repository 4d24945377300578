#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Host side of tests/cli/vm-mock-session.sh: boot the testbed VM (kernel
# with IOMMUFD_TEST, cached by tests/vm/build-kernel.sh) with nestctl and
# run the nested session on the iommufd selftest mock there.  Optionally
# also the benchmark: BENCH=1 (needs tests/cli/bench-apply built).
# Needs a configured, built tree.  Exit status: the payload's (77 = skip).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:=$top}"
case $top_builddir in /*) ;; *) top_builddir=$(pwd)/$top_builddir ;; esac
kbuild=$("$top/tests/vm/build-kernel.sh")
nestctl=$top_builddir/cli/.libs/nestctl
[ -x "$nestctl" ] || nestctl=$top_builddir/cli/nestctl
[ -x "$nestctl" ] || { echo "SKIP: nestctl is not built"; exit 77; }

payload='NESTCTL=/usr/local/bin/nestctl sh /t/vm-mock-session.sh'
set -- --prog "$nestctl:/usr/local/bin/nestctl" \
	--file "$top/tests/cli/vm-mock-session.sh:/t/vm-mock-session.sh"
if [ "${BENCH:-}" = 1 ]; then
	bench=$top_builddir/tests/cli/bench-apply
	[ -x "$top_builddir/tests/cli/.libs/bench-apply" ] &&
		bench=$top_builddir/tests/cli/.libs/bench-apply
	parse=$top_builddir/tests/cli/bench-parse
	[ -x "$top_builddir/tests/cli/.libs/bench-parse" ] &&
		parse=$top_builddir/tests/cli/.libs/bench-parse
	set -- "$@" --prog "$bench:/usr/local/bin/bench-apply" \
		--prog "$parse:/usr/local/bin/bench-parse"
	# bench-parse: the same plan read with jv and with json-c, and the
	# ratio apply would have with json-c (lib/jv.c's header).
	payload="$payload; rc=\$?; bench-parse --strictness; for v in '' 65536 '4096 mock'; do
		out=\$(bench-apply run 1000 /usr/local/bin/nestctl 11 \$v); echo \"\$out\"
		n=\$(echo \"\$out\" | sed 's/.*\"nestctl-median-ms\":\\([0-9.]*\\).*/\\1/')
		c=\$(echo \"\$out\" | sed 's/.*\"c-median-ms\":\\([0-9.]*\\).*/\\1/')
		nm=\$(echo \"\$out\" | sed 's/.*\"nestctl-min-ms\":\\([0-9.]*\\).*/\\1/')
		cm=\$(echo \"\$out\" | sed 's/.*\"c-min-ms\":\\([0-9.]*\\).*/\\1/')
		bench-apply plan 1000 \$v > /tmp/plan.json &&
			bench-parse /tmp/plan.json 101 \$n \$c \$nm \$cm
	done; exit \$rc"
fi
# The libtool binaries find libnestiommu.so.1 through LD_LIBRARY_PATH; the
# initramfs builder copies what ldd resolves.
LD_LIBRARY_PATH="$top_builddir/lib/.libs" exec "$top/tests/vm/run-vm.sh" \
	--timeout 900 --kernel "$kbuild/arch/x86/boot/bzImage" "$@" \
	-- sh -c "$payload"
