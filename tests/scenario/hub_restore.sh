#!/bin/sh
# A branch PC restored from last night's backup: the cards it made after the
# backup are at the hub, and one sync gives them back (the hub leaves out of
# a pull only the branch's own changes the branch says it holds).
. tests/scenario/lib.sh
export KT_TODAY=2026-11-22
chain_setup A B
K() { n=$1; shift; "$KT" -d "$T/$n" "$@"; }
start_hub
K A client add --name 'Ночная Резервная' >/dev/null
sync_all A B
cp -a "$T/A" "$T/A.backup"                 # last night's backup
late=$(K A client add --name 'Утренняя Клиентка' --phone '+7 912 700 00 01')
K A visit add "$late" --service Facial --amount 2500 --date 2026-11-22 >/dev/null
K A client edit "$late" --add allergies=latex >/dev/null
sync_all A B
rm -rf "$T/A" && mv "$T/A.backup" "$T/A"   # the disk died; the backup is put back
check "the restored branch lacks the morning's card before it syncs" sh -c "! '$KT' -d '$T/A' client show '$late'"
check "one sync gives the restored branch its own morning back" "$KT" -d "$T/A" sync --timeout 20
K A client show "$late" >"$T/shown"
contains "the morning's card is back, with its allergy" "$T/shown" 'latex'
contains "and its visit" "$T/shown" 'Facial'
sync_all A B # the show is an audited read: a change to carry
check "the restored branch, the other branch and the hub agree" same_digests A B
late2=$(K A client add --name 'После Восстановления')
sync_all A B
check "it goes on writing, and its new card reaches the other branch" "$KT" -d "$T/B" client show "$late2"
sync_all A B
check "and everyone still agrees" same_digests A B

# restored again, but written to before it synced: two histories under one
# name; the branch says so in one line and stops, the others go on
cp -a "$T/A" "$T/A.backup"
K A client add --name 'Вечерняя Клиентка' >/dev/null
K A client add --name 'Поздняя Клиентка' >/dev/null
sync_all A B
rm -rf "$T/A" && cp -a "$T/A.backup" "$T/A"
K A client add --name 'Записана До Синхронизации' >/dev/null
refuse "a restored branch written to before it synced is refused, in one line" K A sync --timeout 10
contains "the line says it was restored and written to" "$T/err" 'restored from a backup and written to'
rm -rf "$T/A" && cp -a "$T/A.backup" "$T/A"
K A client add --name 'Первая После' >/dev/null
K A client add --name 'Вторая После' >/dev/null
refuse "the same with as many changes as the hub holds of it" K A sync --timeout 10
contains "the line says so" "$T/err" 'restored from a backup and written to'
K A client add --name 'Третья После' >/dev/null
refuse "and with more" K A sync --timeout 10
contains "the line says so again" "$T/err" 'restored from a backup and written to'
check "the other branch goes on syncing" "$KT" -d "$T/B" sync --timeout 10
finish
