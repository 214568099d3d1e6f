#!/bin/sh
# Erasure across the chain (issue 15): a client written at two branches and
# merged with a duplicate card is erased at a third; after a sync none of
# her values is found by grep in any file of any data folder (nodes, hub,
# the hub's log), a change made to her at a branch that was offline is
# dropped and counted and never brings her back, a node restored from a
# backup taken before the erasure forgets her at its next sync, and every
# digest agrees.  Also the command's refusals.
. tests/scenario/lib.sh
export KT_BACKUP_PASS="correct horse battery staple"
chain_setup A B C
add_branch D
start_hub
sync_all A B C D

# Her values, each found nowhere else.
NAME="Аглая Квазимодова"
PHONE="+7 912 731-42-86"
ALLERGY="ксилоцитрин"
HEALTH="Фотодерматоз Лепешинского"
SERVICE="Пилинг Морозявкина"
RESULT="Ремиссия Бармаглотова"
EMAIL2="kvazimodova.aglaya@example.org"
c=$("$KT" -d "$T/A" client add --name "$NAME" --phone "$PHONE" --add allergies="$ALLERGY" \
	--set health_notes="$HEALTH")
v=$("$KT" -d "$T/A" visit add "$c" --service "$SERVICE" --set "result=$RESULT")
sync_all A B
"$KT" -d "$T/B" client edit "$c" --set medications="Гепарин Шалтаев" >/dev/null
dup=$("$KT" -d "$T/B" client add --name "$NAME" --email "$EMAIL2" --set notes="Кузявкина бокра")
"$KT" -d "$T/B" client merge "$c" "$dup"
sync_all A B C D
"$KT" -d "$T/C" client show "$c" >"$T/c_show"
contains "C received her before going offline" "$T/c_show" "$ALLERGY"
contains "... with her visit" "$T/c_show" "$SERVICE"
grep -a -r -q -- "Квазимодова" "$T/A" "$T/C" && ok "her name is in the data folders before (the grep can fail)" ||
	bad "her name is not in the data folders before the erasure"
"$KT" -d "$T/A" backup "$T/a-before.ktb" >/dev/null

# C goes offline; D erases her.
refuse "erase without --reason is refused" "$KT" -d "$T/D" client erase "$c"
refuse "erase with an empty reason is refused" "$KT" -d "$T/D" client erase "$c" --reason "  "
refuse "erase of an unknown id is refused" "$KT" -d "$T/D" client erase 01JD3Q5ZK8W6T9V2M4N7P0R1S3 --reason "request"
refuse "erase of a bad id is refused" "$KT" -d "$T/D" client erase nonsense --reason "request"
d1=$("$KT" -d "$T/D" digest)
[ "$d1" = "$("$KT" -d "$T/D" digest)" ] && ok "refusals wrote nothing" || bad "refusals wrote nothing"
"$KT" -d "$T/D" client erase "$c" --reason "her written request of 2026-12-01" --json >"$T/erase"
contains "erase names her card" "$T/erase" "\"$c\""
contains "erase names the card merged into hers" "$T/erase" "\"$dup\""
refuse "erasing her again is refused" "$KT" -d "$T/D" client erase "$c" --reason "again"
contains "it says she is erased" "$T/err" "already erased"
sync_all A B D

# C, offline, edits her before it hears of the erasure; then syncs.
"$KT" -d "$T/C" client edit "$c" --set notes="Записка Тыквоедова" >/dev/null
sync_all C A B D
sleep 1
"$H" -d "$T/HUB" status >"$T/hub_status"
contains "the hub counts the change to her that came after" "$T/hub_status" "erased: 1 changes to erased clients dropped"
"$KT" -d "$T/A" status >"$T/a_status"
contains "A counts it too" "$T/a_status" "changes to erased clients dropped"
for b in A B C D; do
	refuse "$b: client show of her says she was erased" "$KT" -d "$T/$b" client show "$c"
	contains "$b: ... in words" "$T/err" "was erased"
	refuse "$b: the merged card is erased too" "$KT" -d "$T/$b" client show "$dup"
	refuse "$b: her visit is gone" "$KT" -d "$T/$b" record show "$v"
	"$KT" -d "$T/$b" client find "Квазимодова" >"$T/find" 2>/dev/null
	[ -s "$T/find" ] && bad "$b: find still finds her" || ok "$b: find finds her no more"
	"$KT" -d "$T/$b" duplicates >"$T/dups"
	lacks "$b: she is in no duplicate pair" "$T/dups" "$c"
done
refuse "an edit of her at C after the erasure is refused" "$KT" -d "$T/C" client edit "$c" --set notes=x
check "digests agree after the erasure" same_digests A B C D

# The backup of A, taken before, restored into a new folder and synced.
"$KT" -d "$T/R" restore "$T/a-before.ktb" >/dev/null 2>&1
"$KT" -d "$T/R" sync --timeout 20 >/dev/null 2>&1
refuse "the restored node says she was erased" "$KT" -d "$T/R" client show "$c"
contains "... in words" "$T/err" "was erased"
refuse "... and her merged card" "$KT" -d "$T/R" client show "$dup"
check "the restored node's digest agrees" sh -c "[ \"\$('$KT' -d '$T/R' digest)\" = \"\$('$H' -d '$T/HUB' digest)\" ]"

# Every byte of every data folder and the hub's log, once the hub has stopped.
stop_hub
rm -f "$T/c_show" "$T/erase" "$T/find" "$T/dups" "$T/out" "$T/err"
for v in "$NAME" "Квазимодова" "$PHONE" "731-42-86" "$ALLERGY" "$HEALTH" "$SERVICE" "$RESULT" \
	"$EMAIL2" "Гепарин Шалтаев" "Кузявкина" "Тыквоедова"; do
	hits=$(grep -a -r -l -- "$v" "$T/A" "$T/B" "$T/C" "$T/D" "$T/R" "$T/HUB" "$T/hub.log" 2>/dev/null)
	[ -z "$hits" ] && ok "no file holds '$v'" || bad "'$v' is still in: $hits"
done
finish
