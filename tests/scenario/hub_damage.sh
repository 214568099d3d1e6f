#!/bin/sh
# hub_damage.sh - issue 12: the hub checks what it holds.  A flipped byte in
# a stored change, in the hash chain or in a push's signature is found by
# `kt-hub verify` and at start, named by hub seq, branch and seq in the log,
# and its push is sent withheld: every branch gets every later change, and
# `status` names what it lacks; the branch that wrote the change sends it
# again at its next sync (a daemon: at once), the hub puts it back, and each
# branch's next sync brings the push whole.  A flipped byte in the merged state is found by
# `kt-hub verify` (the state derived again from the log) and mended by
# `kt-hub rebuild`.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# flip DBI KEYHEX [OFFSET]: flips one bit of the value under KEYHEX in the hub's
# database DBI (OFFSET bytes from the value's end, default 5), as a failing
# disk would, with the hub stopped.
flip() {
	mdb_dump -s "$1" HUB >dump.txt
	python3 - "$2" "${3:-5}" <<'EOF' || return 1
import sys
key, off = sys.argv[1], int(sys.argv[2])
lines = open("dump.txt").read().split("\n")
end = lines.index("HEADER=END")
out = lines[:end + 1]
for i in range(end + 1, len(lines) - 1, 2):
    if lines[i].strip() == key:
        v = bytearray.fromhex(lines[i + 1].strip())
        v[len(v) - off] ^= 0x10
        out += [lines[i], " " + v.hex(), "DATA=END", ""]
        open("dump.txt", "w").write("\n".join(out))
        sys.exit(0)
sys.exit(1)
EOF
	mdb_load -s "$1" -f dump.txt HUB 2>/dev/null
}
hubseq() { printf '%016x' "$1"; }

# Each node's first change is its founding staff account (init): A's push
# of it and its three cards is hub seqs 1-4, North's account 5, its card 6.
chain_setup A B C
start_hub
for i in 1 2 3; do "$KT" -d A client add --name "Card $i of Centre" >/dev/null; done
sync_all A B
"$KT" -d B client add --name 'Card of North' >/dev/null
sync_all B A
stop_hub
check "kt-hub verify passes on a whole store" "$H" -d HUB verify
DG=$("$H" -d HUB digest)

# ---- a flipped byte in a stored change (hub seq 2, A's second change) ----
flip log "$(hubseq 2)" && ok "one byte of a stored change is flipped" || bad "one byte of a stored change is flipped"
refuse "kt-hub verify finds it and exits 1" "$H" -d HUB verify
"$H" -d HUB verify >v.txt 2>/dev/null
contains "and names the hub seqs, the branch and the change" v.txt "damaged: hub seqs 1-4, change 2 of branch A"
start_hub
contains "the hub says so in its log at start" hub.log "damaged store: hub seqs 1-4, change 2 of origin"
"$H" -d HUB status >hs.txt
contains "kt-hub status names the branch that must send it again" hs.txt "the hub's copy of its changes from seq 1 is damaged"
"$H" -d HUB status --json | python3 -c 'import json,sys; b=[x for x in json.load(sys.stdin)["branches"] if x["branch"]=="A"][0]; sys.exit(0 if b["damaged_from_seq"]==1 else 1)' && ok "and status --json too" || bad "and status --json too"
check "a new branch syncs while Centre is offline" "$KT" -d C sync --timeout 10
contains "the hub logs the damaged push it sent withheld" hub.log "damaged store: hub seq 1, change 2 of branch A (origin [0-9a-f]*): its bytes are not the ones the hash chain holds; sent withheld (the rest goes on)"
"$KT" -d C client find 'card' --json >f.json
[ "$(grep -o '"id"' f.json | wc -l)" -eq 1 ] && ok "and holds North's card, written after the damaged push" || { bad "and holds North's card, written after the damaged push"; cat f.json; }
"$KT" -d C status >st.txt
contains "its status names what is withheld: branch and seqs" st.txt "withheld:  1 pushes of other branches were damaged"
contains "with its branch and seqs" st.txt "branch A (origin [0-9a-f]*) seqs 1-4"
"$KT" -d C status --json >st.json
python3 -c 'import json,sys; w=json.load(open("st.json"))["withheld"]; sys.exit(0 if len(w)==1 and w[0]["branch"]=="A" and w[0]["first"]==1 and w[0]["last"]==4 else 1)' && ok "and status --json lists it" || { bad "and status --json lists it"; cat st.json; }
"$KT" -d B client add --name 'Card of North, later' >/dev/null
check "North writes on and syncs" "$KT" -d B sync --timeout 10
check "the new branch syncs again" "$KT" -d C sync --timeout 10
"$KT" -d C client find 'card' --json >f.json
[ "$(grep -o '"id"' f.json | wc -l)" -eq 2 ] && ok "and gets North's new card past the withheld push" || { bad "and gets North's new card past the withheld push"; cat f.json; }
"$KT" -d A client add --name 'Card 4 of Centre' >/dev/null
check "Centre, back, syncs: it sends the damaged change again and writes on" "$KT" -d A sync --timeout 10
check "then the new branch syncs" "$KT" -d C sync --timeout 10
"$KT" -d C client find 'card' --json >f.json
[ "$(grep -o '"id"' f.json | wc -l)" -eq 6 ] && ok "and holds all 6 cards: the withheld push came whole" || { bad "and holds all 6 cards: the withheld push came whole"; cat f.json; }
"$KT" -d C status >st.txt
lacks "and nothing is withheld any more" st.txt "withheld:"
stop_hub
contains "the hub logs the repair" hub.log "repaired: 1 damaged change of origin"
check "kt-hub verify passes again" "$H" -d HUB verify
start_hub
sync_all A B C
stop_hub
"$H" -d HUB verify >v.txt 2>&1 && ok "the hub's merged state, derived again after the repair, matches its log" || { bad "the hub's merged state, derived again after the repair, matches its log"; cat v.txt; }
start_hub
check "every replica agrees" same_digests A B C

# ---- a connected daemon sends the damaged change again on its own ----
"$KT" -d A run 2>a.log & APID=$!; PIDS="$PIDS $APID"
sleep 0.5
stop_hub
flip log "$(hubseq 3)" 4
start_hub
add_branch D # a new branch needs the damaged change
check "the new branch syncs at once, past the damaged push" "$KT" -d D sync --timeout 10
i=0
until "$KT" -d D sync --timeout 5 >/dev/null 2>&1 && ! "$KT" -d D status | grep -q withheld; do
	i=$((i + 1)); [ $i -ge 20 ] && break; sleep 0.5
done
[ $i -lt 20 ] && ok "with Centre's daemon connected, the damage is mended without a sync at Centre, and the new branch gets the push whole ($i more syncs of D)" || bad "with Centre's daemon connected, the damage is mended without a sync at Centre"
"$KT" -d D client find 'card' --json >f.json
[ "$(grep -o '"id"' f.json | wc -l)" -eq 6 ] && ok "the new branch holds all 6 cards" || { bad "the new branch holds all 6 cards"; cat f.json; }
kill "$APID"; wait "$APID" 2>/dev/null
stop_hub
"$H" -d HUB verify >v2.txt 2>&1 && ok "kt-hub verify passes after it" || { bad "kt-hub verify passes after it"; cat v2.txt; tail -5 hub.log; }

# ---- a flipped byte in the hash chain (A's change 3): its hash, then its log position ----
AID=$("$KT" -d A status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["node_id"])')
flip chain "$(printf '%s%016x' "$AID" 3)" 12 && ok "one byte of a chain entry's hash is flipped" || bad "one byte of a chain entry's hash is flipped"
"$H" -d HUB verify >v.txt 2>&1 && ok "kt-hub verify mends it from the log: the signed push proves the bytes" || { bad "kt-hub verify mends it from the log: the signed push proves the bytes"; cat v.txt; }
contains "and says so" v.txt "mended: 1 damaged entry of the push records or the hash chain"
flip chain "$(printf '%s%016x' "$AID" 3)" 2 && ok "one byte of a chain entry's log position is flipped" || bad "one byte of a chain entry's log position is flipped"
"$H" -d HUB verify >v.txt 2>&1 && ok "kt-hub verify mends that too" || { bad "kt-hub verify mends that too"; cat v.txt; }
flip chain "$(printf '%s%016x' "$AID" 3)" 2
start_hub
add_branch H2
check "while the hub runs, a new branch syncs past a damaged position" "$KT" -d H2 sync --timeout 10
check "and again: serving mended it from the log" "$KT" -d H2 sync --timeout 10
"$KT" -d H2 status >st.txt
lacks "so nothing is withheld" st.txt "withheld:"
contains "the hub logs what it mended" hub.log "mended.* from the log"
check "Centre's next sync goes on" "$KT" -d A sync --timeout 10
stop_hub
check "and the chain is whole again" "$H" -d HUB verify

# ---- a flipped byte in the chain's check value (kept twice, each with its sum) ----
flip meta "$(printf chain_check | od -An -tx1 | tr -d ' \n')" 3 && ok "one byte of the chain's check value is flipped" || bad "one byte of the chain's check value is flipped"
start_hub
check "every branch still syncs" "$KT" -d B sync --timeout 10
stop_hub
contains "and the hub mended the copy at start" hub.log "mended 1 damaged copy of the chain's check value"
flip meta "$(printf chain_check.2 | od -An -tx1 | tr -d ' \n')" 20
check "kt-hub verify mends the other copy too" "$H" -d HUB verify
flip meta "$(printf chain_check | od -An -tx1 | tr -d ' \n')" 3
flip meta "$(printf chain_check.2 | od -An -tx1 | tr -d ' \n')" 3
"$H" -d HUB verify >v.txt 2>/dev/null
contains "with both copies damaged, kt-hub verify says so" v.txt "damaged: both copies of the chain's check value"
start_hub
refuse "and a branch is told in one line" "$KT" -d B sync --timeout 10
contains "that the hub's store is damaged" "$T/err" "the hub's store is damaged (its chain check value)"
stop_hub
flip meta "$(printf chain_check | od -An -tx1 | tr -d ' \n')" 3 # one copy whole again, as a backup would give
check "one whole copy is enough again" "$H" -d HUB verify

# ---- a flipped byte in a push's signature ----
flip pushes "$(hubseq 6)" 3 && ok "one byte of a stored signature is flipped" || bad "one byte of a stored signature is flipped"
"$H" -d HUB verify >v.txt 2>/dev/null
contains "kt-hub verify names the signature" v.txt "hub seqs 6-6, change 2 of branch B (origin [0-9a-f]*): the push's signature does not verify"

start_hub
add_branch F # a new branch, while North is offline
"$KT" -d A client add --name 'Card 5 of Centre' >/dev/null
check "Centre writes on and syncs" "$KT" -d A sync --timeout 10
check "a new branch syncs past the push whose signature is damaged" "$KT" -d F sync --timeout 10
"$KT" -d F client find 'card' --json >f.json
[ "$(grep -o '"id"' f.json | wc -l)" -eq 7 ] && ok "and holds all 7 cards: North's next change vouches for the push" || { bad "and holds all 7 cards: North's next change vouches for the push"; cat f.json; }
"$KT" -d F status >st.txt
lacks "so nothing is withheld" st.txt "withheld:"
"$KT" -d B client add --name 'Card 3 of North' >/dev/null
check "North, back, syncs: it signs its change again" "$KT" -d B sync --timeout 10
contains "the hub logs the signature put back" hub.log "repaired: the damaged signature of the push ending at change 2 of origin"
"$H" -d HUB status >hs.txt
lacks "and kt-hub status no longer names a damaged signature" hs.txt "damaged signature"
sync_all A F
check "every replica agrees" same_digests A B F
stop_hub
check "kt-hub verify passes: the signature is whole again" "$H" -d HUB verify

# ---- the signature of a branch's last push, while that branch is offline ----
LAST=$(mdb_dump -s pushes HUB | sed -n '/HEADER=END/,/DATA=END/p' | grep -v '=END' | sed -n '1~2p' | tail -1 | tr -d ' ')
flip pushes "$LAST" 3 && ok "the signature of North's last push is flipped" || bad "the signature of North's last push is flipped"
start_hub
add_branch G
check "a new branch syncs while North is offline" "$KT" -d G sync --timeout 10
"$KT" -d G client find 'card' --json >f.json
[ "$(grep -o '"id"' f.json | wc -l)" -eq 7 ] && ok "and holds every card but North's last" || { bad "and holds every card but North's last"; cat f.json; }
"$KT" -d G status >st.txt
contains "its status names North's withheld change" st.txt "branch B (origin [0-9a-f]*) seqs 4-4"
"$H" -d HUB status >hs.txt
contains "kt-hub status says North has a push to sign again" hs.txt "1 of its pushes have a damaged signature at the hub"
check "North, back, syncs: it signs its last change again" "$KT" -d B sync --timeout 10
check "the new branch syncs again" "$KT" -d G sync --timeout 10
"$KT" -d G client find 'card' --json >f.json
[ "$(grep -o '"id"' f.json | wc -l)" -eq 8 ] && ok "and holds all 8 cards" || { bad "and holds all 8 cards"; cat f.json; }
"$KT" -d G status >st.txt
lacks "and nothing is withheld any more" st.txt "withheld:"
sync_all A B G # G's founding account reaches the others
check "every replica agrees" same_digests A B G
stop_hub
check "kt-hub verify passes again" "$H" -d HUB verify

# ---- a flipped byte in a push record's origin, or in its first hub seq ----
flip pushes "$(hubseq 6)" 73 && flip pushes "$(hubseq 4)" 65 && ok "a push record's origin and another's first seq are flipped" || bad "a push record's origin and another's first seq are flipped"
"$H" -d HUB verify >v.txt 2>&1 && ok "kt-hub verify mends both from the log" || { bad "kt-hub verify mends both from the log"; cat v.txt; }
contains "and says so" v.txt "mended: 2 damaged entries of the push records or the hash chain, from the log"
start_hub
add_branch E
check "a new branch then syncs everything" "$KT" -d E sync --timeout 10
sync_all A B E # E's founding account reaches the others
check "and agrees with the others" same_digests A B E
stop_hub
flip pushes "$(hubseq 6)" 3 # the signature flipped again, for the state test below

# ---- a flipped byte in the merged state ----
"$H" -d HUB rebuild >/dev/null
mdb_dump -s rec HUB | sed -n '/HEADER=END/{n;p;}' | tr -d ' ' >k.txt
flip rec "$(cat k.txt)" 3 && ok "one byte of the merged state is flipped" || bad "one byte of the merged state is flipped"
flip pushes "$(hubseq 6)" 3 # the signature back as it was
"$H" -d HUB verify >v.txt 2>"$T/err"
contains "kt-hub verify finds the state does not match the log" "$T/err" "the merged state does not match the log"
check "kt-hub rebuild derives it again" "$H" -d HUB rebuild
check "and kt-hub verify passes" "$H" -d HUB verify
[ "$("$H" -d HUB digest)" = "$("$KT" -d A digest)" ] && ok "the hub's digest is the nodes' again" || bad "the hub's digest is the nodes' again"
finish
