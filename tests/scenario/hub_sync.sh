#!/bin/sh
# A hub and three branches on loopback, as real processes over CURVE: the
# enrolment commands of the README, cards made at each branch reach every
# other, digests agree everywhere, the hub never stores or logs a name,
# phone or allergy, unknown and revoked keys are refused, and sync fails
# with one line when the hub is down while local work goes on.
. tests/scenario/lib.sh
H=${KT_HUB:-$(pwd)/bin/kt-hub}
case "$H" in /*) ;; *) H="$(pwd)/$H" ;; esac
cd "$T" || exit 1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
EP="tcp://127.0.0.1:$port"
start_hub() { "$H" -d HUB run 2>>hub.log & HUBPID=$!; PIDS="$PIDS $HUBPID"; sleep 0.3; }
stop_hub() { kill "$HUBPID" 2>/dev/null; wait "$HUBPID" 2>/dev/null; }

check "kt-hub init" "$H" -d HUB init --listen "$EP"
"$KT" -d A init --branch Centre >/dev/null
check "enroll Centre" "$H" -d HUB enroll --branch Centre --key "$("$KT" -d A key)" --out a.bundle
check "the founding node joins" "$KT" -d A join a.bundle
for n in B:North C:South; do
	d=${n%%:*}; b=${n#*:}
	"$KT" -d "$d" init --branch "$b" >/dev/null
	"$H" -d HUB enroll --branch "$b" --key "$("$KT" -d "$d" key)" --out "$d.bundle" >/dev/null
	"$KT" -d A invite --key "$("$KT" -d "$d" key)" --out "$d.invite"
	check "$b joins with an invite" "$KT" -d "$d" join "$d.bundle" --invite "$d.invite"
done
s1=$(stat -c %a HUB/hub.key)
[ "$s1" = 600 ] && ok "hub key file is mode 0600" || bad "hub key file is mode 0600 ($s1)"
[ ! -e HUB/chain.key ] && ok "the hub holds no chain key" || bad "the hub holds no chain key"
start_hub
a=$("$KT" -d A client add --name 'Анна Секретова' --phone '+7 912 555 11 22' --add allergies=латекс)
b=$("$KT" -d B client add --name 'Ștefania Tainică' --email secret.stefania@example.ro)
c=$("$KT" -d C client add --name '王秘密' --phone '8 916 777 88 99')
"$KT" -d B visit add "$b" --service 'Peeling confidențial' --amount 2500 >/dev/null
for round in 1 2; do
	for d in A B C; do "$KT" -d "$d" sync --timeout 10 >/dev/null 2>&1; done
done
for d in A B C; do
	n=$("$KT" -d "$d" client list --json | grep -o '"id"' | wc -l)
	[ "$n" -eq 3 ] && ok "node $d has all three cards" || bad "node $d has all three cards ($n)"
done
"$KT" -d C client find секретова --json | grep -q "$a" && ok "a card made at Centre is found at South" || bad "a card made at Centre is found at South"
dh=$("$H" -d HUB digest)
same=1
for d in A B C; do [ "$("$KT" -d "$d" digest)" = "$dh" ] || same=0; done
[ "$same" = 1 ] && ok "every node and the hub print the same digest" || bad "every node and the hub print the same digest"
"$KT" -d A export --json >ea; "$KT" -d B export --json >eb; "$KT" -d C export --json >ec
cmp -s ea eb && cmp -s ea ec && ok "every node prints the same export" || bad "every node prints the same export"
# An export is a read of every card: its audit record is a change each node pushes.
for d in A B C; do "$KT" -d "$d" sync --timeout 10 >/dev/null 2>&1; done
# kt-hub status: each branch's acknowledged seq is that node's own last seq,
# its last contact is set, its pull lag is within the head
"$H" -d HUB status --json >hs.json
for d in A:Centre B:North C:South; do
	seq=$("$KT" -d "${d%%:*}" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])')
	python3 - "${d#*:}" "$seq" hs.json <<'PY' && ok "kt-hub status: ${d#*:} acked its $seq changes, with last contact and pull lag" || bad "kt-hub status: ${d#*:} acked its $seq changes, with last contact and pull lag"
import json, sys
s = json.load(open(sys.argv[3]))
b = [x for x in s["branches"] if x["branch"] == sys.argv[1]][0]
sys.exit(0 if b["acked_seq"] == int(sys.argv[2]) and b["last_contact_ms"] > 0 and 0 <= b["pull_lag"] <= s["head"] and not b["revoked"] and s["head"] >= 4 else 1)
PY
done
# the digest above caught the hub's merge up with its log: status says so
grep -q '"merge_lag":0' hs.json && "$H" -d HUB status | grep -q '^hub head: [0-9]* (merged: 0 behind)$' && ok "kt-hub status shows the merge caught up" || { bad "kt-hub status shows the merge caught up"; cat hs.json; }
"$KT" -d C report --json >rep.json
grep -q '"Centre":1' rep.json && grep -q '"North":1' rep.json && grep -q '"South":1' rep.json && grep -q '"branch":"North","currency":"RUB","month":"' rep.json && ok "the report at one branch shows every branch's clients and visits" || { bad "the report at one branch shows every branch's clients and visits"; cat rep.json; }
# the same client carded at two branches while offline, phones written differently
m1=$("$KT" -d A client add --name 'Мария Дублева' --phone '+7 (912) 444-55-66')
"$KT" -d A visit add "$m1" --service Facial --date 2026-11-01 >/dev/null
m2=$("$KT" -d B client add --name 'Мария Дублева' --phone '8 912 444 55 66')
"$KT" -d B visit add "$m2" --service Massage --date 2026-11-02 >/dev/null
syncall() { for r in 1 2; do for d in A B C; do "$KT" -d "$d" sync --timeout 10 >/dev/null 2>&1; done; done; }
syncall
"$KT" -d C duplicates --json >dup.json
grep -q "$m1" dup.json && grep -q "$m2" dup.json && ok "the same client carded twice is listed as a duplicate at a third branch" || { bad "the same client carded twice is listed as a duplicate at a third branch"; cat dup.json; }
"$H" -d HUB duplicates --json >hdup.json
grep -q "$m1" hdup.json && grep -q "$m2" hdup.json && grep -q '"branch":"North"' hdup.json && ok "the hub lists the same pair, by id and branch, from blind tokens" || { bad "the hub lists the same pair, by id and branch, from blind tokens"; cat hdup.json; }
check "merge the two cards" "$KT" -d C client merge "$m1" "$m2"
syncall
"$KT" -d A client show "$m1" --json >m.json
n=$(grep -o '"type":"visit"' m.json | wc -l)
[ "$n" -eq 2 ] && ok "after the merge, both visits show under one card at another branch" || bad "after the merge, both visits show under one card at another branch ($n)"
"$KT" -d B client find дублева --json >f.json
n=$(grep -o '"id"' f.json | wc -l)
[ "$n" -eq 1 ] && grep -q "$m1" f.json && ok "find shows the kept card once" || bad "find shows the kept card once"
"$KT" -d A duplicates --json | grep -q "$m2" && bad "a merged pair leaves the duplicates list" || ok "a merged pair leaves the duplicates list"
"$H" -d HUB duplicates --json | grep -q "$m2" && bad "a merged pair leaves the hub's list too" || ok "a merged pair leaves the hub's list too"
check "unmerge" "$KT" -d B client unmerge "$m2"
syncall
"$KT" -d A client show "$m1" --json >m.json
n=$(grep -o '"type":"visit"' m.json | wc -l)
[ "$n" -eq 1 ] && ok "after the unmerge, each card has its own visits again" || bad "after the unmerge, each card has its own visits again ($n)"
syncall # the shows above are audited reads: changes to carry too
dh=$("$H" -d HUB digest); same=1
for d in A B C; do [ "$("$KT" -d "$d" digest)" = "$dh" ] || same=0; done
[ "$same" = 1 ] && ok "digests agree after merge and unmerge" || bad "digests agree after merge and unmerge"
stop_hub
leak=0
for secret in 'Секретова' 'Tainică' '王秘密' '555 11 22' 'secret.stefania' 'латекс' 'confidențial'; do
	if grep -r -a -q -- "$secret" HUB hub.log; then leak=1; echo "# found '$secret' at the hub"; fi
done
[ "$leak" = 0 ] && ok "the hub's files and log hold no name, phone, email or health data" || bad "the hub's files and log hold no name, phone, email or health data"

"$KT" -d C client add --name 'Offline Client' >/dev/null && ok "local work goes on with the hub down" || bad "local work goes on with the hub down"
refuse "sync with the hub down fails with one line" "$KT" -d C sync --timeout 1
"$KT" -d C status --json >st.json
TZ=Europe/Moscow "$KT" -d C status | grep -q '^last sync: [0-9-]* [0-9:]* MSK (UTC+03:00)$' && ok "status prints the last sync in the branch's zone" || { bad "status prints the last sync in the branch's zone"; "$KT" -d C status | tail -2; }
grep -q '"pending":1' st.json && grep -q "\"hub\":\"$EP\"" st.json && grep -q '"last_sync_ms":[0-9]' st.json && ok "status shows the hub, one pending change and the last sync" || { bad "status shows the hub, one pending change and the last sync"; cat st.json; }
start_hub
"$KT" -d X init --branch Rogue >/dev/null
"$H" -d HUB enroll --branch Rogue --key "$("$KT" -d X key)" --out x.bundle >/dev/null
"$KT" -d A invite --key "$("$KT" -d X key)" --out x.invite
"$KT" -d X join x.bundle --invite x.invite >/dev/null
"$H" -d HUB revoke --branch Rogue >/dev/null
refuse "a revoked node is refused" "$KT" -d X sync --timeout 2
"$KT" -d Y init --branch Stranger >/dev/null
sed "s/$("$KT" -d X key)/$("$KT" -d Y key)/" x.bundle >y.bundle
"$KT" -d A invite --key "$("$KT" -d Y key)" --out y.invite
"$KT" -d Y join y.bundle --invite y.invite >/dev/null
refuse "an unknown key is refused" "$KT" -d Y sync --timeout 2
check "after the hub is back, the offline card travels" "$KT" -d C sync --timeout 10
check "and reaches Centre" "$KT" -d A sync --timeout 10
"$KT" -d A client find offline --json | grep -q '"id"' && ok "Centre finds the card made while the hub was down" || bad "Centre finds the card made while the hub was down"
# the daemons: a change reaches the other branch while both run, and again
# after the hub restarts
"$KT" -d A run 2>a.log & PIDS="$PIDS $!"; APID=$!
"$KT" -d B run 2>b.log & PIDS="$PIDS $!"; BPID=$!
wait_find() { # NODE QUERY TRIES: polls every 0.1 s
	i=0
	while [ $i -lt "$3" ]; do
		"$KT" -d "$1" client find "$2" --json | grep -q '"id"' && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
"$KT" -d A client add --name 'Daemon Propagated' >/dev/null
check "with both daemons running, a new card reaches North within 5 s" wait_find B propagated 50
stop_hub
"$KT" -d A client add --name 'Made During Outage' >/dev/null
start_hub
check "after the hub restarts, the daemons catch up within 10 s" wait_find B outage 100
kill "$APID"; kill -INT "$BPID"; wait "$APID" "$BPID" 2>/dev/null
grep -q "stopped" a.log && ok "the node daemon stops cleanly on SIGTERM" || bad "the node daemon stops cleanly on SIGTERM"
grep -q "stopped" b.log && ok "the node daemon stops cleanly on SIGINT" || bad "the node daemon stops cleanly on SIGINT"
stop_hub
grep -q "peer 127.0.0.1 branch Rogue key $("$KT" -d X key): refused a connection: this key is revoked" hub.log && ok "the hub logs a revoked key's connection by address, branch and key" || { bad "the hub logs a revoked key's connection by address, branch and key"; grep refused hub.log; }
grep -q "^20[0-9-]*T[0-9:]*Z warn  peer 127.0.0.1: refused a connection: its key is not enrolled (CURVE key $("$KT" -d Y key --curve)," hub.log && ok "and an unknown key's, with the time, the level and the key kt-node key --curve prints" || { bad "and an unknown key's, with the time, the level and the key kt-node key --curve prints"; grep refused hub.log; }
grep -q "stopped" hub.log && ok "the hub stops cleanly on SIGTERM" || bad "the hub stops cleanly on SIGTERM"
stops=$(grep -c "stopped" hub.log)
start_hub
kill -INT "$HUBPID"; wait "$HUBPID" 2>/dev/null
[ "$(grep -c "stopped" hub.log)" -eq $((stops + 1)) ] && ok "the hub stops cleanly on SIGINT" || bad "the hub stops cleanly on SIGINT"
start_hub
check "after SIGINT the hub serves again from its store" "$KT" -d C sync --timeout 10
stop_hub
finish
