#!/bin/sh
# nestiommu.ko follows the kernel coding style: scripts/checkpatch.pl of the
# testbed kernel's source (--strict) must report nothing on kernel/*.[ch].
# Skips (77, with a message) when the kernel source cannot be fetched, or
# when NESTIOMMU_CHECKPATCH=skip (debian/rules: a style check of upstream
# development, not of a package build).
set -eu
if [ "${NESTIOMMU_CHECKPATCH:-}" = skip ]; then
	echo "SKIP: checkpatch skipped (NESTIOMMU_CHECKPATCH=skip)"
	exit 77
fi
srcdir=${srcdir:-$(dirname "$0")}
top=$(cd "$srcdir/.." && pwd)
ksrc=$("$top/tests/vm/fetch-kernel-source.sh" 2>/dev/null) || ksrc=
if [ ! -x "$ksrc/scripts/checkpatch.pl" ]; then
	echo "SKIP: no kernel source with scripts/checkpatch.pl (tests/vm/fetch-kernel-source.sh failed)"
	exit 77
fi
files=$(cd "$top" && ls kernel/*.c kernel/*.h | grep -v '\.mod\.c$')
cd "$top"
# shellcheck disable=SC2086
out=$("$ksrc/scripts/checkpatch.pl" --no-tree --strict --terse -f $files 2>&1) || true
if echo "$out" | grep -qE ': (ERROR|WARNING|CHECK):'; then
	echo "$out" | grep -E ': (ERROR|WARNING|CHECK):'
	echo "FAIL: checkpatch.pl --strict reports the lines above"
	exit 1
fi
echo "checkpatch.pl --strict: $(echo "$files" | wc -w) files clean"
