#!/bin/sh
# Compare two outputs of the conformance table (tests/arm64/conform.c):
# the expected verdicts (tests/arm64/conform.expected, recorded on the
# arm64 tier against the upstream arm-smmu-v3 driver) and an actual run
# (the arm64 tier again, or the x86 tier against nestiommu.ko).
#
# Usage: tests/arm64/compare.sh [--label-a NAME] [--label-b NAME] [--src KSRC]
#                               EXPECTED ACTUAL
#
#   --src KSRC  a kernel source tree: each difference's reference
#               ("file.c: function()") is resolved to file:line there
#               (default: the arm64 tier's patched copy, when it exists)
#
# Lines are "case TAB verdict TAB # reference"; lines starting with '#'
# are comments. Every case of EXPECTED must be in ACTUAL with the same
# verdict. Each difference is printed with the case, both verdicts and the
# upstream source that decides it. Exit 0 identical, 1 different, 2 usage.
set -eu

A=expected B=actual
KSRC=$(ls -d "${NESTIOMMU_CACHE:-/var/cache/nestiommu}"/src-arm64/linux-* 2>/dev/null | tail -n1 || true)
while [ $# -gt 0 ]; do
	case $1 in
	--src) KSRC=$2; shift 2 ;;
	--label-a) A=$2; shift 2 ;;
	--label-b) B=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) break ;;
	esac
done
[ $# = 2 ] || { echo "usage: compare.sh [--label-a NAME] [--label-b NAME] [--src KSRC] EXPECTED ACTUAL" >&2; exit 2; }

# "arm-smmu-v3-iommufd.c: arm_vsmmu_vsid_to_sid() ..." -> path:line of the
# function's definition in $KSRC (unchanged when it cannot be found)
resolve() {
	while IFS= read -r line; do
		case $line in
		"     upstream: "*)
			ref=${line#"     upstream: "}
			file=$(printf '%s' "$ref" | sed -n 's|^\([A-Za-z0-9_./-]*\.[ch]\): .*|\1|p')
			fn=$(printf '%s' "$ref" | grep -o '[A-Za-z_][A-Za-z0-9_]*()' | head -n1 | tr -d '()')
			where=""
			if [ -n "$KSRC" ] && [ -d "$KSRC" ] && [ -n "$file" ] && [ -n "$fn" ]; then
				for f in $(cd "$KSRC" && find drivers/iommu include/linux -path "*$file" 2>/dev/null); do
					n=$(grep -nE "^[a-z].*[ *]$fn\(|^$fn\(" "$KSRC/$f" | head -n1 | cut -d: -f1)
					[ -n "$n" ] && { where="$f:$n"; break; }
				done
			fi
			if [ -n "$where" ]; then
				printf '     upstream: %s  [%s]\n' "$ref" "$where"
			else
				printf '%s\n' "$line"
			fi ;;
		*) printf '%s\n' "$line" ;;
		esac
	done
}
[ -f "$1" ] || { echo "compare.sh: no file $1" >&2; exit 2; }
[ -f "$2" ] || { echo "compare.sh: no file $2" >&2; exit 2; }

OUT=$(mktemp "${TMPDIR:-/tmp}/nestiommu-compare.XXXXXX")
trap 'rm -f "$OUT"' EXIT
awk -F '\t' -v A="$A" -v B="$B" '
	/^#/ || NF < 2 { next }
	NR == FNR { want[$1] = $2; ref[$1] = $3; order[++n] = $1; next }
	{ got[$1] = $2; if (!($1 in want)) extra[++m] = $1 }
	END {
		bad = 0; same = 0
		for (i = 1; i <= n; i++) {
			c = order[i]
			if (!(c in got)) {
				printf "DIFF %s: %s \"%s\", %s: missing\n", c, A, want[c], B
				bad++
			} else if (got[c] != want[c]) {
				printf "DIFF %s: %s \"%s\", %s \"%s\"\n     upstream: %s\n", c, A, want[c], B, got[c], substr(ref[c], 3)
				bad++
			} else
				same++
		}
		for (i = 1; i <= m; i++) {
			printf "DIFF %s: not in %s (new case? re-record it)\n", extra[i], A
			bad++
		}
		printf "conform: %d cases compared, %d of %d identical, %d differ (%s vs %s)\n", n, same, n, bad, A, B
		exit bad ? 1 : 0
	}' "$1" "$2" >"$OUT" && rc=0 || rc=$?
resolve <"$OUT"
exit "$rc"
