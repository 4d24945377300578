#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# nestctl apply ... keep SOCKET against the fake kernel: the server keeps
# its context across requests, survives malformed and failing requests
# (destroying what a failed request created), and stops on request.
#
# Environment: NESTCTL (the binary), FAKEKERNEL (libfakekernel.so).

set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/../..}"
: "${NESTCTL:=$top_builddir/cli/nestctl}"
case $NESTCTL in /*) ;; *) NESTCTL=$(pwd)/$NESTCTL ;; esac
: "${FAKEKERNEL:=$top_builddir/tests/fake-kernel/.libs/libfakekernel.so}"
case $FAKEKERNEL in /*) ;; *) FAKEKERNEL=$(pwd)/$FAKEKERNEL ;; esac
if [ ! -x "$NESTCTL" ]; then echo "SKIP: $NESTCTL not built"; exit 77; fi
if [ -z "$FAKEKERNEL" ] || [ ! -e "$FAKEKERNEL" ]; then
	echo "SKIP: no FAKEKERNEL"
	exit 77
fi
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS

tmp=$(mktemp -d) || exit 99
sock=$tmp/nest.sock
fail=0
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

LD_PRELOAD=$FAKEKERNEL "$NESTCTL" -j apply keep "$sock" >"$tmp/server.out" 2>"$tmp/server.err" &
server=$!
for i in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "FAIL: the server did not listen"; cat "$tmp/server.err"; exit 1; }

# req NAME WANT_RC JSON [GREP...]: send, check exit status and output
req() {
	name=$1 want=$2 json=$3
	shift 3
	printf '%s' "$json" | "$NESTCTL" -j apply - to "$sock" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL: $name: exit status $rc, expected $want: $(cat "$tmp/out" "$tmp/err")"
		fail=1
		return
	fi
	for pat in "$@"; do
		if ! grep -q -- "$pat" "$tmp/out"; then
			echo "FAIL: $name: no \"$pat\" in: $(cat "$tmp/out")"
			fail=1
		fi
	done
	echo "ok: $name"
}

req plan 0 '[{"op":"ioas-alloc","name":"a"},{"op":"device-bind","name":"d","device":"/dev/vfio/devices/vfio0"}]' '"names":{"a":1,"d":2}'
req single-step 0 '{"op":"hwpt-alloc","name":"s2","dev":"d","pt":"a","nest-parent":true}' '"s2":3'
req malformed 1 '[{"op":' '"error":"malformed JSON' '"exit":1'
req unknown-op 1 '[{"op":"ioas-free"}]' '"field":"op"'
req unknown-name 1 '[{"op":"ioas-alloc","name":"b"},{"op":"ioas-map","ioas":"zz","length":4096}]' '"destroyed":\["b"\]'
req kernel-error 2 '[{"op":"ioas-alloc","name":"c"},{"op":"viommu-alloc","name":"v","dev":"d","hwpt":"s2","type":"selftest"}]' '"destroyed":\["c"\]' '"exit":2'
req still-serving 0 '{"op":"show"}' '"names":{"a":1,"d":2,"s2":3}'
req uses-old-names 0 '[{"op":"viommu-alloc","name":"v","dev":"d","hwpt":"s2"}]' '"v":'
if grep -q '"c"' "$tmp/out" || grep -q '"b"' "$tmp/out"; then
	echo "FAIL: objects of failed requests are still there: $(cat "$tmp/out")"
	fail=1
fi
# An inline plan, as the man page allows for every PLAN (was "cannot read").
"$NESTCTL" -j apply '{"op":"show"}' to "$sock" >"$tmp/out" 2>&1
if grep -q '"names":{"a":1' "$tmp/out"; then
	echo "ok: inline-to"
else
	echo "FAIL: inline-to: $(cat "$tmp/out")"
	fail=1
fi
# A second server on the live socket is refused and the first one stays
# reachable (it used to unlink the socket and take the name over).
LD_PRELOAD=$FAKEKERNEL timeout 10 "$NESTCTL" -j apply keep "$sock" >"$tmp/second.out" 2>&1
rc=$?
if [ $rc != 2 ] || ! grep -q '"errno":98' "$tmp/second.out"; then
	echo "FAIL: second-server: exit status $rc: $(cat "$tmp/second.out")"
	fail=1
else
	echo "ok: second-server"
fi
req first-still-serving 0 '{"op":"show"}' '"names":{"a":1'

# A slow client (a byte every 2 s, which never tripped the 10 s per-read
# timeout) must not block the others; it gets ETIMEDOUT after 10 s.
if command -v python3 >/dev/null; then
	python3 - "$sock" >"$tmp/slow.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
try:
    for b in b'[{"op":"ioas-alloc","name":"slow"}]':
        s.send(bytes([b]))
        time.sleep(2)
except OSError:
    pass
s.settimeout(5)
try:
    print(s.recv(4096).decode())
except OSError as e:
    print("no reply:", e)
PY
	slow=$!
	sleep 1
	start=$(date +%s)
	req other-client-served 0 '{"op":"show"}' '"names":{"a":1'
	took=$(($(date +%s) - start))
	if [ "$took" -gt 3 ]; then
		echo "FAIL: other-client-served: took $took s behind a slow client"
		fail=1
	fi
	wait "$slow"
	if ! grep -q '"errno":110' "$tmp/slow.out"; then
		echo "FAIL: slow-client: no ETIMEDOUT reply: $(cat "$tmp/slow.out")"
		fail=1
	else
		echo "ok: slow-client timed out"
	fi
else
	echo "SKIP: slow-client (no python3)"
fi
req stop 0 '{"op":"stop"}' '"stopped":true'
wait "$server"
rc=$?
server=
if [ $rc != 0 ]; then echo "FAIL: the server exited $rc: $(cat "$tmp/server.err")"; fail=1; fi
if [ -e "$sock" ]; then echo "FAIL: the socket was not removed"; fail=1; fi
if ! head -1 "$tmp/server.out" | grep -q '"listening"'; then
	echo "FAIL: no ready line: $(head -1 "$tmp/server.out")"
	fail=1
fi
if grep -q 'Sanitizer\|runtime error' "$tmp/server.err"; then
	echo "FAIL: sanitizer report in the server:"; cat "$tmp/server.err"; fail=1
fi
[ $fail = 0 ] && echo "PASS: keep server"
exit $fail
