#!/bin/sh
# Build nestiommu.ko and its tests against the testbed kernel and run them
# in the VM (tests/vm/run-vm.sh).  Usage: tests/module/run.sh [TEST...]
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
KBUILD=${KBUILD:-$("$TOP/tests/vm/build-kernel.sh")}
make -s -C "$KBUILD" M="$TOP/kernel" -j2 modules
make -s -C "$TOP/tests/module" -f Makefile.nio KBUILD="$KBUILD"
PROGS=""
for p in "$TOP"/tests/module/build/nio_*; do
	PROGS="$PROGS --prog $p"
done
# shellcheck disable=SC2086
exec "$TOP/tests/vm/run-vm.sh" --timeout "${NIO_VM_TIMEOUT:-600}" \
	--file "$TOP/kernel/nestiommu.ko:/lib/nestiommu.ko" \
	--file "$TOP/tests/module/vm-run.sh:/usr/local/bin/vm-run.sh" $PROGS \
	-- sh /usr/local/bin/vm-run.sh "$@"
