#!/bin/sh
# Consents and the client's rights (issue 15): consents per purpose given and
# withdrawn with their history, the old yes/no fields read as legacy
# consents, the marketing filters of birthdays and export, bad input refused
# with nothing changed, the dossier (text and JSON) for a manager only and
# itself audited, and a consent recorded at one branch seen at another after
# a sync through the hub.
. tests/scenario/lib.sh
chain_setup Centre North
C="$T/Centre"; N="$T/North"
export KT_TODAY=2026-06-01
printf 'recep-pin\n' >"$T/recep"; printf 'cosmo-pass\n' >"$T/cosmo"
"$KT" -d "$C" staff add "Рита Приёмова" --role reception --pass-file "$T/recep" >/dev/null
"$KT" -d "$C" staff add "Мария Ким" --role cosmetologist --pass-file "$T/cosmo" >/dev/null
recep() { KT_STAFF="Рита Приёмова" KT_PASS=recep-pin "$KT" -d "$C" "$@"; }
cosmo() { KT_STAFF="Мария Ким" KT_PASS=cosmo-pass "$KT" -d "$C" "$@"; }
# py FILE EXPR: passes when the python expression over j (FILE's JSON) holds
py() { python3 -c "import json,sys; j=json.load(open('$1')); sys.exit(0 if ($2) else 1)"; }

a=$(cosmo client add --name "Анна Согласова" --phone "+7 912 555-10-01" --birthday 1990-06-03 \
	--set consent_marketing=yes --set health_notes="астма")
b=$(recep client add --name "Бея Бездатова" --phone "+7 912 555-10-02" --birthday 1985-06-02)
c=$(recep client add --name "Вера Отзывова" --email vera@example.ru --birthday 1992-06-04)
cosmo visit add "$a" --service "Чистка лица" --amount 2500 >/dev/null
cosmo record add assessment "$a" --set hydration=4 --add photos=face-2026-06-01.jpg >/dev/null

# Give and withdraw: each is a record of its own; the latest by date holds.
check "reception records a marketing consent at the desk" recep client consent "$b" --purpose marketing --give --version 2026-01
check "a consent with its day and text version" recep client consent "$c" --purpose marketing --give --version 2026-01 --date 2026-01-10
check "a withdrawal later on" recep client consent "$c" --purpose marketing --withdraw --date 2026-05-01 --note "просила не писать"
check "an older consent entered after" recep client consent "$c" --purpose marketing --give --version 2025-07 --date 2025-07-01
check "the photos consent" cosmo client consent "$a" --purpose photos --give --version 2026-01
recep client show "$c" >"$T/show"
contains "show lists her consents" "$T/show" "^Consents:"
contains "the current marketing consent is the withdrawal" "$T/show" "marketing  withdrawn 2026-05-01, version 2026-01, by Рита Приёмова at Centre: просила не писать"
contains "the history is shown" "$T/show" "history (oldest first)"
contains "the consent withdrawn is in the history" "$T/show" "marketing  given     2026-01-10, version 2026-01"
contains "health: none recorded" "$T/show" "health     none recorded"
recep client show "$c" --json >"$T/show.json"
check "show --json: current marketing withdrawn, recorded by reception" py "$T/show.json" \
	"j['consents']['current']['marketing']['state']=='withdrawn' and j['consents']['current']['marketing']['recorded_by_name']=='Рита Приёмова' and j['consents']['current']['photos'] is None"
check "show --json: the history holds all three, oldest first" py "$T/show.json" \
	"[h['date'] for h in j['consents']['history']]==['2025-07-01','2026-01-10','2026-05-01']"
"$KT" -d "$C" client show "$a" --json >"$T/a.json"
check "the old consent_marketing field is a legacy consent" py "$T/a.json" \
	"j['consents']['current']['marketing']['legacy'] is True and j['consents']['current']['marketing']['state']=='given' and j['consents']['current']['marketing']['date']=='$(date +%Y-%m-%d)'"
"$KT" -d "$C" client show "$a" >"$T/a.txt"
contains "photos consent is shown where the photos are" "$T/a.txt" "photos: consent given 2026-06-01, version 2026-01"
"$KT" -d "$C" client show "$b" >"$T/b.txt"
contains "no photos consent is said too" "$T/b.txt" "photos: no consent recorded"

# Marketing lists leave out clients without a current marketing consent.
"$KT" -d "$C" birthdays --days 7 >"$T/bd"
contains "birthdays lists everyone for the desk" "$T/bd" "Вера Отзывова"
"$KT" -d "$C" birthdays --days 7 --marketing >"$T/bdm"
contains "birthdays --marketing keeps the legacy consent" "$T/bdm" "Анна Согласова"
contains "birthdays --marketing keeps the recorded consent" "$T/bdm" "Бея Бездатова"
lacks "birthdays --marketing leaves out the withdrawn one" "$T/bdm" "Вера Отзывова"
"$KT" -d "$C" birthdays --days 7 --json >"$T/bd.json"
check "birthdays --json says each one's consent" py "$T/bd.json" \
	"sorted((x['name'],x['marketing_consent']) for x in j)==[('Анна Согласова',True),('Бея Бездатова',True),('Вера Отзывова',False)]"
"$KT" -d "$C" export --marketing >"$T/mk.json"
check "export --marketing: the two who consented, by id" py "$T/mk.json" \
	"j['format']=='kartoteka-marketing' and [x['id'] for x in j['clients']]==sorted(['$a','$b'])"
check "export --marketing: contacts and the consent only" py "$T/mk.json" \
	"all(sorted(x)==['birthday','consent','email','id','name','phone'] for x in j['clients'])"
lacks "export --marketing holds no health note" "$T/mk.json" "астма"
refuse "export --marketing is a manager's" recep export --marketing
refuse "export --marketing --csv is refused" "$KT" -d "$C" export --marketing --csv --out "$T/csv"

# Bad input: one line, non-zero, nothing changed.
d0=$("$KT" -d "$C" digest)
refuse "an unknown purpose" recep client consent "$b" --purpose spam --give --version 1
contains "it names the purposes" "$T/err" "unknown purpose 'spam' (want health, marketing or photos)"
refuse "a bad date" recep client consent "$b" --purpose photos --give --version 1 --date 2026-02-30
refuse "a date after today" recep client consent "$b" --purpose photos --give --version 1 --date 2026-06-02
refuse "both --give and --withdraw" recep client consent "$b" --purpose photos --give --withdraw --version 1
contains "it says not both" "$T/err" "not both"
refuse "neither --give nor --withdraw" recep client consent "$b" --purpose photos
refuse "--give without a version" recep client consent "$b" --purpose photos --give
refuse "a bad version" recep client consent "$b" --purpose photos --give --version "v 1"
refuse "an unknown client" recep client consent 01JD3Q5ZK8W6T9V2M4N7P0R1S4 --purpose photos --give --version 1
contains "it says no such client" "$T/err" "no client '01JD3Q5ZK8W6T9V2M4N7P0R1S4'"
refuse "a bad id" recep client consent nonsense --purpose photos --give --version 1
refuse "record add consent is refused" recep record add consent "$b" --set purpose=photos
cid=$(python3 -c "import json; print(json.load(open('$T/show.json'))['consents']['history'][0]['id'])")
refuse "a consent record is not edited" "$KT" -d "$C" record edit "$cid" --set note=x
[ "$("$KT" -d "$C" digest)" = "$d0" ] && ok "nothing was written by the refusals" || bad "nothing was written by the refusals"

# The dossier: a manager's; everything of her merge group, her consents, her access log.
dup=$(recep client add --name "Анна С." --email anna@example.ru)
recep client consent "$dup" --purpose health --give --version h-2026 --date 2026-03-01 >/dev/null
"$KT" -d "$C" client merge "$a" "$dup" >/dev/null 2>&1
recep client show "$a" >/dev/null
refuse "reception may not make a dossier" recep client dossier "$a"
contains "the refusal names who may" "$T/err" "may not make a client's dossier (manager may)"
refuse "nor a cosmetologist" cosmo client dossier "$a" --json
refuse "a dossier of no client" "$KT" -d "$C" client dossier 01JD3Q5ZK8W6T9V2M4N7P0R1S4
"$KT" -d "$C" client dossier "$a" >"$T/dos.txt"
contains "the dossier names her" "$T/dos.txt" "Анна Согласова"
contains "it holds her health notes" "$T/dos.txt" "астма"
contains "and her visits" "$T/dos.txt" "Чистка лица"
contains "and the merged card" "$T/dos.txt" "Анна С."
contains "and her consents" "$T/dos.txt" "health     given     2026-03-01, version h-2026"
contains "and her access log" "$T/dos.txt" "Access log"
contains "the log names reception's read" "$T/dos.txt" "Рита Приёмова"
"$KT" -d "$C" client dossier "$a" --json >"$T/dos.json"
check "dossier --json is the dossier of her" py "$T/dos.json" \
	"j['format']=='kartoteka-dossier' and j['version']==1 and j['client']=='$a' and j['made']['by']=='admin'"
check "dossier --json: both cards of her merge group" py "$T/dos.json" \
	"sorted(x['id'] for x in j['cards'])==sorted(['$a','$dup']) and [x for x in j['cards'] if x['id']=='$dup'][0]['merged_into']=='$a'"
check "dossier --json: her card's fields in full" py "$T/dos.json" \
	"[x for x in j['cards'] if x['id']=='$a'][0]['fields']['health_notes']=='астма'"
check "dossier --json: visit, assessment with photos, consents among her records" py "$T/dos.json" \
	"sorted(set(x['type'] for x in j['records']))==['assessment','consent','visit'] and any(x['type']=='assessment' and x['fields']['photos']==['face-2026-06-01.jpg'] for x in j['records'])"
check "dossier --json: every record is hers" py "$T/dos.json" \
	"all(x['client'] in ('$a','$dup') for x in j['records'])"
check "dossier --json: current consents of the group" py "$T/dos.json" \
	"j['consents']['current']['health']['state']=='given' and j['consents']['current']['photos']['version']=='2026-01' and j['consents']['current']['marketing']['legacy']"
check "dossier --json: the access log holds reception's show and the first dossier" py "$T/dos.json" \
	"any(x['what']=='show' and x['staff']=='Рита Приёмова' for x in j['access_log']) and any(x['what']=='dossier' for x in j['access_log'])"
check "dossier --json: a read that named others with her names only her" py "$T/dos.json" \
	"any(x['what']=='birthdays' for x in j['access_log']) and all(set(x['clients'])<={'$a','$dup','0'*26} for x in j['access_log'])"
"$KT" -d "$C" audit --client "$a" --json >"$T/aud.json"
check "the dossier is itself audited, by the manager" py "$T/aud.json" \
	"len([x for x in j if x['what']=='dossier' and x['staff']=='admin'])==2"

# A consent recorded at Centre is seen at North after a sync through the hub.
start_hub
sync_all Centre North
"$KT" -d "$N" client show "$b" --json >"$T/n.json"
check "North sees the consent recorded at Centre" py "$T/n.json" \
	"j['consents']['current']['marketing']['state']=='given' and j['consents']['current']['marketing']['branch']=='Centre' and j['consents']['current']['marketing']['recorded_by_name']=='Рита Приёмова'"
check "North withdraws it" "$KT" -d "$N" client consent "$b" --purpose marketing --withdraw
sync_all North Centre
stop_hub
same_digests Centre North && ok "both branches and the hub agree" || bad "both branches and the hub agree"
"$KT" -d "$C" export --marketing >"$T/mk2.json"
check "Centre's marketing export leaves her out after North's withdrawal" py "$T/mk2.json" \
	"[x['id'] for x in j['clients']]==['$a']"

# An erased client's consents go with her.
check "a manager erases a client" "$KT" -d "$C" client erase "$c" --reason "просьба клиента"
refuse "her dossier is refused: she was erased" "$KT" -d "$C" client dossier "$c"
contains "it says so" "$T/err" "was erased"
refuse "no consent for an erased client" recep client consent "$c" --purpose photos --give --version 1
finish
