#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# nestctl's input limits and input kinds, which golden files cannot hold:
# an endless input is refused at the 16 MiB limit (it used to grow past
# 4 GB), a FIFO is read by decode as by encode, 160,000 keys parse in
# linear time (the duplicate-key check was quadratic: 42 s).
#
# Environment: NESTCTL (the binary).

set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/../..}"
: "${NESTCTL:=$top_builddir/cli/nestctl}"
case $NESTCTL in /*) ;; *) NESTCTL=$(pwd)/$NESTCTL ;; esac
if [ ! -x "$NESTCTL" ]; then echo "SKIP: $NESTCTL not built"; exit 77; fi
if ! command -v timeout >/dev/null; then echo "SKIP: no timeout(1)"; exit 77; fi

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

# check NAME WANT_RC SECONDS GREP -- ARGS...: run nestctl -j ARGS with a
# time limit, check the exit status and that stdout has GREP.
check() {
	name=$1 want=$2 secs=$3 pat=$4
	shift 5
	timeout "$secs" "$NESTCTL" -j "$@" >"$tmp/out" 2>"$tmp/err" <"${STDIN:-/dev/null}"
	rc=$?
	if [ "$rc" = 124 ]; then
		echo "FAIL: $name: still running after $secs s"
		fail=1
	elif [ "$rc" != "$want" ]; then
		echo "FAIL: $name: exit status $rc, expected $want: $(head -c 300 "$tmp/out" "$tmp/err")"
		fail=1
	elif ! grep -q -- "$pat" "$tmp/out"; then
		echo "FAIL: $name: no \"$pat\" in: $(head -c 300 "$tmp/out")"
		fail=1
	elif grep -q 'Sanitizer\|runtime error' "$tmp/err"; then
		echo "FAIL: $name: sanitizer report:"; cat "$tmp/err"; fail=1
	else
		echo "ok: $name"
	fi
}

# Endless inputs: a file, standard input, a codec argument.
check apply-dev-zero 1 60 '"errno":27' -- apply /dev/zero
STDIN=/dev/zero check apply-stdin-zero 1 60 'input limit of 16 MiB' -- apply -
check encode-dev-zero 1 60 '"errno":27' -- ste encode /dev/zero
check decode-dev-zero 1 60 '"errno":27' -- cmd decode /dev/zero

# decode takes a FIFO (and /dev/stdin) as encode does.
mkfifo "$tmp/fifo" || exit 99
printf '[1, 0]' >"$tmp/fifo" &
check decode-fifo 0 20 '"config":"ABORT"' -- ste decode "$tmp/fifo"
wait
printf '{"valid": true}' >"$tmp/fifo" &
check encode-fifo 0 20 '"config":"ABORT"' -- ste encode "$tmp/fifo"
wait
printf '["1", "0"]' >"$tmp/in"
STDIN=$tmp/in check decode-dev-stdin 0 20 '"words":\[1,0\]' -- ste decode /dev/stdin

# 160,000 distinct keys (1.9 MB) and one duplicate at the end.
awk 'BEGIN { printf "{"; for (i = 0; i < 160000; i++) printf "\"k%d\":%d,", i, i;
	     printf "\"k17\":0}" }' >"$tmp/keys.json"
check keys-160k 1 30 'duplicate key \\"k17\\"' -- ste encode "$tmp/keys.json"
awk 'BEGIN { printf "["; for (i = 0; i < 160000; i++) printf "{\"op\":\"ioas-alloc\",\"name\":\"n%d\"},", i;
	     printf "1]" }' >"$tmp/objs.json"
check objects-160k 1 30 'step 160000' -- apply "$tmp/objs.json"

[ $fail = 0 ] && echo "PASS: nestctl input limits"
exit $fail
