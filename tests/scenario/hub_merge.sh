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
sync_all A B C # each show was an audited read: a change to carry
same_digests A B C && ok "digests agree" || bad "digests agree"
for n in A B C; do K "$n" conflicts --json >"$T/c$n.json"; done
n=$(grep -o '"field":"notes"' "$T/cC.json" | wc -l)
[ "$n" -eq 1 ] && grep -q 'from Centre' "$T/cC.json" && grep -q 'from North' "$T/cC.json" && ok "a third branch lists one conflict on notes with both values" || { bad "a third branch lists one conflict on notes with both values"; cat "$T/cC.json"; }
cmp -s "$T/cA.json" "$T/cB.json" && cmp -s "$T/cA.json" "$T/cC.json" && ok "every branch lists the same conflicts" || bad "every branch lists the same conflicts"
"$H" -d "$T/HUB" conflicts --json >"$T/ch.json"
grep -q '"field":"notes"' "$T/ch.json" && ! grep -q 'from Centre' "$T/ch.json" && ok "the hub lists the conflict by record and field, without values" || { bad "the hub lists the conflict by record and field, without values"; cat "$T/ch.json"; }
TZ=Asia/Vladivostok K C conflicts --json | grep -q '"time":"[0-9-]* [0-9:]* UTC+10:00"' && ok "conflicts print their times in the branch's zone" || bad "conflicts print their times in the branch's zone"
TZ=Asia/Vladivostok "$H" -d "$T/HUB" conflicts --json | grep -q '"time":"[0-9-]* [0-9:]* UTC+10:00"' && ok "and the hub's in its machine's zone" || bad "and the hub's in its machine's zone"
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
sync_all A B C D E # the late nodes' founding accounts, and the reads above
same_digests A B C D E && ok "all five digests agree" || bad "all five digests agree"

# Opposite merges offline: Centre merges X into Y while North merges Y into X;
# and a cycle across three branches.  One card stands everywhere.
X=$(K A client add --name 'Ольга Встречная' --add allergies=латекс)
Y=$(K A client add --name 'Ольга Встречная-Дубль')
sync_all A B C
stop_hub
K A client merge "$Y" "$X" >/dev/null
K B client merge "$X" "$Y" >/dev/null
start_hub
sync_all A B C
for n in A B C; do
	cnt=$(K $n client find 'встречная' --json | grep -o '"id"' | wc -l)
	[ "$cnt" -eq 1 ] && ok "after opposite merges $n finds her once" || bad "after opposite merges $n finds her once ($cnt)"
	K $n client list --json | grep -q 'Встречная' && ok "and lists her" || bad "and lists her"
	K $n conflicts >"$T/cf.txt"
	contains "and $n lists the pair for review" "$T/cf.txt" "were merged into each other"
	K $n visit add "$(K $n client find 'встречная' --json | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)" --set 'services=Латексная маска' >"$T/v.txt" 2>&1
	contains "and $n still refuses the latex mask for the card that stands" "$T/v.txt" "латекс"
done
K A report --json >"$T/r1.json"
K B report --json >"$T/r2.json"
cmp -s "$T/r1.json" "$T/r2.json" && ok "the report is the same at both branches" || bad "the report is the same at both branches"
same_digests A B C && ok "digests agree after opposite merges" || bad "digests agree after opposite merges"
P=$(K A client add --name 'Пётр Кругов')
Q=$(K A client add --name 'Пётр Кругов-2')
R=$(K A client add --name 'Пётр Кругов-3')
sync_all A B C
stop_hub
K A client merge "$Q" "$P" >/dev/null
K B client merge "$R" "$Q" >/dev/null
K C client merge "$P" "$R" >/dev/null
start_hub
sync_all A B C
for n in A B C; do
	cnt=$(K $n client find 'кругов' --json | grep -o '"id"' | wc -l)
	[ "$cnt" -eq 1 ] && ok "after a cycle of merges $n finds one card" || bad "after a cycle of merges $n finds one card ($cnt)"
done
same_digests A B C && ok "digests agree after a cycle of merges" || bad "digests agree after a cycle of merges"
K A report --json | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["open_conflicts"] >= 1 else 1)' && ok "the report counts the cycle among open conflicts" || bad "the report counts the cycle among open conflicts"
"$H" -d "$T/HUB" conflicts --json >"$T/hc.json"
contains "the hub lists the cycle too (ids only)" "$T/hc.json" '"kind":"merge_cycle"'
K A conflicts --json >"$T/cf.json"
S=$(python3 -c "import json,sys; print([c['stands'] for c in json.load(open('$T/cf.json')) if c.get('kind')=='merge_cycle' and len(c['cards'])==3][0])")
check "kt-node client unmerge of the standing card keeps it so" "$KT" -d "$T/A" client unmerge "$S"
sync_all A B C
K B conflicts >"$T/cf.txt"
lacks "and the cycle leaves every branch's review list" "$T/cf.txt" "$S"
cnt=$(K B client find 'кругов' --json | grep -o '"id"' | wc -l)
[ "$cnt" -eq 1 ] && ok "still one card" || bad "still one card ($cnt)"
stop_hub
finish
