#!/bin/sh
# node_interrupt.sh - issue 12: commands stopped by Ctrl-C end cleanly.  A
# reading command interrupted while it holds a read (its output blocked on a
# full pipe) ends its read transaction, closes the store and exits 130: its
# LMDB reader slot is free at once, while a daemon holds the store open.  An
# import interrupted half way writes no half batch, says so in one line, and
# the next run goes on from there.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

chain_setup A
start_hub
python3 -c "
print('name,phone')
for i in range(20000): print(f'Клиент {i},+7 912 {i // 10000 % 1000:03d} {i // 100 % 100:02d} {i % 100:02d}')
" >big.csv
"$KT" -d A import big.csv 2>/dev/null
"$KT" -d A run 2>run.log & DPID=$!; PIDS="$PIDS $DPID"
sleep 0.5
mkfifo out.fifo
exec 3<>out.fifo # held open: the list's writes fill the pipe and block
"$KT" -d A client list >out.fifo 2>list.err & LPID=$!
sleep 0.5
mdb_stat -rr A >readers.txt 2>&1
grep -q " $LPID " readers.txt && ok "the blocked list holds a reader slot" || { bad "the blocked list holds a reader slot"; cat readers.txt; }
kill -INT "$LPID"
cat out.fifo >/dev/null & CPID=$!
wait "$LPID"; rc=$?

exec 3>&-
kill "$CPID" 2>/dev/null
[ "$rc" -eq 130 ] && ok "client list stopped by Ctrl-C exits 130" || bad "client list stopped by Ctrl-C exits 130 ($rc)"
contains "saying it was interrupted" list.err "client list: interrupted"
mdb_stat -rr A >readers.txt 2>&1
grep -q " $LPID " readers.txt && bad "and its reader slot is free at once" || ok "and its reader slot is free at once"
kill -0 "$DPID" 2>/dev/null && ok "while the daemon still holds the store" || bad "while the daemon still holds the store"

python3 -c "
print('name,phone')
for i in range(80000): print(f'Клиент {i},+7 913 {i // 10000 % 1000:03d} {i // 100 % 100:02d} {i % 100:02d}')
" >bigger.csv
"$KT" -d B init --branch B >/dev/null
"$KT" -d B import bigger.csv 2>imp.err & IPID=$!
sleep 0.3
kill -INT "$IPID"
wait "$IPID"; rc=$?
[ "$rc" -eq 130 ] && ok "an import stopped by Ctrl-C exits 130" || bad "an import stopped by Ctrl-C exits 130 ($rc)"
[ "$(wc -l <imp.err)" -eq 1 ] && grep -q "interrupted.*importing the file again goes on from there" imp.err && ok "saying so in one line" || { bad "saying so in one line"; cat imp.err; }
check "the next run finishes it" "$KT" -d B import bigger.csv
n=$("$KT" -d B status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
[ "$n" -eq 80001 ] && ok "with every row carded once (and the founding account)" || bad "with every row carded once ($n)"
# the file edited after an import stopped: importing it would card the written rows again
"$KT" -d F init --branch F >/dev/null
cp bigger.csv edited.csv
"$KT" -d F import edited.csv 2>/dev/null & IPID=$!
# killed once its first rows are written (a build under ASan starts slower)
for t in $(seq 1 200); do
	n=$("$KT" -d F status --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])' 2>/dev/null)
	[ "${n:-0}" -gt 1 ] && break # past the founding staff account
	sleep 0.05
done
kill -9 "$IPID"; wait "$IPID" 2>/dev/null
{ echo 'name,phone'; echo 'Новая Строка,+7 900 000 00 01'; tail -n +2 bigger.csv; } >edited.csv
refuse "an edited file whose import stopped half way is refused" "$KT" -d F import edited.csv
# a run stopped half way, run again with --no-duplicates: its own cards are no duplicates
"$KT" -d G init --branch G >/dev/null
"$KT" -d G import bigger.csv 2>/dev/null & IPID=$!
for t in $(seq 1 200); do
	n=$("$KT" -d G status --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])' 2>/dev/null)
	[ "${n:-0}" -gt 1 ] && break # past the founding staff account
	sleep 0.05
done
kill -9 "$IPID"; wait "$IPID" 2>/dev/null
check "a stopped import resumes with --no-duplicates" "$KT" -d G import bigger.csv --no-duplicates
n=$("$KT" -d G status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
[ "$n" -eq 80001 ] && ok "with every row carded once (and the founding account)" || bad "with every row carded once ($n)"
contains "saying the written rows would be carded again" "$T/err" "stopped half way (.* records written) and the file has changed since"
check "--again imports it as new records, on purpose" "$KT" -d F import edited.csv --again
cp big.csv big2.csv
"$KT" -d F import big2.csv 2>/dev/null
{ echo 'name,phone'; echo 'Ещё Одна,+7 900 000 00 02'; tail -n +2 big.csv; } >big2.csv
refuse "a file imported whole and then edited is refused" "$KT" -d F import big2.csv
contains "saying its old rows would be carded twice" "$T/err" "was imported whole before (20000 records) and has changed since"
kill "$DPID"; wait "$DPID" 2>/dev/null
stop_hub
finish
