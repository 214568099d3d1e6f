#!/bin/sh
# A branch offline for a working day: its daemon is stopped while the other
# branches' daemons go on; both sides card clients, record visits and edit
# shared cards; when the daemon comes back, every branch converges (same
# digest as the hub, same export), with every card and visit of the day.
. tests/scenario/lib.sh
export KT_TODAY=2026-11-22
chain_setup A B C
K() { n=$1; shift; "$KT" -d "$T/$n" "$@"; }
start_hub
start_node() { "$KT" -d "$T/$1" run 2>>"$T/$1.log" & eval "PID_$1=$!"; PIDS="$PIDS $!"; }
stop_node() { eval "p=\$PID_$1"; kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; }
# converged: every node's digest is the hub's, polled every 0.2 s for up to $1 tries
converged() {
	i=0
	while [ $i -lt "$1" ]; do
		same_digests A B C && return 0
		sleep 0.2; i=$((i + 1))
	done
	return 1
}
start_node A; start_node B; start_node C
shared=$(K A client add --name 'Зоя Общая' --phone '+7 912 500 00 01' --add allergies=latex)
check "three daemons converge on a first card" converged 100

stop_node C
# the working day: C carded, recorded and edited offline; A and B went on online
i=1
while [ $i -le 12 ]; do
	id=$(K C client add --name "Офлайн Клиентка $i" --phone "+7 913 600 00 $((10 + i))")
	K C visit add "$id" --service 'Manicure' --amount $((1000 + i)) --date 2026-11-22 >/dev/null
	id=$(K A client add --name "Центр Клиентка $i")
	K A visit add "$id" --service 'Facial' --amount $((2000 + i)) --date 2026-11-22 >/dev/null
	id=$(K B client add --name "Север Клиентка $i")
	K B visit add "$id" --service 'Massage' --amount $((3000 + i)) --date 2026-11-22 >/dev/null
	i=$((i + 1))
done
K C client edit "$shared" --set skin_type=dry >/dev/null
K C client edit "$shared" --add allergies=nickel >/dev/null
K A client edit "$shared" --set notes='came in at 10' >/dev/null
K B visit add "$shared" --service 'Peeling' --amount 2500 --date 2026-11-22 >/dev/null
K C status --json >"$T/cst.json"
grep -q '"pending":0,' "$T/cst.json" && bad "the offline branch has changes pending" || ok "the offline branch has changes pending"
K C client find 'Центр Клиентка 12' --json >"$T/c-before.json"
grep -q '"id"' "$T/c-before.json" && bad "offline, the branch does not see the others' day yet" || ok "offline, the branch does not see the others' day yet"

start_node C
check "after the daemon restarts, all branches converge within 30 s" converged 150
for n in A B C; do K "$n" export --json >"$T/e$n"; done
cmp -s "$T/eA" "$T/eB" && cmp -s "$T/eA" "$T/eC" && ok "every branch prints the same export" || bad "every branch prints the same export"
K A client find 'Офлайн Клиентка 12' --json | grep -q '"id"' && ok "the offline day's cards reach Centre" || bad "the offline day's cards reach Centre"
K C client find 'Север Клиентка 12' --json | grep -q '"id"' && ok "North's day reaches the branch that was offline" || bad "North's day reaches the branch that was offline"
K B client show "$shared" >"$T/shared.txt"
contains "an offline edit of a shared card survives" "$T/shared.txt" 'dry'
contains "an offline allergy reaches the other branches" "$T/shared.txt" 'nickel'
contains "an online edit of the same card survives too" "$T/shared.txt" 'came in at 10'
contains "a visit recorded elsewhere shows on her card" "$T/shared.txt" 'Peeling'
n=$(K A client list --json | grep -o '"id"' | wc -l)
[ "$n" -eq 37 ] && ok "Centre has every card of the day (37)" || bad "Centre has every card of the day ($n, want 37)"
stop_node A; stop_node B; stop_node C
stop_hub
finish
