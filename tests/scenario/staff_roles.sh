#!/bin/sh
# Staff accounts, roles and the audit of reads (issue 15): each role reads
# and writes what node/roles.c says and is refused the rest in one line
# naming the roles that may; a node with a founding passphrase names who
# acts; every read of a card is an audit record that replicates, so a
# manager at another branch sees reads made at this one, offline ones too.
. tests/scenario/lib.sh
chain_setup Centre North
C="$T/Centre"; N="$T/North"
printf 'boss-pass-1\n' >"$T/boss"; printf 'recep-pin\n' >"$T/recep"
printf 'cosmo-pass\n' >"$T/cosmo"; printf 'head-pass\n' >"$T/head"

# The founding account is open until it has a passphrase; then commands name who acts.
"$KT" -d "$C" staff list >"$T/list"
contains "init made the founding account" "$T/list" "manager       Centre         admin  \[no passphrase\]"
"$KT" -d "$C" status >"$T/st"; contains "status says the node is open" "$T/st" "open"
check "the founder takes a passphrase" "$KT" -d "$C" staff passwd --pass-file "$T/boss"
refuse "naming nobody is refused once the founder has a passphrase" "$KT" -d "$C" client find Анна
contains "it says how to name who acts" "$T/err" "say who acts: --as NAME"
export KT_STAFF=admin KT_PASS=boss-pass-1
refuse "a wrong passphrase is refused" env KT_PASS=nope "$KT" -d "$C" client find Анна
contains "it names the account" "$T/err" "wrong passphrase for admin"
refuse "an unknown account is refused" "$KT" -d "$C" --as Nobody client find Анна

check "a manager adds a receptionist" "$KT" -d "$C" staff add "Рита Приёмова" --role reception --pass-file "$T/recep"
check "a manager adds a cosmetologist" "$KT" -d "$C" staff add "Мария Ким" --role cosmetologist --pass-file "$T/cosmo"
refuse "a manager may not add a head-office account" "$KT" -d "$C" staff add "Глава" --role head_office --pass-file "$T/head"
refuse "a manager may not add staff of another branch" "$KT" -d "$C" staff add "Ира" --role reception --branch North --pass-file "$T/recep"
refuse "an account name is taken once" "$KT" -d "$C" staff add "мария КИМ" --role reception --pass-file "$T/recep"
refuse "an unknown role is refused" "$KT" -d "$C" staff add "Ира" --role boss --pass-file "$T/recep"
refuse "a too short PIN is refused" env KT_NEW_PASS=123 "$KT" -d "$C" staff add "Ира" --role reception

# A card with every part, written by the cosmetologist.
cosmo() { KT_STAFF="мария ким" KT_PASS=cosmo-pass "$KT" -d "$C" "$@"; }
recep() { KT_STAFF="Рита Приёмова" KT_PASS=recep-pin "$KT" -d "$C" "$@"; }
id=$(cosmo client add --name "Анна Аудитова" --phone "+7 912 555-01-02" --add allergies=латекс \
	--add medications=изотретиноин --set health_notes="астма, ингалятор")
refuse "a cosmetologist may not change the catalogue" cosmo catalog add --service "Пилинг ретиноевый"
cosmo record add assessment "$id" --set hydration=3 --set notes="сухость" >/dev/null
cosmo visit add "$id" --service "Маникюр" --amount 1500 >/dev/null

# Reception: contacts, the safety banner, visits; not health notes, medications, assessments.
recep client show "$id" >"$T/show"
contains "reception sees her name" "$T/show" "Анна Аудитова"
contains "reception sees her allergy" "$T/show" "латекс"
contains "reception sees her visits" "$T/show" "Маникюр"
lacks "reception does not see her health notes" "$T/show" "астма"
lacks "reception does not see her medications" "$T/show" "изотретиноин"
lacks "reception does not see her assessments" "$T/show" "hydration"
contains "the card says what was not shown" "$T/show" "Not shown to Рита Приёмова (reception): health"
recep client show "$id" --json >"$T/show.json"
lacks "nor in JSON: health notes" "$T/show.json" "астма"
lacks "nor in JSON: medications" "$T/show.json" "изотретиноин"
contains "JSON names what was hidden" "$T/show.json" '"hidden":"health"'
refuse "reception may not write a health note" recep client edit "$id" --set health_notes=x
contains "the refusal names the roles that may" "$T/err" "reception) may not write health_notes (cosmetologist, manager"
refuse "reception may not export" recep export
contains "export refused names the manager" "$T/err" "may not export the cards (manager may)"
refuse "reception may not read the audit" recep audit
refuse "reception may not see reports" recep report
refuse "reception may not review conflicts" recep conflicts
refuse "reception may not add staff" recep staff add "X Y" --role reception --pass-file "$T/recep"
check "reception records a visit" recep visit add "$id" --service "Стрижка" --amount 900
check "reception records an allergy she is told of" recep client edit "$id" --add allergies=пыльца
# The safety check still stops the visit for reception, without naming her medication.
"$KT" -d "$C" catalog add --service "Пилинг" --add medications=изотретиноин >/dev/null
refuse "reception is refused a visit her medication rules out" recep visit add "$id" --service "Пилинг"
contains "it says a medication rules it out" "$T/err" "ruled out by a medication on the client's card"
lacks "it does not name the medication" "$T/err" "изотретиноин"
refuse "the cosmetologist is told which" cosmo visit add "$id" --service "Пилинг"
contains "the cosmetologist's line names it" "$T/err" "изотретиноин"
cosmo client show "$id" >"$T/cshow"
contains "the cosmetologist sees the health notes" "$T/cshow" "астма"
contains "the cosmetologist sees the medications" "$T/cshow" "изотретиноин"
refuse "the cosmetologist may not export" cosmo export
check "a disabled account cannot act" "$KT" -d "$C" staff disable "Рита Приёмова"
refuse "the disabled receptionist is refused" recep client find Анна
contains "it says the account is disabled" "$T/err" "disabled"
refuse "the manager may not disable herself" "$KT" -d "$C" staff disable admin
check "the manager exports" sh -c "'$KT' -d '$C' export >'$T/export.json'"
lacks "the export holds no passphrase hash" "$T/export.json" "argon2id"

# The audit: every read above is a record, here and at another branch after a sync.
"$KT" -d "$C" audit --client "$id" >"$T/audit"
contains "the audit has the receptionist's read" "$T/audit" "Рита Приёмова.*show.*contacts,safety,visits,feedback,loyalty"
contains "the audit has the cosmetologist's read with health" "$T/audit" "Мария Ким.*show.*contacts,safety,health"
contains "the audit has the export (every card)" "$T/audit" "admin.*export.*every card"
"$KT" -d "$C" audit --staff "мария ким" --json >"$T/a.json"
check "audit --staff lists only her reads" python3 -c "
import json,sys; a=json.load(open('$T/a.json'))
sys.exit(0 if a and all(x['staff']=='Мария Ким' for x in a) else 1)"
start_hub
"$KT" -d "$C" sync >/dev/null 2>&1
"$KT" -d "$N" sync >/dev/null 2>&1
"$KT" -d "$C" sync >/dev/null 2>&1
check "digests agree after the audit replicated" sh -c "[ \"\$('$KT' -d '$C' digest)\" = \"\$('$KT' -d '$N' digest)\" ]"
"$KT" -d "$N" audit --client "$id" >"$T/naudit"
contains "head office's node sees the reads made at Centre" "$T/naudit" "Centre.*Рита Приёмова.*show"
"$KT" -d "$N" staff list >"$T/nlist"
contains "the accounts replicate to North" "$T/nlist" "cosmetologist Centre         Мария Ким"
KT_STAFF="мария ким" KT_PASS=cosmo-pass "$KT" -d "$N" client show "$id" >"$T/nshow"
contains "the cosmetologist logs in at another branch" "$T/nshow" "астма"
stop_hub

# Head office: reports and the audit; cards only with a manager's grant.  Its
# node's founding account is the chain's first head-office account.
"$KT" -d "$T/HQ" init --branch HQ --role head_office --staff "Глава Офиса" --pass-file "$T/head" >/dev/null
"$H" -d "$T/HUB" enroll --branch HQ --key "$("$KT" -d "$T/HQ" key)" --out "$T/HQ.bundle" >/dev/null
"$KT" -d "$C" invite --key "$("$KT" -d "$T/HQ" key)" --out "$T/HQ.invite"
hq() { KT_STAFF="Глава Офиса" KT_PASS=head-pass "$KT" -d "$@"; }
check "the head-office node joins" hq "$T/HQ" join "$T/HQ.bundle" --invite "$T/HQ.invite"
refuse "a manager may not make a head-office node's founder without saying so" "$KT" -d "$T/x" init --branch X --role boss
start_hub
hq "$T/HQ" sync >/dev/null 2>&1
"$KT" -d "$N" sync >/dev/null 2>&1
check "head office reads the report" hq "$N" report
check "head office reads the audit" hq "$N" audit
check "head office lists the chain's staff" hq "$N" staff list
refuse "head office may not open a card without a grant" hq "$N" client show "$id"
contains "it names who may" "$T/err" "may not read contacts"
check "a manager grants head office cards until a day" "$KT" -d "$N" staff grant "Глава Офиса" --until 2099-01-01 --reason "проверка жалобы"
hq "$N" client show "$id" >"$T/hshow"
contains "with the grant head office sees the card" "$T/hshow" "астма"
"$KT" -d "$N" audit --json >"$T/ga.json"
check "the grant is audited with its reason" grep -q '"reason":"проверка жалобы","staff":"admin"' "$T/ga.json"
refuse "head office may not grant itself" hq "$N" staff grant "Глава Офиса" --until 2099-01-01 --reason x
check "the grant is revoked" "$KT" -d "$N" staff grant "Глава Офиса" --revoke --reason "готово"
refuse "after the revoke head office is refused again" hq "$N" client show "$id"
stop_hub

# Erasure is a manager's, and is audited with its reason and the cards it erased.
e=$(cosmo client add --name "Ольга Стираемая")
refuse "a cosmetologist may not erase a client" cosmo client erase "$e" --reason "просьба клиента"
contains "the refusal names the manager" "$T/err" "may not erase a client (manager may)"
check "the manager erases her" "$KT" -d "$C" client erase "$e" --reason "просьба клиента, ст. 17"
"$KT" -d "$C" audit --json >"$T/ea.json"
check "the erasure is in the audit, who, why and which card" python3 -c "
import json,sys; a=[x for x in json.load(open('$T/ea.json')) if x['what']=='erase']
sys.exit(0 if len(a)==1 and a[0]['staff']=='admin' and a[0]['reason']=='просьба клиента, ст. 17' and '$e' in a[0]['clients'] else 1)"
finish
