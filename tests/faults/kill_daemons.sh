#!/bin/sh
# kill_daemons.sh - make faults: the hub and two node daemons killed with
# SIGKILL at random moments while a branch writes; after restarting them all,
# every acknowledged write is at every branch and the digests agree.
#   KT_KILLS  kills (default 100)
. "$(dirname "$0")/../scenario/lib.sh"
cd "$T" || exit 1
KILLS=${KT_KILLS:-100}
chain_setup A B
start_hub
sync_all A B
"$KT" -d A run 2>>a.log & APID=$!; PIDS="$PIDS $APID"
"$KT" -d B run 2>>b.log & BPID=$!; PIDS="$PIDS $BPID"
i=0
while [ $i -lt "$KILLS" ]; do
	for k in 1 2 3 4 5; do
		"$KT" -d A client add --name "Карта $i.$k" >>ids.txt 2>/dev/null
	done
	case $(( $(od -An -N1 -tu1 /dev/urandom) % 3 )) in
	0) kill -9 "$HUBPID" 2>/dev/null; wait "$HUBPID" 2>/dev/null; start_hub ;;
	1) kill -9 "$APID" 2>/dev/null; wait "$APID" 2>/dev/null
	   "$KT" -d A run 2>>a.log & APID=$!; PIDS="$PIDS $APID" ;;
	2) kill -9 "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null
	   "$KT" -d B run 2>>b.log & BPID=$!; PIDS="$PIDS $BPID" ;;
	esac
	i=$((i + 1))
done
sleep 0.5 # a daemon just started has its signal handlers in place
kill "$APID" "$BPID"
for p in "$APID" "$BPID"; do # bounded: 10 s, then SIGKILL
	t=0; while kill -0 "$p" 2>/dev/null && [ $t -lt 100 ]; do sleep 0.1; t=$((t + 1)); done
	kill -0 "$p" 2>/dev/null && { bad "daemon $p did not stop on SIGTERM within 10 s"; kill -9 "$p"; }
done
wait "$APID" "$BPID" 2>/dev/null
sync_all A B
cards=$(wc -l <ids.txt)
lost=0
while read -r id; do
	"$KT" -d B client show "$id" >/dev/null 2>&1 || lost=$((lost + 1))
done <ids.txt
[ "$lost" -eq 0 ] && ok "after $KILLS kills every one of $cards acknowledged cards is at the other branch" || bad "$lost of $cards acknowledged cards missing at B"
check "and the digests agree" same_digests A B
"$H" -d HUB verify >verify.txt 2>&1 && ok "kt-hub verify finds the hub's store whole" || { bad "kt-hub verify finds the hub's store whole"; cat verify.txt; }
stop_hub
echo "# kill_daemons: $KILLS kills of the hub and both daemons; $cards cards written, $lost missing"
finish
