#!/bin/sh
# hub_damage.sh - issue 12: the hub checks what it holds.  A flipped byte in
# a stored change, in the hash chain or in a push's signature is found by
# `kt-hub verify` and at start, named by hub seq, branch and seq in the log,
# and served to nobody (a pulling node is told in one line and keeps what came
# before); the branch that wrote the change sends it again at its next sync,
# and the hub puts it back.  A flipped byte in the merged state is found by
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
contains "and names the hub seqs, the branch and the change" v.txt "damaged: hub seqs 1-3, change 2 of branch A"
start_hub
contains "the hub says so in its log at start" hub.log "damaged store: hub seqs 1-3, change 2 of origin"
refuse "a new branch's sync ends in one line" "$KT" -d C sync --timeout 10
contains "which says the store is damaged and who sends it again" "$T/err" "damaged store: hub seq 1, change 2 of branch A"
check "Centre syncs: it sends the damaged change again" "$KT" -d A sync --timeout 10
check "then the new branch syncs" "$KT" -d C sync --timeout 10
"$KT" -d C client find 'card' --json >f.json
[ "$(grep -o '"id"' f.json | wc -l)" -eq 4 ] && ok "and holds all 4 cards" || { bad "and holds all 4 cards"; cat f.json; }
stop_hub
contains "the hub logs the repair" hub.log "repaired: 1 damaged changes of origin"
check "kt-hub verify passes again" "$H" -d HUB verify
[ "$("$H" -d HUB digest)" = "$DG" ] && ok "the hub's digest is as before" || bad "the hub's digest is as before"
start_hub
sync_all A B C
check "every replica agrees" same_digests A B C

# ---- a connected daemon sends the damaged change again on its own ----
"$KT" -d A run 2>a.log & APID=$!; PIDS="$PIDS $APID"
sleep 0.5
stop_hub
flip log "$(hubseq 3)" 4
start_hub
"$KT" -d D init --branch D >/dev/null # a new branch needs the damaged change
"$H" -d HUB enroll --branch D --key "$("$KT" -d D key)" --out d.bundle >/dev/null
"$KT" -d A invite --key "$("$KT" -d D key)" --out d.invite
"$KT" -d D join d.bundle --invite d.invite >/dev/null
i=0
until "$KT" -d D sync --timeout 5 >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -ge 20 ] && break; sleep 0.5
done
[ $i -lt 20 ] && ok "with Centre's daemon connected, the damage is mended without a sync at Centre ($i tries of D)" || bad "with Centre's daemon connected, the damage is mended without a sync at Centre"
kill "$APID"; wait "$APID" 2>/dev/null
stop_hub
"$H" -d HUB verify >v2.txt 2>&1 && ok "kt-hub verify passes after it" || { bad "kt-hub verify passes after it"; cat v2.txt; tail -5 hub.log; }

# ---- a flipped byte in the hash chain (A's change 3) ----
flip chain "$(printf '%s%016x' "$("$KT" -d A status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["node_id"])')" 3)" 12 && ok "one byte of the hash chain is flipped" || bad "one byte of the hash chain is flipped"
refuse "kt-hub verify finds it" "$H" -d HUB verify
start_hub
check "Centre's next sync sends the change again" "$KT" -d A sync --timeout 10
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
flip pushes "$(hubseq 4)" 3 && ok "one byte of a stored signature is flipped" || bad "one byte of a stored signature is flipped"
"$H" -d HUB verify >v.txt 2>/dev/null
contains "kt-hub verify names the signature" v.txt "hub seqs 4-4, change 1 of branch B (origin [0-9a-f]*): the push's signature does not verify"

# ---- a flipped byte in a push record's origin, or in its first hub seq ----
flip pushes "$(hubseq 4)" 3 # the signature back as it was
flip pushes "$(hubseq 4)" 73 && flip pushes "$(hubseq 3)" 65 && ok "a push record's origin and another's first seq are flipped" || bad "a push record's origin and another's first seq are flipped"
"$H" -d HUB verify >v.txt 2>&1 && ok "kt-hub verify mends both from the log" || { bad "kt-hub verify mends both from the log"; cat v.txt; }
contains "and says so" v.txt "mended: 2 push records whose origin or first seq was damaged"
start_hub
"$KT" -d E init --branch E >/dev/null
"$H" -d HUB enroll --branch E --key "$("$KT" -d E key)" --out e.bundle >/dev/null
"$KT" -d A invite --key "$("$KT" -d E key)" --out e.invite
"$KT" -d E join e.bundle --invite e.invite >/dev/null
check "a new branch then syncs everything" "$KT" -d E sync --timeout 10
check "and agrees with the others" same_digests A E
stop_hub
flip pushes "$(hubseq 4)" 3 # the signature flipped again, for the state test below

# ---- a flipped byte in the merged state ----
"$H" -d HUB rebuild >/dev/null
mdb_dump -s rec HUB | sed -n '/HEADER=END/{n;p;}' | tr -d ' ' >k.txt
flip rec "$(cat k.txt)" 3 && ok "one byte of the merged state is flipped" || bad "one byte of the merged state is flipped"
flip pushes "$(hubseq 4)" 3 # the signature back as it was
"$H" -d HUB verify >v.txt 2>"$T/err"
contains "kt-hub verify finds the state does not match the log" "$T/err" "the merged state does not match the log"
check "kt-hub rebuild derives it again" "$H" -d HUB rebuild
check "and kt-hub verify passes" "$H" -d HUB verify
[ "$("$H" -d HUB digest)" = "$("$KT" -d A digest)" ] && ok "the hub's digest is the nodes' again" || bad "the hub's digest is the nodes' again"
finish
