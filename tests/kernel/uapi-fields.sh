#!/bin/sh
# Check that uapi-list.h names every member of every struct it lists, as
# declared in each given header (lib/uapi.h and the kernel's installed
# linux/iommufd.h and linux/vfio.h), so that a member added on either side
# cannot go uncompared.  Prints TAP lines (one per header) from number N.
#
# Usage: uapi-fields.sh LIST N HEADER...
set -eu
LIST=$1 N=$2; shift 2
structs=$(sed -n 's/^UAPI_STRUCT(\([a-z_0-9]*\))$/\1/p' "$LIST")
rc=0
for h in "$@"; do
	missing=""
	for s in $structs; do
		# members of "struct s {" ... "};" (one level of union/struct
		# nesting, comments and #defines skipped)
		fields=$(awk -v s="$s" '
			$0 ~ "^struct " s " \\{" { on = 1; next }
			!on { next }
			/^\};/ { exit }
			{ sub(/\/\*.*\*\//, "") }
			/^#/ || /\/\*/ || /^[ \t]*\*/ { next }
			/(union|struct)[ \t]*\{/ || /^[ \t]*\};?[ \t]*$/ { next }
			/;/ {
				l = $0; sub(/;.*/, "", l); sub(/\[.*\]/, "", l)
				n = split(l, a, /[ \t*]+/); print a[n]
			}' "$h")
		[ -n "$fields" ] || continue
		for f in $fields; do
			grep -qx "UAPI_FIELD($s, $f)" "$LIST" || missing="$missing $s.$f"
		done
	done
	if [ -z "$missing" ]; then
		echo "ok $N - every member of the compared structs in $(basename "$h") is listed"
	else
		echo "not ok $N - members of $(basename "$h") not in uapi-list.h:$missing"
		rc=1
	fi
	N=$((N + 1))
done
exit $rc
