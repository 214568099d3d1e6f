#!/bin/sh
# hub_flood.sh - issue 12: peers with no key cannot make the hub hold
# unbounded memory.  100 connections from 25 loopback addresses each send a
# CURVE greeting and a frame declared as 16 MiB, and keep writing it; the
# hub admits at most 4 per address and 8 in all to their handshake, each for
# at most 5 s, so its memory stays under its own plus 8 x 16 MiB, and an
# enrolled branch still syncs during the flood.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
cd "$T" || exit 1

chain_setup A B
start_hub
sync_all A B
rss() { awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$HUBPID/status"; }
BASE=$(rss)
python3 "$HERE/flood.py" "$port" 100 4 >flood.txt & FPID=$!; PIDS="$PIDS $FPID"
PEAK=0
i=0
while [ $i -lt 8 ]; do # 8 x 0.5 s while the flood runs
	sleep 0.5
	r=$(rss)
	[ "$r" -gt "$PEAK" ] && PEAK=$r
	i=$((i + 1))
done
"$KT" -d A client add --name 'During The Flood' >/dev/null
check "a branch syncs during the flood" "$KT" -d A sync --timeout 10
check "and another gets the card" "$KT" -d B sync --timeout 10
"$KT" -d B client find 'during the flood' --json | grep -q '"id"' && ok "B holds the card made during the flood" || bad "B holds the card made during the flood"
wait "$FPID"
r=$(rss)
[ "$r" -gt "$PEAK" ] && PEAK=$r
n=$(cut -d' ' -f1 flood.txt)
[ "${n:-0}" -ge 50 ] && ok "the flood ran ($(cat flood.txt))" || bad "the flood ran ($(cat flood.txt))"
echo "# hub memory: $BASE MiB before, $PEAK MiB at the peak of 100 flooding connections ($(cat flood.txt))"
if [ -n "${ASAN_OPTIONS:-}" ]; then
	echo "# the memory bound is checked by make test: AddressSanitizer keeps freed memory in quarantine"
else
[ "$PEAK" -le $((BASE + 8 * 16 + 48)) ] && ok "the hub's memory stays within its own + 8 x 16 MiB ($PEAK MiB, from $BASE)" || bad "the hub's memory stays within its own + 8 x 16 MiB ($PEAK MiB, from $BASE)"
fi
stop_hub
contains "the hub logs the connections it shut" hub.log "refused a connection: .* in their handshake"
n=$(grep -c "in their handshake" hub.log)
[ "$n" -le 300 ] && ok "and the lines are limited per peer ($n lines for 100 connections)" || bad "and the lines are limited per peer ($n lines)"
finish
