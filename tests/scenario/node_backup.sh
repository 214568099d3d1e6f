#!/bin/sh
# kt-node backup / restore: the whole node in one file sealed under a
# passphrase, taken while the node is written to; a restore checks every
# byte before it keeps one, and a wrong passphrase, a damaged or cut file,
# a folder in use or no passphrase change nothing.
. tests/scenario/lib.sh
N="$T/node"
"$KT" -d "$N" init --branch Центр >/dev/null
c=$("$KT" -d "$N" client add --name "Зоя Редкобукова" --phone "+7 912 000-11-22" \
	--add allergies=латекс --set health_notes="Ксеродермия редкая")
export KT_BACKUP_PASS="correct horse battery"

# A backup taken while another terminal writes: what it printed is what a restore prints.
( i=0; while [ $i -lt 40 ]; do "$KT" -d "$N" client add --name "Вера Писарева $i" >/dev/null; i=$((i + 1)); done ) &
W=$!; PIDS="$PIDS $W"
"$KT" -d "$N" backup "$T/b.ktb" >"$T/out" 2>"$T/err"; rc=$?
wait "$W"
if [ $rc -eq 0 ] && grep -q "^backed up to $T/b.ktb: digest [0-9a-f]\{64\}$" "$T/out"; then
	ok "backup of a node being written to"
else
	bad "backup (exit $rc)"; cat "$T/err"
fi
want=$(sed 's/.*digest //' "$T/out")
check "the backup file is the owner's alone" sh -c "[ \"\$(stat -c %a '$T/b.ktb')\" = 600 ]"
lacks "the backup holds no name in the clear" "$T/b.ktb" "Редкобукова"
lacks "the backup holds no health note in the clear" "$T/b.ktb" "Ксеродермия"
lacks "the backup holds no allergy in the clear" "$T/b.ktb" "латекс"
lacks "the backup holds no chain key in the clear" "$T/b.ktb" "$(cat "$N/chain.key")"
ls "$T" | grep -q "b.ktb.copy" && bad "the snapshot's folder is left" || ok "the snapshot's folder is gone"

"$KT" -d "$T/r" restore "$T/b.ktb" >"$T/out" 2>"$T/err"
if grep -q "^restored into $T/r: digest $want$" "$T/out"; then ok "restore prints the backup's digest"; else bad "restore"; cat "$T/out" "$T/err"; fi
"$KT" -d "$T/r" client show "$c" >"$T/show"
contains "the restored card has her allergy" "$T/show" "латекс"
check "the restored node has the same key" sh -c "[ \"\$('$KT' -d '$N' key)\" = \"\$('$KT' -d '$T/r' key)\" ]"
check "the restored node takes writes" "$KT" -d "$T/r" client add --name "Нина Новая"

# Refusals: one line, nothing kept.
refuse "a wrong passphrase is refused" env KT_BACKUP_PASS="wrong horse battery" "$KT" -d "$T/w" restore "$T/b.ktb"
contains "it says the backup does not open" "$T/err" "does not open"
[ -e "$T/w" ] && bad "a refused restore left its folder" || ok "a refused restore leaves no folder"
mkdir "$T/e"
refuse "a wrong passphrase into an empty folder" env KT_BACKUP_PASS="wrong horse battery" "$KT" -d "$T/e" restore "$T/b.ktb"
[ -z "$(ls -A "$T/e")" ] && ok "the empty folder stays empty" || bad "files left in the folder"
refuse "restore into a folder in use" "$KT" -d "$N" restore "$T/b.ktb"
sum=$(cksum <"$T/b.ktb")
refuse "backup over a file that exists" "$KT" -d "$N" backup "$T/b.ktb"
[ "$(cksum <"$T/b.ktb")" = "$sum" ] && ok "the file that existed is untouched" || bad "the backup was overwritten"
refuse "a passphrase too short" env KT_BACKUP_PASS=short "$KT" -d "$N" backup "$T/c.ktb"
[ -e "$T/c.ktb" ] && bad "a refused backup left a file" || ok "a refused backup leaves no file"
refuse "no passphrase and no terminal" env -u KT_BACKUP_PASS setsid -w "$KT" -d "$N" backup "$T/c.ktb"
contains "it says how to give one" "$T/err" "passphrase-file"
printf 'from a file, long enough\n' >"$T/pass"
check "a passphrase from a file: backup" env -u KT_BACKUP_PASS "$KT" -d "$N" backup "$T/f.ktb" --passphrase-file "$T/pass"
check "a passphrase from a file: restore" env -u KT_BACKUP_PASS "$KT" -d "$T/f" restore "$T/f.ktb" --passphrase-file "$T/pass"
refuse "not a backup" "$KT" -d "$T/x" restore "$T/pass"
size=$(wc -c <"$T/b.ktb")
for at in 0 8 20 40 64 70 200 $((size / 2)) $((size - 1)); do
	cp "$T/b.ktb" "$T/d.ktb"
	printf '\377' | dd of="$T/d.ktb" bs=1 seek="$at" conv=notrunc 2>/dev/null
	cmp -s "$T/b.ktb" "$T/d.ktb" && printf '\001' | dd of="$T/d.ktb" bs=1 seek="$at" conv=notrunc 2>/dev/null
	refuse "a byte changed at $at is refused" "$KT" -d "$T/d$at" restore "$T/d.ktb"
	[ -e "$T/d$at" ] && bad "damage at $at left a folder" || ok "damage at $at leaves nothing"
done
for cut in 10 65 1000 $((size - 1)); do
	head -c "$cut" "$T/b.ktb" >"$T/cut.ktb"
	refuse "a backup cut to $cut bytes is refused" "$KT" -d "$T/cut$cut" restore "$T/cut.ktb"
done
cat "$T/b.ktb" "$T/b.ktb" >"$T/twice.ktb"
refuse "bytes after the end are refused" "$KT" -d "$T/tw" restore "$T/twice.ktb"
finish
