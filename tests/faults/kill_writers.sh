#!/bin/sh
# kill_writers.sh - make faults: writers killed with SIGKILL at random
# moments never lose an acknowledged write nor damage the store.
#   KT_KILLS  kills of `client add` (default 600); imports are killed until one finishes
. "$(dirname "$0")/../scenario/lib.sh"
cd "$T" || exit 1
KILLS=${KT_KILLS:-600}
"$KT" -d N init --branch Kill >/dev/null
i=0; acked=0
while [ $i -lt "$KILLS" ]; do
	"$KT" -d N client add --name "Убитая Запись $i" --add allergies=латекс >id.$i 2>/dev/null & P=$!
	sleep "0.00$(( $(od -An -N1 -tu1 /dev/urandom) % 10 ))"
	kill -9 "$P" 2>/dev/null
	wait "$P" 2>/dev/null && [ -s id.$i ] && acked=$((acked + 1)) || rm -f id.$i
	i=$((i + 1))
done
check "the store opens after $KILLS kills" "$KT" -d N status
lost=0
for f in id.*; do
	[ -f "$f" ] || continue
	"$KT" -d N client show "$(cat "$f")" >/dev/null 2>&1 || lost=$((lost + 1))
done
[ "$lost" -eq 0 ] && ok "every acknowledged write is there ($acked acknowledged of $KILLS, 0 lost)" || bad "acknowledged writes lost: $lost of $acked"
python3 -c "
print('name,phone')
for i in range(30000): print(f'Клиент {i},+7 912 {i // 10000 % 1000:03d} {i // 100 % 100:02d} {i % 100:02d}')
" >big.csv
"$KT" -d M init --branch Import >/dev/null
tries=0
while [ $tries -lt 100 ]; do
	"$KT" -d M import big.csv 2>/dev/null & P=$!
	sleep "0.$(( $(od -An -N1 -tu1 /dev/urandom) % 5 + 1 ))"
	if kill -9 "$P" 2>/dev/null; then wait "$P" 2>/dev/null; tries=$((tries + 1)); else wait "$P"; break; fi
done
"$KT" -d M import big.csv 2>/dev/null
n=$("$KT" -d M status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
[ "$n" -eq 30000 ] && ok "an import killed $tries times ends with every row carded once" || bad "an import killed $tries times: $n cards, want 30000"
echo "# kill_writers: $KILLS kills of client add ($acked acknowledged, $lost lost); an import of 30,000 rows killed $tries times, $n cards"
finish
