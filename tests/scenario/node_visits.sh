#!/bin/sh
# Visits and records: the safety checks at the chair (allergies,
# contraindications, patch tests) work offline, an override is recorded;
# assessments, plans, feedback, points show on the card; segments and
# birthdays follow the settings.
. tests/scenario/lib.sh
export KT_TODAY=2026-11-22
N="$T/n"
"$KT" -d "$N" init --branch Centre >/dev/null
a=$("$KT" -d "$N" client add --name 'Анна Иванова' --add allergies='Латекс' --add allergies=latex --add contraindications='glycolic acid' --birthday 1990-11-25)
b=$("$KT" -d "$N" client add --name 'Mara Ionescu' --birthday 1984-12-01)
c=$("$KT" -d "$N" client add --name 'Lost Client')
p=$("$KT" -d "$N" client add --name 'Potential Client' --birthday 2000-02-29)

refuse "a visit naming her allergy is refused (case, accent-insensitive word match)" \
	"$KT" -d "$N" visit add "$a" --service 'Mask with LATEX strips'
grep -q "latex" "$T/err" && ok "the refusal names the allergy" || bad "the refusal names the allergy"
refuse "products used naming a contraindication are refused" \
	"$KT" -d "$N" visit add "$a" --service Peel --set 'products_used=Glycolic Acid 30%'
check "a word inside another word is not a match (latexfree)" "$KT" -d "$N" visit add "$a" --service 'Latexfree mask' --date 2026-11-01
v=$("$KT" -d "$N" visit add "$a" --service 'Latex mask' --override 'gloves changed, client agreed' --by Olga 2>/dev/null)
"$KT" -d "$N" record show "$v" --json >"$T/v"
contains "an override records the reason" "$T/v" '"override_reason":"gloves changed, client agreed"'
contains "an override records who gave it" "$T/v" '"override_by":"Olga"'

"$KT" -d "$N" catalog add --service 'Hair dye' --set patch_test=yes >/dev/null
"$KT" -d "$N" catalog add --service 'Lash tint' --set patch_test=yes >/dev/null
refuse "a service needing a patch test is refused without one" "$KT" -d "$N" visit add "$b" --service 'Hair dye'
contains "the refusal says no patch test is on record" "$T/err" "none on record"
pt=$("$KT" -d "$N" record add patch_test "$b" --set subject='hair dye' --set status=failed --set date=2026-11-01)
refuse "a failed patch test refuses the service" "$KT" -d "$N" visit add "$b" --service 'Hair dye'
contains "the refusal says it failed" "$T/err" "failed"
"$KT" -d "$N" record edit "$pt" --set status=passed --set date=2026-01-02 --set valid_until=2026-07-02
refuse "an expired patch test refuses the service" "$KT" -d "$N" visit add "$b" --service 'Hair dye'
contains "the refusal says it expired" "$T/err" "expired"
pt2=$("$KT" -d "$N" record add patch_test "$b" --set subject='hair dye' --set status=passed --set date=2026-11-10)
"$KT" -d "$N" record show "$pt2" --json >"$T/pt"
contains "a patch test is valid six months by default" "$T/pt" '"valid_until":"2027-05-10"'
check "a valid patch test lets the service go ahead" "$KT" -d "$N" visit add "$b" --service 'Hair dye' --amount 3500
check "services without a patch-test rule go ahead" "$KT" -d "$N" visit add "$b" --service 'Manicure'

# segments: a regular (a visit each month for six months), lost, new, potential
for d in 2026-06-01 2026-07-01 2026-08-01 2026-09-01 2026-10-01 2026-11-01; do
	"$KT" -d "$N" visit add "$a" --service Facial --date $d --amount 2000 >/dev/null
done
"$KT" -d "$N" visit add "$c" --service Facial --date 2026-05-01 >/dev/null
"$KT" -d "$N" visit add "$c" --service Facial --date 2026-06-01 >/dev/null
seg() { "$KT" -d "$N" client list --segment "$1" --json >"$T/seg"; grep -q "$2" "$T/seg"; }
check "regular: a visit in each of the last 6 months" seg regular "$a"
check "lost: last visit more than 2 months ago" seg lost "$c"
check "potential: a card and no visit" seg potential "$p"
"$KT" -d "$N" client list --segment regular --json >"$T/seg"
lacks "a lost client is not regular" "$T/seg" "$c"
"$KT" -d "$N" config set segment_lost_months 12
check "the lost threshold is a setting" sh -c "! $KT -d $N client list --segment lost --json | grep -q $c"
d=$("$KT" -d "$N" client add --name 'New Client')
"$KT" -d "$N" visit add "$d" --service Facial --date 2026-11-20 >/dev/null
check "new: one visit so far" seg new "$d"
refuse "an unknown segment is refused" "$KT" -d "$N" client list --segment vip

"$KT" -d "$N" birthdays --days 7 --json >"$T/bd"
contains "birthdays lists one in 3 days" "$T/bd" "$a"
lacks "birthdays skips one in 9 days" "$T/bd" "$b"
contains "birthdays says the age she turns" "$T/bd" '"turns":36'
"$KT" -d "$N" birthdays --days 10 --json >"$T/bd"
contains "birthdays --days 10 reaches 1 December" "$T/bd" "$b"

"$KT" -d "$N" record add assessment "$a" --set date=2026-06-01 --set hydration=3 --set acne=7 >/dev/null
"$KT" -d "$N" record add assessment "$a" --set date=2026-11-01 --set hydration=6 --set acne=2 >/dev/null
"$KT" -d "$N" record add plan "$a" --set goal='Clear skin' --set procedures='Peel x4' >/dev/null
"$KT" -d "$N" record add feedback "$a" --set kind=complaint --set text='Waited 20 minutes' >/dev/null
"$KT" -d "$N" record add points "$a" --set delta=150 --set reason=visits >/dev/null
"$KT" -d "$N" record add points "$a" --set delta=-50 --set reason=redeemed >/dev/null
"$KT" -d "$N" client show "$a" --json >"$T/a"
contains "show gives the change since her first assessment" "$T/a" '"assessment_change":{"acne":-5,"hydration":3}'
contains "show gives the points balance" "$T/a" '"points_balance":100'
contains "show lists her open care plan" "$T/a" '"goal":"Clear skin"'
contains "show lists her feedback" "$T/a" '"kind":"complaint"'
"$KT" -d "$N" client show "$a" >"$T/at"
contains "text show: change since the first" "$T/at" "change since the first: hydration +3 acne -5"
contains "text show: points balance" "$T/at" "Points balance: 100"
refuse "points are written once" "$KT" -d "$N" record edit "$(grep -o '"id":"[0-9A-Z]*","type":"points"' "$T/a" | head -1 | cut -d'"' -f4)" --set delta=5
refuse "visits go through visit add" "$KT" -d "$N" record add visit "$a" --set services=x
finish
