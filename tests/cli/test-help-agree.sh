#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fails when "nestctl help", nestctl(8) and the bash completion disagree on
# the objects and commands, on the global options, or (help vs man page)
# on the plan operations and their keys.  As bpftool's
# test_bpftool_synctypes.py does for bpftool.
#
# Environment: NESTCTL (the binary), top_srcdir (for man/ and completion/).

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${NESTCTL:=$top_builddir/cli/nestctl}"
MAN=$top_srcdir/man/nestctl.8
COMP=$top_srcdir/completion/nestctl

if [ ! -x "$NESTCTL" ]; then
	echo "SKIP: $NESTCTL not built"
	exit 77
fi

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

# --- object/command pairs ("obj cmd", or "obj" for object-commands) ---

"$NESTCTL" help >"$tmp/help.txt" || { echo "FAIL: nestctl help exited $?"; exit 1; }

awk '/^  nestctl [a-z]/ {
	# the description follows two or more spaces
	line = substr($0, 3); sub(/  .*/, "", line)
	split(line, w, " "); obj = w[2]; cmd = w[3]
	if (obj == "help") next
	if (cmd ~ /^[a-z][a-z-]*$/ && cmd != "help") print obj " " cmd
	else print obj
}' "$tmp/help.txt" | sort -u >"$tmp/help.pairs"

sed -n 's/\\f[BIRP]//g; s/\\-/-/g; s/^\.B nestctl //p' "$MAN" |
awk '{
	obj = $1; cmd = $2
	if (obj !~ /^[a-z][a-z-]*$/ || obj == "help") next
	if (cmd ~ /^[a-z][a-z-]*$/ && cmd != "help") print obj " " cmd
	else print obj
}' | sort -u >"$tmp/man.pairs"

sed -n 's/^[[:space:]]*\([a-z][a-z-]*\)) cmds="\([^"]*\)".*/\1 \2/p' "$COMP" |
awk '{
	if (NF == 1) print $1
	else for (i = 2; i <= NF; i++) print $1 " " $i
}' | sort -u >"$tmp/comp.pairs"

for src in man comp; do
	if ! diff -u "$tmp/help.pairs" "$tmp/$src.pairs" >"$tmp/diff"; then
		echo "FAIL: objects/commands of nestctl help and $src differ (- help, + $src):"
		cat "$tmp/diff"
		fail=1
	fi
done

# --- the OBJECT list and the completion's object list ---

sed -n 's/^OBJECT := {\(.*\)}$/\1/p' "$tmp/help.txt" | tr '|' '\n' |
	tr -d ' ' | grep . | sort -u >"$tmp/help.objs"
sed -n 's/^_nestctl_objects="\(.*\)"$/\1/p' "$COMP" | tr ' ' '\n' |
	grep -v '^help$' | grep . | sort -u >"$tmp/comp.objs"
if ! diff -u "$tmp/help.objs" "$tmp/comp.objs" >"$tmp/diff"; then
	echo "FAIL: OBJECT list of nestctl help and _nestctl_objects differ:"
	cat "$tmp/diff"
	fail=1
fi
cut -d' ' -f1 "$tmp/help.pairs" | sort -u >"$tmp/pair.objs"
if ! diff -u "$tmp/help.objs" "$tmp/pair.objs" >"$tmp/diff"; then
	echo "FAIL: OBJECT list and the commands of nestctl help differ:"
	cat "$tmp/diff"
	fail=1
fi

# --- global options ---

sed -n 's/^OPTIONS := {\(.*\)}$/\1/p' "$tmp/help.txt" | tr '|' '\n' |
	tr -d ' ' | grep . | sort -u >"$tmp/help.opts"
sed -n '/^\.SH OPTIONS/,/^\.SH /{s/\\-/-/g; s/^\.BR \(-[A-Za-z-]*\) ", " \(-[A-Za-z-]*\).*/\1\n\2/p}' "$MAN" |
	grep . | sort -u >"$tmp/man.opts"
sed -n 's/^_nestctl_options="\(.*\)"$/\1/p' "$COMP" | tr ' ' '\n' |
	grep . | sort -u >"$tmp/comp.opts"
for src in man comp; do
	if ! diff -u "$tmp/help.opts" "$tmp/$src.opts" >"$tmp/diff"; then
		echo "FAIL: options of nestctl help and $src differ:"
		cat "$tmp/diff"
		fail=1
	fi
done

# --- plan operations and their keys (apply help vs man) ---

"$NESTCTL" apply help >"$tmp/apply.txt" || { echo "FAIL: nestctl apply help"; exit 1; }
awk '/^Operations:/ { on = 1; next }
     on && /^$/ { exit }
     on && /^  [a-z]/ { op = $1; next }
     on && /^    / { $1 = $1; print op ": " $0 }' "$tmp/apply.txt" |
	sort >"$tmp/help.ops"
sed -n '/^\.SH PLAN OPERATIONS/,/^\.SH OUTPUT/p' "$MAN" | sed 's/\\f[BIRP]//g; s/\\-/-/g' |
awk '/^\.B / { op = $2; next }
     /^Keys: / { sub(/^Keys: /, ""); sub(/\.$/, ""); gsub(/, /, " "); print op ": " $0 }' |
	sort >"$tmp/man.ops"
if [ ! -s "$tmp/help.ops" ]; then
	echo "FAIL: no operations found in nestctl apply help"
	fail=1
elif ! diff -u "$tmp/help.ops" "$tmp/man.ops" >"$tmp/diff"; then
	echo "FAIL: plan operations of nestctl apply help and nestctl(8) differ:"
	cat "$tmp/diff"
	fail=1
fi

# --- the man page keeps its quotes when rendered ---
# In a macro line a '"' delimits an argument; one inside a word (.B {"op":
# "stop"}) is eaten by groff.  Literal quotes are \(dq.
if grep -n '^\.[A-Za-z][A-Za-z]* .*[^ ]"[^ ]' "$MAN" >"$tmp/quotes"; then
	echo "FAIL: nestctl(8) macro lines with quotes that groff drops (write \\(dq):"
	cat "$tmp/quotes"
	fail=1
fi

[ $fail = 0 ] && echo "PASS: help, man page and completion agree ($(wc -l <"$tmp/help.pairs") commands, $(wc -l <"$tmp/help.ops") plan operations)"
exit $fail
