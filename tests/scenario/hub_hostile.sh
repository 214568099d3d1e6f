#!/bin/sh
# hub_hostile.sh - issue 12: one branch, a clock or a clone never stops the
# chain.  A node holding another chain key (joined without an invite, or with
# an invite made outside the chain) is refused at join or at the hub, and the
# others go on; a PC a day ahead does not win over later edits; a cloned node
# pushing other bytes under a held seq is refused and logged; kt-hub status
# tells the truth for nodes that sync with `kt-node sync`.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# faketime preloads its library: an AddressSanitizer build (make check) is told that is fine
FT() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" faketime "$@"; }

chain_setup A B
# D is enrolled before the chain is founded: its bundle does not know the key.
"$KT" -d D init --branch D >/dev/null
"$H" -d HUB enroll --branch D --key "$("$KT" -d D key)" --out d.bundle >/dev/null
start_hub
sync_all A B

# ---- join without an invite, on a founded chain ----
"$KT" -d C init --branch C >/dev/null
"$H" -d HUB enroll --branch C --key "$("$KT" -d C key)" --out c.bundle >/dev/null
contains "a bundle made after the first sync says the chain is founded" c.bundle '"founded": true'
refuse "join without --invite on a founded chain is refused" "$KT" -d C join c.bundle
contains "and says to ask for an invite" "$T/err" "ask a branch of the chain for an invite"
"$KT" -d C status --json >c.json
contains "and changes nothing (C has no hub)" c.json '"hub":null'
# an invite made outside the chain: by a standalone node with its own key
"$KT" -d Z init --branch Z >/dev/null
"$KT" -d Z invite --key "$("$KT" -d C key)" --out z.invite
refuse "an invite made outside the chain is refused at join" "$KT" -d C join c.bundle --invite z.invite
contains "and says it carries another chain's key" "$T/err" "key of another chain"
"$KT" -d A invite --key "$("$KT" -d C key)" --out c.invite
check "an invite from a branch of the chain joins" "$KT" -d C join c.bundle --invite c.invite

# ---- a node that got past join with another key is refused at the hub ----
check "D joins with a bundle from before the founding, no invite" "$KT" -d D join d.bundle
"$KT" -d D client add --name 'Rogue Card' --phone '+7 912 000 11 22' >/dev/null
refuse "the hub refuses D's key in one line" "$KT" -d D sync --timeout 5
contains "which says D holds another chain key" "$T/err" "another chain key"
"$KT" -d A client add --name 'After The Rogue' >/dev/null
check "A still syncs" "$KT" -d A sync --timeout 10
check "B still syncs" "$KT" -d B sync --timeout 10
check "C (joined with an invite) syncs" "$KT" -d C sync --timeout 10
"$KT" -d B client find 'after the rogue' --json >f.json
contains "and B gets A's later card" f.json '"id"'
"$KT" -d C client find 'after the rogue' --json >f.json
contains "and the new branch C gets it too" f.json '"id"'
"$KT" -d B client find rogue --json >f.json
lacks "D's card reached nobody" f.json 'Rogue Card'
"$KT" -d A sync --timeout 10 >/dev/null 2>&1; "$KT" -d B sync --timeout 10 >/dev/null 2>&1 # C's founding account
check "the honest replicas agree" same_digests A B C

# ---- time: a PC a day ahead writes before its first sync ----
"$KT" -d E init --branch E >/dev/null
"$H" -d HUB enroll --branch E --key "$("$KT" -d E key)" --out e.bundle >/dev/null
"$KT" -d A invite --key "$("$KT" -d E key)" --out e.invite
"$KT" -d E join e.bundle --invite e.invite >/dev/null
FT -f +1d "$KT" -d E client add --name 'Future Client' --set notes=old >e.out
ID=$(grep -o '[0-9A-HJKMNP-TV-Z]\{26\}' e.out | head -1)
FT -f +1d "$KT" -d E sync --timeout 10 >/dev/null 2>e.err
contains "the branch is told its changes were stamped ahead" e.err "this PC's clock ran ahead: its last change is stamped 14[0-9][0-9] min past the chain's time"
"$KT" -d A sync --timeout 10 >/dev/null
check "Centre edits the card a day-ahead PC wrote" "$KT" -d A client edit "$ID" --set notes=new
sync_all A E B
for n in A B E; do
	"$KT" -d $n client show "$ID" --json >show.json
	contains "the later edit wins at $n" show.json '"notes":"new"'
done
"$KT" -d A conflicts >conf.txt
lacks "and no conflict is listed (a clean overwrite)" conf.txt "$ID"
"$H" -d HUB status >hs.txt
contains "kt-hub status flags the branch whose changes were stamped ahead" hs.txt "stamped more than 5 min past the hub's clock"
"$H" -d HUB status --json >hs.json
python3 - hs.json <<'EOF' && ok "and --json counts them at E only (A's edit, placed above E's version, is not flagged)" || bad "and --json counts them at E only (A's edit, placed above E's version, is not flagged)"
import json, sys
b = {x["branch"]: x["clock_ahead_changes"] for x in json.load(open(sys.argv[1]))["branches"]}
sys.exit(0 if b["E"] == 1 and b["A"] == 0 else (print(b) or 1))
EOF

# ---- status: branches that sync with kt-node sync are not shown behind ----
sync_all A B C E
"$H" -d HUB status --json >hs.json
python3 - hs.json <<'EOF' && ok "every caught-up branch shows pull lag 0" || bad "every caught-up branch shows pull lag 0"
import json, sys
b = {x["branch"]: x["pull_lag"] for x in json.load(open(sys.argv[1]))["branches"]}
sys.exit(0 if all(b[n] == 0 for n in "ABCE") else (print(b) or 1))
EOF
for k in 1 2 3 4; do "$KT" -d A client add --name "Новая $k" >/dev/null; done
for n in A B C E; do "$KT" -d $n sync --timeout 10 >/dev/null 2>&1; done # one round, not two
"$H" -d HUB status --json >hs.json
python3 - hs.json <<'EOF' && ok "and after one round of kt-node sync that brought changes" || bad "and after one round of kt-node sync that brought changes"
import json, sys
b = {x["branch"]: x["pull_lag"] for x in json.load(open(sys.argv[1]))["branches"]}
sys.exit(0 if all(b[n] == 0 for n in "ABCE") else (print(b) or 1))
EOF

# ---- an enrolled node seals a flipped payload (a tampered kt-node) ----
"$KT" -d R init --branch Rogue >/dev/null
"$H" -d HUB enroll --branch Rogue --key "$("$KT" -d R key)" --out r.bundle >/dev/null
"$KT" -d A invite --key "$("$KT" -d R key)" --out r.invite
"$KT" -d R join r.bundle --invite r.invite >/dev/null
"$KT" -d R sync --timeout 10 >/dev/null 2>&1
RID=$("$KT" -d R client add --name 'Подделанная Карта')
"$KT" -d R client edit "$RID" --set notes='flipped on the way' >/dev/null
ROID=$("$KT" -d R status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["node_id"])')
RPOS=$("$KT" -d R status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["changes"])')
RSEQ=$("$KT" -d R status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])')
mdb_dump -s log R >log.txt
mdb_dump -s chain R >chain.txt
python3 - "$RPOS" "$ROID" "$RSEQ" <<'EOF'
import hashlib, sys
pos, origin, seq = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def edit(name, key, fn):
    lines = open(name).read().split("\n")
    end = lines.index("HEADER=END")
    for i in range(end + 1, len(lines) - 1, 2):
        if lines[i].strip() == key:
            v = fn(bytearray.fromhex(lines[i + 1].strip()))
            open(name, "w").write("\n".join(lines[:end + 1] + [lines[i], " " + v.hex(), "DATA=END", ""]))
            return v
    sys.exit("no key " + key)
flipped = {}
def flip(v):
    v[len(v) - 3] ^= 0x40
    flipped["h"] = hashlib.blake2b(bytes(v), digest_size=32).digest()
    return v
edit("log.txt", "%016x" % pos, flip)
edit("chain.txt", origin + "%016x" % seq, lambda v: bytearray(flipped["h"]) + v[32:])
EOF
mdb_load -s log -f log.txt R 2>/dev/null && mdb_load -s chain -f chain.txt R 2>/dev/null && ok "R's last change is sealed flipped, and chained as written" || bad "R's last change is sealed flipped, and chained as written"
check "R pushes it (its own signature holds)" "$KT" -d R sync --timeout 10
"$KT" -d C client add --name 'После Подделки' >/dev/null
check "C syncs after it" "$KT" -d C sync --timeout 10
check "A syncs: the flipped change does not stop it" "$KT" -d A sync --timeout 10
"$KT" -d A client find 'после подделки' --json | grep -q '"id"' && ok "and A gets C's later card" || bad "and A gets C's later card"
"$KT" -d A status >st.txt
contains "A's status names the void change by branch, origin and seq" st.txt "branch Rogue (origin $ROID) seq $RSEQ: its seal does not open"
"$KT" -d A client show "$RID" --json >rshow.json
lacks "and the void edit changed nothing" rshow.json 'flipped on the way'
"$KT" -d A status --json >st.json
contains "status --json lists it" st.json '"void_changes":\[{"branch":"Rogue"'

# ---- a cloned node pushes other bytes under a seq the hub holds ----
cp -r B B2
"$KT" -d B client add --name 'Original Write' >/dev/null
"$KT" -d B2 client add --name 'Clone Write' >/dev/null
check "the original pushes its change" "$KT" -d B sync --timeout 10
refuse "the clone's push under the same seq is refused in one line" "$KT" -d B2 sync --timeout 5
stop_hub
contains "the hub logs the fork" hub.log "fork: origin"
contains "and the refused chain key, with D's branch and key" hub.log "branch D key $("$KT" -d D key): refused: the node holds another chain key"
contains "and the day-ahead changes" hub.log "clock ahead: 1 changes"
contains "and the void change, told by the branch that met it" hub.log "void changes: branch A keeps changes $RSEQ-$RSEQ of branch Rogue (origin $ROID) without effect: their seal does not open"
finish
