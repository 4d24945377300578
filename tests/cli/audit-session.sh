#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# In the testbed VM (tests/cli/audit-vm.sh): nestctl's invalidation audit
# commands on nestiommu.ko.  The VMM's session of examples/nested-session
# (kept open by "nestctl apply ... keep"), then the guest changes a PTE
# without TLBI: "smmu audit" shows exactly that stale use as JSON and
# "events watch audit" streams it; with the TLBI, none; bad input is refused.
set -u
E=${EXAMPLES:-/etc/nestiommu/examples}
A=${AUDIT_PLANS:-/t/audit}
sock=/tmp/audit.sock
fails=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
no() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
# has WHAT TEXT PATTERN...: every pattern is in TEXT
has() {
	what=$1 text=$2
	shift 2
	for p in "$@"; do
		case $text in
		*"$p"*) ;;
		*) no "$what: no $p in: $text"; return ;;
		esac
	done
	ok "$what"
}

insmod /lib/nestiommu.ko instances=2 || { echo "Bail out! insmod"; exit 2; }
out=$(nestctl -j smmu audit 0)
has "audit off by default" "$out" '"instance":0,"enabled":false,"ring-size":256,"records":0' \
	'"stale-uses":[]' '"tlbi-noop":0'
out=$(nestctl -j smmu audit 0 on)
has "smmu audit 0 on" "$out" '"enabled":true'

nestctl -j apply "$E/nested-session.json" keep "$sock" >/tmp/graph.json &
server=$!
i=0
while ! grep -q '"listening"' /tmp/graph.json && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -S "$sock" ] || { echo "Bail out! nestctl apply keep did not start"; exit 2; }
# The session's own invalidations ran on an empty TLB and CD cache
out=$(nestctl -j smmu audit 0)
has "the session's TLBI and CFGI on empty caches are no-ops" "$out" \
	'"tlbi-noop":2' '"cfgi-noop":1' '"records":0'

nestctl -j events watch audit count 1 timeout 60000 >/tmp/watch.json &
watcher=$!
sleep 1
nestctl -j dma write 0/0 iova 0x20000000 data 6f6c64 >/dev/null ||
	no "DMA write (fills the TLB)"
nestctl -j apply "$A/stale-pte.json" to "$sock" >/dev/null ||
	no "apply stale-pte.json"
out=$(nestctl -j dma read 0/0 iova 0x20000000 length 3)
has "the DMA still uses the cached translation" "$out" '"data":"6f6c64"'
out=$(nestctl -j smmu audit 0)
has "smmu audit: exactly one stale use, with its VA and both IPAs" "$out" \
	'"records":1,' '"stale-tlb":1,' '"stale-uses":[{"instance":0,"seq":0,"cache":"tlb"' \
	'"vsid":16,"vsid-hex":"0x10"' '"ssid":null' '"asid":119' \
	'"va-hex":"0x20000000","access":"read"' \
	'"cached":{"ipa":1073778688,"ipa-hex":"0x40009000"' \
	'"fresh":{"ipa":1073782784,"ipa-hex":"0x4000a000"' \
	'"last-invalidation":{"command":"CMD_TLBI_NSNH_ALL"'
case $out in *'"seq":1'*) no "only one record: $out" ;; *) ok "no second record" ;; esac
wait "$watcher"
w=$(cat /tmp/watch.json)
has "events watch audit streamed it" "$w" '"kind":"stale-use"' \
	'"va-hex":"0x20000000"' '"fresh":{"ipa":1073782784'

nestctl -j apply "$A/tlbi.json" to "$sock" >/dev/null || no "apply tlbi.json"
nestctl -j dma read 0/0 iova 0x20000000 length 3 >/dev/null || no "DMA (miss)"
nestctl -j dma read 0/0 iova 0x20000000 length 3 >/dev/null || no "DMA (hit)"
out=$(nestctl -j smmu audit 0)
has "with the TLBI: no new stale use" "$out" '"records":1,'

out=$(nestctl -j smmu audit 0 off)
has "smmu audit 0 off keeps the records" "$out" '"enabled":false' '"records":1,'
out=$(nestctl -j smmu audit clear)
has "smmu audit clear (every instance)" "$out" '"instance":0,"enabled":false,"ring-size":256,"records":0' \
	'"instance":1,'

out=$(nestctl -j smmu audit 0 bogus)
rc=$?
has "bad action: usage error" "$rc $out" '1 {"error":"smmu audit: expected [ INSTANCE ] [ on | off | clear ]"'
out=$(nestctl -j smmu audit 7 on)
rc=$?
has "unknown instance: ENODEV with the module's message" "$rc $out" '2 {"error":' \
	'no such instance' '"errno":19'
out=$(nestctl -j smmu audit 0 on off)
rc=$?
has "two actions: usage error" "$rc" '1'
kill "$server"
wait "$server" 2>/dev/null
nestctl smmu remove >/dev/null 2>&1
rmmod nestiommu || no "rmmod"
echo "1..$n"
echo "# $fails failure(s)"
[ "$fails" = 0 ]
