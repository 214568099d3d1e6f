#!/bin/sh
# Offline edits meet: different fields both survive; the same field has one
# deterministic winner everywhere; an allergy removed at one branch while
# another adds it again survives (add wins); a late node catches up with a
# chain of 10,000 cards.
. tests/scenario/lib.sh
export KT_TODAY=2026-11-22
chain_setup A B C
start_hub
K() { n=$1; shift; "$KT" -d "$T/$n" "$@"; }
c=$(K A client add --name 'Елена Общая' --add allergies=latex --set notes=first)
sync_all A B C
# offline: A and B edit different fields, then the same field
K A client edit "$c" --set skin_type=dry
K B client edit "$c" --set sensitivity=high
K A client edit "$c" --set notes='from Centre'
K B client edit "$c" --set notes='from North'
# an allergy removed at A while B, not seeing it, adds it again and a new one
K A client edit "$c" --remove allergies=latex
K B client edit "$c" --add allergies=latex --add allergies=nuts
sync_all A B C
for n in A B C; do K "$n" client show "$c" --json >"$T/$n.json"; done
grep -q '"skin_type":"dry"' "$T/C.json" && grep -q '"sensitivity":"high"' "$T/C.json" && ok "edits of different fields at two branches both survive" || bad "edits of different fields at two branches both survive"
w=$(grep -o '"notes":"[^"]*"' "$T/A.json")
[ -n "$w" ] && grep -q "$w" "$T/B.json" && grep -q "$w" "$T/C.json" && ok "the same field has one winner everywhere ($w)" || bad "the same field has one winner everywhere"
grep -q '"allergies":\["latex","nuts"\]' "$T/C.json" && ok "a re-added allergy survives a concurrent removal, with the new one" || { bad "a re-added allergy survives a concurrent removal, with the new one"; grep -o '"allergies":[^]]*]' "$T/C.json"; }
cmp -s "$T/A.json" "$T/B.json" && cmp -s "$T/A.json" "$T/C.json" && ok "every branch shows the same card" || bad "every branch shows the same card"
same_digests A B C && ok "digests agree" || bad "digests agree"
for n in A B C; do K "$n" conflicts --json >"$T/c$n.json"; done
n=$(grep -o '"field":"notes"' "$T/cC.json" | wc -l)
[ "$n" -eq 1 ] && grep -q 'from Centre' "$T/cC.json" && grep -q 'from North' "$T/cC.json" && ok "a third branch lists one conflict on notes with both values" || { bad "a third branch lists one conflict on notes with both values"; cat "$T/cC.json"; }
cmp -s "$T/cA.json" "$T/cB.json" && cmp -s "$T/cA.json" "$T/cC.json" && ok "every branch lists the same conflicts" || bad "every branch lists the same conflicts"
"$H" -d "$T/HUB" conflicts --json >"$T/ch.json"
grep -q '"field":"notes"' "$T/ch.json" && ! grep -q 'from Centre' "$T/ch.json" && ok "the hub lists the conflict by record and field, without values" || { bad "the hub lists the conflict by record and field, without values"; cat "$T/ch.json"; }
K C client edit "$c" --set notes='agreed: both'
sync_all A B C
for n in A B C; do K "$n" conflicts --json; done | grep -q '"field":"notes"' && bad "an ordinary edit resolves the conflict everywhere" || ok "an ordinary edit resolves the conflict everywhere"
"$H" -d "$T/HUB" conflicts --json | grep -q '"field":"notes"' && bad "the hub drops the resolved conflict" || ok "the hub drops the resolved conflict"

# a late node joins a chain of 10,000 cards
python3 -c "
import sys
print('name,phone,email')
for i in range(10000):
    print(f'Клиент {i},+7 9{i // 10000000 % 100:02d} {i // 10000 % 1000:03d} {i // 100 % 100:02d} {i % 100:02d},c{i}@example.ru')
" >"$T/big.csv"
K A import "$T/big.csv" 2>/dev/null
sync_all A
"$KT" -d "$T/D" init --branch Late >/dev/null
"$H" -d "$T/HUB" enroll --branch Late --key "$(K D key)" --out "$T/D.bundle" >/dev/null
K A invite --key "$(K D key)" --out "$T/D.invite"
K D join "$T/D.bundle" --invite "$T/D.invite" >/dev/null
check "the late node catches up in one sync" "$KT" -d "$T/D" sync --timeout 60
n=$(K D status --json | grep -o '"records":[0-9]*' | cut -d: -f2)
[ "$n" -ge 10001 ] && ok "the late node holds every card ($n records)" || bad "the late node holds every card ($n records)"
K D client find 'Клиент 9999' --json | grep -q '"id"' && ok "the late node finds the last imported card" || bad "the late node finds the last imported card"
# another late node's first sync is interrupted (Ctrl-C) and the next resumes it
"$KT" -d "$T/E" init --branch Later >/dev/null
"$H" -d "$T/HUB" enroll --branch Later --key "$(K E key)" --out "$T/E.bundle" >/dev/null
K A invite --key "$(K E key)" --out "$T/E.invite"
K E join "$T/E.bundle" --invite "$T/E.invite" >/dev/null
"$KT" -d "$T/E" sync --timeout 60 >/dev/null 2>&1 & SP=$!
sleep 0.3
kill -INT "$SP" 2>/dev/null
wait "$SP" 2>/dev/null
check "a first sync interrupted by SIGINT is finished by the next" "$KT" -d "$T/E" sync --timeout 60
sync_all B C
same_digests A B C D E && ok "all five digests agree" || bad "all five digests agree"
stop_hub
finish
