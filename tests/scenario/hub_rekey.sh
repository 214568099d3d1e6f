#!/bin/sh
# A branch that carded clients before it joined the chain keeps them: its
# cards, visits, edits and allergies are re-sealed under the chain's key when
# it joins with an invite, replicate to every branch, are found there, and
# can be matched as duplicates against the chain's cards.  A wrong invite
# changes nothing.
. tests/scenario/lib.sh
export KT_TODAY=2026-11-22
K() { n=$1; shift; "$KT" -d "$T/$n" "$@"; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
EP="tcp://127.0.0.1:$port"
"$H" -d "$T/HUB" init --listen "$EP" >/dev/null
K A init --branch Centre >/dev/null
"$H" -d "$T/HUB" enroll --branch Centre --key "$(K A key)" --out "$T/A.bundle" >/dev/null
K A join "$T/A.bundle" >/dev/null
a=$(K A client add --name 'Ольга Центральная' --phone '+7 912 300 40 50')

# North works alone for a while before it joins
K B init --branch North >/dev/null
b=$(K B client add --name 'Вера Северная' --phone '8 912 111 22 33' --add allergies=латекс)
K B client edit "$b" --set notes='prefers mornings' >/dev/null
K B client edit "$b" --add allergies=никель >/dev/null
K B client edit "$b" --remove allergies=латекс >/dev/null
K B visit add "$b" --service Facial --amount 3000 --date 2026-11-20 >/dev/null
o2=$(K B client add --name 'Ольга Центральная' --phone '8 (912) 300-40-50')
K B export --json >"$T/before.json"

"$H" -d "$T/HUB" enroll --branch North --key "$(K B key)" --out "$T/B.bundle" >/dev/null
K C init --branch South >/dev/null
K A invite --key "$(K C key)" --out "$T/C.invite"
refuse "an invite made for another node is refused" K B join "$T/B.bundle" --invite "$T/C.invite"
K B export --json >"$T/after-refused.json"
cmp -s "$T/before.json" "$T/after-refused.json" && ok "a refused join changes nothing" || bad "a refused join changes nothing"
[ ! -e "$T/B/chain.key.new" ] && ok "a refused join leaves no key file behind" || bad "a refused join leaves no key file behind"

K A invite --key "$(K B key)" --out "$T/B.invite"
cp -p "$T/B/chain.key" "$T/old.key"
check "a node with cards of its own joins with an invite" K B join "$T/B.bundle" --invite "$T/B.invite"
K B export --json >"$T/rekeyed.json"
cmp -s "$T/before.json" "$T/rekeyed.json" && ok "re-keying keeps every card, value and visit" || { bad "re-keying keeps every card, value and visit"; diff "$T/before.json" "$T/rekeyed.json" | head; }
[ ! -e "$T/B/chain.key.new" ] && ok "the key switch is complete" || bad "the key switch is complete"
[ "$(stat -c %a "$T/B/chain.key")" = 600 ] && ok "the new chain key file is mode 0600" || bad "the new chain key file is mode 0600"
K B client show "$b" >"$T/show.txt"
contains "her card still opens after re-keying" "$T/show.txt" 'никель'
# a crash after the store committed, before the key file was switched
mv "$T/B/chain.key" "$T/B/chain.key.new"; cp -p "$T/old.key" "$T/B/chain.key"
K B client show "$b" >"$T/show2.txt" 2>&1
contains "an interrupted key switch is finished on the next command" "$T/show2.txt" 'никель'
cmp -s "$T/B/chain.key" "$T/old.key" && bad "the chain key is the new one after recovery" || ok "the chain key is the new one after recovery"
# a crash before the store committed: the stray new key is dropped
cp -p "$T/old.key" "$T/B/chain.key.new"
K B client show "$b" >"$T/show3.txt" 2>&1
contains "a key file left by a join that did not commit is ignored" "$T/show3.txt" 'никель'
[ ! -e "$T/B/chain.key.new" ] && ok "and removed" || bad "and removed"

"$H" -d "$T/HUB" enroll --branch South --key "$(K C key)" --out "$T/C.bundle" >/dev/null
K C join "$T/C.bundle" --invite "$T/C.invite" >/dev/null
start_hub
sync_all A B C
K A client find северная --json >"$T/fa.json"
contains "a card carded before the join is found at Centre" "$T/fa.json" "$b"
K C client show "$b" >"$T/showc.txt"
contains "her allergies travel with her card" "$T/showc.txt" 'никель'
lacks "a removed allergy stays removed" "$T/showc.txt" 'латекс'
contains "her pre-join visit travels too" "$T/showc.txt" 'Facial'
K C duplicates --json >"$T/dup.json"
grep -q "$a" "$T/dup.json" && grep -q "$o2" "$T/dup.json" && ok "a pre-join card is matched as a duplicate of a chain card" || { bad "a pre-join card is matched as a duplicate of a chain card"; cat "$T/dup.json"; }
sync_all A B C # the show at C was an audited read: a change to carry
same_digests A B C && ok "every node and the hub print the same digest" || bad "every node and the hub print the same digest"
K A export --json >"$T/ea"; K B export --json >"$T/eb"; K C export --json >"$T/ec"
cmp -s "$T/ea" "$T/eb" && cmp -s "$T/ea" "$T/ec" && ok "every node prints the same export" || bad "every node prints the same export"
refuse "a node that belongs to a chain cannot be re-keyed again" K B join "$T/B.bundle" --invite "$T/B.invite"
stop_hub
finish
