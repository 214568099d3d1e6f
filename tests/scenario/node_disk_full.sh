#!/bin/sh
# node_disk_full.sh - issue 12: a full disk is said in one line ("disk full
# in DIR: free space and run again"), reading goes on, nothing saved is lost,
# an import stopped by it (or by a kill) goes on where it stopped and never
# cards a row twice, a push to a hub with a full disk is told so, kt-hub
# digest works on a full disk, and a daemon pulling onto a full disk backs
# off instead of failing every message.  The small disks are tmpfs mounts
# (root only; elsewhere the script says so and checks nothing).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
mkdir small hubdisk
if ! mount -t tmpfs -o size=3m tmpfs "$T/small" 2>/dev/null; then
	echo "# skipped: cannot mount a tmpfs here (needs root)"
	exit 0
fi
mount -t tmpfs -o size=64m tmpfs "$T/hubdisk"
trap 'umount "$T/small" "$T/hubdisk" 2>/dev/null; cleanup' EXIT INT TERM

python3 -c "
print('name,phone')
for i in range(20000): print(f'Клиент {i},+7 912 {i // 10000 % 1000:03d} {i // 100 % 100:02d} {i % 100:02d}')
" >big.csv
N="$T/small/N"
"$KT" -d "$N" init --branch Small >/dev/null
"$KT" -d "$N" client add --name 'Анна До Переполнения' >/dev/null
refuse "an import onto a full disk ends in one line" "$KT" -d "$N" import big.csv
contains "which says the disk is full, where, and what to do" "$T/err" "disk full in $N: free space and run again"
contains "and that importing again goes on" "$T/err" "importing the file again goes on from there"
check "reading works on the full disk" "$KT" -d "$N" client find 'анна'
check "and status" "$KT" -d "$N" status
# A card fits when the store has free pages inside its file; else one line says why.
dd if=/dev/zero of="$T/small/fill" bs=4k 2>/dev/null
WANT=20002 # the rows, the card made before, and the founding staff account
i=0
while [ $i -lt 200 ]; do
	if "$KT" -d "$N" client add --name "Вера $i" --set notes="$(head -c 3000 /dev/zero | tr '\0' x)" >/dev/null 2>"$T/err"; then
		WANT=$((WANT + 1))
	else
		break
	fi
	i=$((i + 1))
done
[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "disk full in $N" "$T/err" && ok "new cards on the full disk, once the store's own room is used, are refused in one line" || { bad "new cards on the full disk are refused in one line"; cat "$T/err"; }
rm -f "$T/small/fill"
mount -o remount,size=256m "$T/small"
"$KT" -d "$N" import big.csv 2>imp.txt && ok "once there is space, the import goes on" || { bad "once there is space, the import goes on"; cat imp.txt; }
contains "saying it resumes" imp.txt "resuming 'big.csv': [1-9][0-9]* records were written by a run that stopped"
n=$("$KT" -d "$N" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
[ "$n" -eq "$WANT" ] && ok "every row is carded once ($n cards)" || bad "every row is carded once ($n cards, want $WANT)"
refuse "the same file again is refused" "$KT" -d "$N" import big.csv
contains "as imported whole already" "$T/err" "was imported whole on"
"$KT" -d "$N" client find 'анна' --json | grep -q '"id"' && ok "the card made before the disk filled is there" || bad "the card made before the disk filled is there"

# an import killed half way goes on too
"$KT" -d K init --branch Killed >/dev/null
"$KT" -d K import big.csv 2>/dev/null & IP=$!
sleep 0.3
kill -9 "$IP" 2>/dev/null
wait "$IP" 2>/dev/null
check "an import killed half way is finished by the next" "$KT" -d K import big.csv
n=$("$KT" -d K status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
[ "$n" -eq 20001 ] && ok "with every row carded once (20,000 cards and the founding account)" || bad "with every row carded once ($n records)"
check "--again imports it again, on purpose" "$KT" -d K import big.csv --again
n=$("$KT" -d K status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
[ "$n" -eq 40001 ] && ok "as new cards (40,000 and the founding account)" || bad "as new cards ($n)"

# ---- a hub whose disk is full ----
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
EP="tcp://127.0.0.1:$port"
"$H" -d "$T/hubdisk/HUB" init --listen "$EP" >/dev/null
for n in A B; do
	"$KT" -d $n init --branch $n >/dev/null
	"$H" -d "$T/hubdisk/HUB" enroll --branch $n --key "$("$KT" -d $n key)" --out $n.bundle >/dev/null
done
"$KT" -d A join A.bundle >/dev/null
"$KT" -d A invite --key "$("$KT" -d B key)" --out B.invite
"$KT" -d B join B.bundle --invite B.invite >/dev/null
"$H" -d "$T/hubdisk/HUB" run 2>>hub.log & HUBPID=$!; PIDS="$PIDS $HUBPID"; sleep 0.3
"$KT" -d A client add --name 'Первая Карта' >/dev/null
check "A syncs while the hub has room" "$KT" -d A sync --timeout 10
check "and B" "$KT" -d B sync --timeout 10
dd if=/dev/zero of="$T/hubdisk/fill" bs=1M 2>/dev/null
"$KT" -d A import big.csv 2>/dev/null
refuse "a push to a hub with a full disk ends in one line" "$KT" -d A sync --timeout 10
contains "which says the hub's disk is full" "$T/err" "the hub's disk is full"
"$H" -d "$T/hubdisk/HUB" digest >dg.txt 2>"$T/err" && grep -q '^[0-9a-f]\{64\}$' dg.txt && ok "kt-hub digest works on a full disk" || { bad "kt-hub digest works on a full disk"; cat "$T/err"; }
refuse "kt-hub backup onto a full disk ends in one line" "$H" -d "$T/hubdisk/HUB" backup --out "$T/hubdisk/BK"
contains "naming the folder it could not fill" "$T/err" "disk full .*$T/hubdisk/BK"
[ ! -e "$T/hubdisk/BK" ] && ok "and leaves no half-made backup" || bad "and leaves no half-made backup"
refuse "kt-hub verify on a full disk ends in one line" "$H" -d "$T/hubdisk/HUB" verify
contains "which says the disk is full" "$T/err" "disk full"
refuse "so does kt-hub init of another hub there" "$H" -d "$T/hubdisk/HUB2" init
contains "naming its folder" "$T/err" "disk full in $T/hubdisk/HUB2: free space and run again"
refuse "and kt-node init of a node there" "$KT" -d "$T/hubdisk/N2" init --branch N2
contains "naming its folder" "$T/err" "disk full in $T/hubdisk/N2: free space and run again"
rm -f "$T/hubdisk/fill"
check "once the hub has room, the push goes through" "$KT" -d A sync --timeout 60

# ---- a daemon pulling onto a full disk backs off ----
mount -o remount,size=3m "$T/small" 2>/dev/null
"$KT" -d "$T/small/B2" init --branch B2 >/dev/null 2>&1
"$H" -d "$T/hubdisk/HUB" enroll --branch B2 --key "$("$KT" -d "$T/small/B2" key)" --out b2.bundle >/dev/null
"$KT" -d A invite --key "$("$KT" -d "$T/small/B2" key)" --out b2.invite
"$KT" -d "$T/small/B2" join b2.bundle --invite b2.invite >/dev/null 2>&1
mount -o remount,size=$(( $(du -sk "$T/small" | cut -f1) + 600 ))k "$T/small"
"$KT" -d "$T/small/B2" run 2>b2.log & DP=$!; PIDS="$PIDS $DP"
sleep 4
kill "$DP"; wait "$DP" 2>/dev/null
n=$(grep -c "disk full" b2.log)
[ "$n" -ge 1 ] && [ "$n" -le 2 ] && ok "a daemon pulling onto a full disk says so $n time(s) in 4 s and waits" || { bad "a daemon pulling onto a full disk says so once or twice in 4 s ($n)"; head -5 b2.log; }
contains "saying when it tries again" b2.log "syncing again in 5 s"
kill "$HUBPID"; wait "$HUBPID" 2>/dev/null
finish
