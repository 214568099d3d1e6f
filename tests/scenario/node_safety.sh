#!/bin/sh
# Safety at the chair, with what staff really type (issue 11): word forms in
# Russian, Romanian and English; list values typed with commas; merged
# cards; conditions and medications through the chain's catalogue; every
# path that writes a visit's services or products; overrides with a reason.
. tests/scenario/lib.sh
export KT_TODAY=2026-12-02
N="$T/n"
"$KT" -d "$N" init --branch Centre >/dev/null

# --- word forms: the allergy's words, by their stems, in order ---
a=$("$KT" -d "$N" client add --name 'Анна Словоформ' --add allergies=латекс \
	--add allergies='масло чайного дерева')
refuse "'Латексная маска' is refused for an allergy to латекс" \
	"$KT" -d "$N" visit add "$a" --service 'Латексная маска'
refuse "'Маска с латексом' is refused for an allergy to латекс" \
	"$KT" -d "$N" visit add "$a" --service 'Маска с латексом'
refuse "products used 'Перчатки латексные' are refused for латекс" \
	"$KT" -d "$N" visit add "$a" --service Массаж --set products_used='Перчатки латексные'
refuse "'Маска с маслом чайного дерева' is refused for 'масло чайного дерева'" \
	"$KT" -d "$N" visit add "$a" --service 'Маска с маслом чайного дерева'
contains "the refusal names the allergy" "$T/err" "масло чайного дерева"
check "the allergy's words must be in order ('масло дерева' alone goes ahead)" \
	"$KT" -d "$N" visit add "$a" --service 'Маска с маслом дерева'
e=$("$KT" -d "$N" client add --name 'Ellen Forms' --add allergies=latex --add allergies=nuts)
refuse "'Latex gloves' is refused for latex" "$KT" -d "$N" visit add "$e" --service 'Latex gloves'
refuse "'nut oil massage' is refused for nuts (English stems)" \
	"$KT" -d "$N" visit add "$e" --service 'nut oil massage'
check "'Latexfree mask' goes ahead: a compound is another word" \
	"$KT" -d "$N" visit add "$e" --service 'Latexfree mask'
check "'walnut scrub' goes ahead for nuts" "$KT" -d "$N" visit add "$e" --service 'walnut scrub'
r=$("$KT" -d "$N" client add --name 'Ioana Forme' --add allergies='nucă')
refuse "'Mască cu nuci' is refused for nucă (Romanian stems)" \
	"$KT" -d "$N" visit add "$r" --service 'Mască cu nuci'
refuse "'masca cu nuci' without diacritics is refused too" \
	"$KT" -d "$N" visit add "$r" --service 'masca cu nuci'
h=$("$KT" -d "$N" client add --name 'Хана Хнова' --add allergies=хна)
refuse "'Окрашивание бровей хной' is refused for хна (a short word)" \
	"$KT" -d "$N" visit add "$h" --service 'Окрашивание бровей хной'

# --- a list value typed with commas is several entries ---
v=$("$KT" -d "$N" client add --name 'Вера Пробная' --add allergies='latex, nuts')
refuse "'latex, nuts' typed at once: 'Latex mask' is refused" \
	"$KT" -d "$N" visit add "$v" --service 'Latex mask'
"$KT" -d "$N" client show "$v" --json >"$T/v"
contains "'latex, nuts' is stored as two allergies" "$T/v" '"allergies":\["latex","nuts"\]'
"$KT" -d "$N" client edit "$v" --add allergies='орехи; мёд，花生' >/dev/null
"$KT" -d "$N" client show "$v" --json >"$T/v"
contains "';' and the full-width comma separate entries too" "$T/v" '"мёд","орехи"'
contains "the full-width comma's last entry" "$T/v" '"花生"'
m=$("$KT" -d "$N" client add --name 'Доза Дробная' --add medications='изотретиноин 0,5 мг')
"$KT" -d "$N" client show "$m" --json >"$T/m"
contains "a decimal comma does not split ('0,5 мг')" "$T/m" '"medications":\["изотретиноин 0,5 мг"\]'
"$KT" -d "$N" client edit "$v" --remove allergies='latex, nuts' >/dev/null
"$KT" -d "$N" client show "$v" --json >"$T/v"
lacks "--remove with commas removes each entry" "$T/v" '"latex"'
printf 'name,allergies\nЛидия Импорт,"латекс, орехи"\n' >"$T/c.csv"
"$KT" -d "$N" import "$T/c.csv" 2>/dev/null
l=$("$KT" -d "$N" client find 'Лидия' --json | sed 's/.*"id":"\([0-9A-Z]*\)".*/\1/')
refuse "a CSV cell \"латекс, орехи\" is two allergies: 'Latex mask'... 'Маска латекс' refused" \
	"$KT" -d "$N" visit add "$l" --service 'Маска латекс'
refuse "and the second entry: 'Скраб с орехами' refused" \
	"$KT" -d "$N" visit add "$l" --service 'Скраб с орехами'

# --- merged cards: the kept card's safety block and checks are the group's ---
k=$("$KT" -d "$N" client add --name 'Keep Merged' --phone '+7 912 000 11 22')
o=$("$KT" -d "$N" client add --name 'Other Merged' --phone '+7 912 000 11 22' --add allergies=никель \
	--set staff_alert='сильная реакция на металлы' --add medications=варфарин)
"$KT" -d "$N" record add patch_test "$o" --set subject=никель --set status=passed >/dev/null
"$KT" -d "$N" client merge "$k" "$o" >/dev/null
"$KT" -d "$N" client show "$k" >"$T/k"
contains "show KEEP lists the merged card's allergy" "$T/k" "Allergies: *никель"
lacks "show KEEP does not say 'Allergies: none recorded'" "$T/k" "Allergies: *none recorded"
contains "show KEEP lists the merged card's staff alert" "$T/k" "STAFF ALERT: *сильная реакция"
contains "show KEEP lists the merged card's medication" "$T/k" "Medications: *варфарин"
contains "show KEEP lists the merged card's patch test" "$T/k" "никель: valid"
"$KT" -d "$N" client show "$k" --json >"$T/kj"
contains "show --json gives the group's safety block" "$T/kj" '"safety":{"allergies":\["никель"\]'
refuse "visit add KEEP 'Серьги никель' is refused" \
	"$KT" -d "$N" visit add "$k" --service 'Серьги никель'
"$KT" -d "$N" client edit "$o" --add allergies=хна >/dev/null
refuse "an allergy added to the merged-away card after the merge counts" \
	"$KT" -d "$N" visit add "$k" --service 'Брови хна'
refuse "a visit for the merged-away card's id is checked against the group" \
	"$KT" -d "$N" visit add "$o" --service 'Серьги никель'
"$KT" -d "$N" client unmerge "$o" >/dev/null
check "after unmerge KEEP has her own allergies again (none)" \
	"$KT" -d "$N" visit add "$k" --service 'Серьги никель'
refuse "after unmerge OTHER keeps hers" "$KT" -d "$N" visit add "$o" --service 'Серьги никель'
"$KT" -d "$N" client show "$k" >"$T/k"
contains "after unmerge show KEEP says none recorded" "$T/k" "Allergies: *none recorded"

# --- conditions and medications, through the chain's catalogue ---
refuse "catalog add needs --service or --product" "$KT" -d "$N" catalog add --set price=100
pil=$("$KT" -d "$N" catalog add --service 'Пилинг' --add contraindications='беременность' \
	--add medications='изотретиноин, ретиноиды' --add substances='гликолевая кислота')
refuse "the same name twice is refused" "$KT" -d "$N" catalog add --service 'пилинг'
p=$("$KT" -d "$N" client add --name 'Полина Условие' --add contraindications='беременность')
refuse "contraindications=беременность stops a Пилинг (catalogue)" \
	"$KT" -d "$N" visit add "$p" --service 'Пилинг'
contains "the refusal names the rule" "$T/err" "ruled out by 'беременность'"
q=$("$KT" -d "$N" client add --name 'Ирина Лекарство' --add medications='изотретиноин 20 мг')
refuse "medications=изотретиноин stops a 'Пилинг лица' (catalogue)" \
	"$KT" -d "$N" visit add "$q" --service 'Пилинг лица'
g=$("$KT" -d "$N" client add --name 'Galina Acid' --add allergies='гликолевая кислота')
refuse "an allergy to a catalogue entry's substance stops it" \
	"$KT" -d "$N" visit add "$g" --service 'Пилинг'
check "a Пилинг goes ahead for a client with none of these" \
	"$KT" -d "$N" visit add "$k" --service 'Пилинг'
"$KT" -d "$N" client show "$q" >"$T/q"
contains "medications show in the safety block" "$T/q" "Medications: *изотретиноин 20 мг"
"$KT" -d "$N" catalog add --service 'Окрашивание волос' --set patch_test=yes \
	--add aliases='hair dye' --add substances=PPD >/dev/null
refuse "a catalogue service needing a patch test is refused without one" \
	"$KT" -d "$N" visit add "$k" --service 'Hair dye'
contains "the refusal says none is on record" "$T/err" "none on record"
"$KT" -d "$N" record add patch_test "$k" --set subject=PPD --set status=failed \
	--set date=2026-11-20 >/dev/null
refuse "a failed patch test for its substance refuses it" "$KT" -d "$N" visit add "$k" --service 'Окрашивание волос'
"$KT" -d "$N" record add patch_test "$k" --set subject='hair dye' --set status=passed \
	--set date=2026-12-01 >/dev/null
refuse "a failed test of its substance stands after a pass under the service's name" \
	"$KT" -d "$N" visit add "$k" --service 'Hair dye'
contains "the refusal names the failed substance" "$T/err" "for 'PPD' of 2026-11-20 is failed"
"$KT" -d "$N" record add patch_test "$k" --set subject=ppd --set status=passed \
	--set date=2026-12-01 >/dev/null
check "a passed, valid patch test lets it go ahead" "$KT" -d "$N" visit add "$k" --service 'Hair dye'
z=$("$KT" -d "$N" client add --name 'Зоя Давняя')
pt=$("$KT" -d "$N" record add patch_test "$z" --set subject='Окрашивание волос' --set status=passed \
	--set date=2019-05-01)
"$KT" -d "$N" record edit "$pt" --set valid_until= >/dev/null
"$KT" -d "$N" client show "$z" >"$T/z"
contains "a test with valid_until cleared shows its date plus patch_test_months" "$T/z" \
	"Окрашивание волос: EXPIRED, tested 2019-05-01, valid until 2019-11-01"
refuse "and does not count as valid" "$KT" -d "$N" visit add "$z" --service 'Окрашивание волос'
contains "the refusal says it expired" "$T/err" "expired on 2019-11-01"
printf 'name,kind,substances,patch_test\nЛаминирование ресниц,service,"кератин, цистеамин",yes\n' >"$T/cat.csv"
check "catalog import reads a CSV of entries" "$KT" -d "$N" catalog import "$T/cat.csv"
"$KT" -d "$N" catalog list --json >"$T/cl"
contains "the imported entry's list cell is two substances" "$T/cl" '"substances":\["кератин","цистеамин"\]'
refuse "an imported entry's patch-test rule applies" \
	"$KT" -d "$N" visit add "$k" --service 'Ламинирование ресниц'
refuse "config set patch_test_services points to the catalogue" \
	"$KT" -d "$N" config set patch_test_services 'lash tint'
contains "the message names catalog add" "$T/err" "catalog add"
refuse "record add catalogue is refused (catalog add)" "$KT" -d "$N" record add catalogue "$k"

# --- every path that writes a visit's services or products runs the check ---
x=$("$KT" -d "$N" client add --name 'Эльза Правка' --add allergies=латекс)
vx=$("$KT" -d "$N" visit add "$x" --service Массаж)
refuse "record edit VISIT --set products_used=латекс is refused" \
	"$KT" -d "$N" record edit "$vx" --set products_used=латекс
refuse "record edit VISIT --set services='Латексная маска' is refused" \
	"$KT" -d "$N" record edit "$vx" --set services='Латексная маска'
"$KT" -d "$N" record show "$vx" --json >"$T/vx"
lacks "the refused edit changed nothing" "$T/vx" "латекс"
check "record edit of another field of the visit goes ahead" \
	"$KT" -d "$N" record edit "$vx" --set result=хорошо
check "record edit with --override goes ahead" \
	"$KT" -d "$N" record edit "$vx" --set products_used=латекс --override 'перчатки сменили' --by Olga
"$KT" -d "$N" record show "$vx" --json >"$T/vx"
contains "the edit's override is recorded" "$T/vx" '"override_reason":"перчатки сменили"'

# --- overrides need a reason, and the visit list marks them ---
refuse "--override '' is refused" "$KT" -d "$N" visit add "$x" --service 'Латексная маска' --override ''
refuse "--override of blanks is refused" "$KT" -d "$N" visit add "$x" --service 'Латексная маска' --override '   '
ov=$("$KT" -d "$N" visit add "$x" --service 'Латексная маска' --override 'клиентка согласна' --by Olga 2>/dev/null)
"$KT" -d "$N" client show "$x" >"$T/x"
contains "the card's visit list marks the overridden visit" "$T/x" "\[override: клиентка согласна\]"
"$KT" -d "$N" client show "$x" --json >"$T/xj"
contains "show --json keeps the override on the visit" "$T/xj" '"override_reason":"клиентка согласна"'
# --- import runs the check too: a file's visits against the store and the file ---
I="$T/imp"
# fails DESCRIPTION COMMAND...: non-zero exit, its stderr (a line a bad row) in $T/err
fails() { d=$1; shift; if "$@" >"$T/out" 2>"$T/err"; then bad "$d (exit 0)"; else ok "$d"; fi; }
"$KT" -d "$I" init --branch Import >/dev/null
cat >"$T/v.json" <<'JSON'
{"format":"kartoteka-export","version":1,"records":[
{"fields":{"allergies":["латекс"],"name":"Инна Файлова"},"id":"01M8XC7YBAKJHE5S3PKNN96KJV","type":"client"},
{"client":"01M8XC7YBAKJHE5S3PKNN96KJV","fields":{"date":"2026-12-02","services":"Маска с латексом"},"id":"01M8XC7YBG0MH8CDD8D158YETF","type":"visit"}]}
JSON
fails "import of a visit the check refuses is refused" "$KT" -d "$I" import "$T/v.json"
contains "the bad row names the safety check" "$T/err" "record 2: visit refused by the safety check"
lacks "nothing was imported" "$T/err" "^imported"
check "import --override REASON takes it" "$KT" -d "$I" import "$T/v.json" --override 'записи из старой программы' --by IT
"$KT" -d "$I" record show 01M8XC7YBG0MH8CDD8D158YETF --json >"$T/iv"
contains "the imported visit carries the override" "$T/iv" '"override_reason":"записи из старой программы"'
cat >"$T/v2.json" <<'JSON'
{"format":"kartoteka-export","version":1,"records":[
{"client":"01M8XC7YBAKJHE5S3PKNN96KJV","fields":{"date":"2026-12-02","services":"Латексная маска"},"id":"01M8XC7YBG0MH8CDD8D158YETG","type":"visit"},
{"fields":{"kind":"service","name":"Пилинг","contraindications":["беременность"]},"id":"01M8XC7YBG0MH8CDD8D158YETH","type":"catalogue"},
{"fields":{"contraindications":["беременность"],"name":"Ольга Файлова"},"id":"01M8XC7YBG0MH8CDD8D158YETJ","type":"client"},
{"client":"01M8XC7YBG0MH8CDD8D158YETJ","fields":{"date":"2026-12-02","services":"Пилинг"},"id":"01M8XC7YBG0MH8CDD8D158YETK","type":"visit"}]}
JSON
fails "a file's visit for a card in the store is checked against it" "$KT" -d "$I" import "$T/v2.json"
contains "record 1 is refused" "$T/err" "record 1: visit refused"
contains "and a visit against the file's own catalogue entry" "$T/err" "record 4: visit refused"
printf 'name,kind,substances
Маска,service,латекс
маска,product,x
' >"$T/dup.csv"
fails "catalog import refuses a name given twice" "$KT" -d "$I" catalog import "$T/dup.csv"
contains "the second line is named" "$T/err" "line 3: 'маска' is named on line 2"

# --- what looks like a reason but says nothing, and marks kept as recorded ---
nb=$(printf '\302\240')      # U+00A0 no-break space
ideo=$(printf '\343\200\200') # U+3000 ideographic space
zw=$(printf '\342\200\213')   # U+200B zero width space
braille=$(printf '\342\240\200') # U+2800
filler=$(printf '\343\205\244')  # U+3164
for r in "$nb" "$ideo" "$zw" "$nb $zw" "$braille" "$filler" '.' '-?'; do
	refuse "--override of invisible characters is refused" \
		"$KT" -d "$N" visit add "$x" --service 'Латексная маска' --override "$r"
done
refuse "--by '' is refused" "$KT" -d "$N" visit add "$x" --service 'Латексная маска' \
	--override 'согласна' --by ''
refuse "import --override of a no-break space is refused" \
	"$KT" -d "$I" import "$T/v.json" --override "$nb"
refuse "record edit cannot clear an override's reason" \
	"$KT" -d "$N" record edit "$ov" --set override_reason=
refuse "nor its author" "$KT" -d "$N" record edit "$ov" --set override_by=
refuse "visit add cannot set override_reason by hand" \
	"$KT" -d "$N" visit add "$k" --service Массаж --set override_reason=сама
"$KT" -d "$N" record show "$ov" --json >"$T/ov"
contains "the override is still on the visit" "$T/ov" '"override_reason":"клиентка согласна"'
cat >"$T/blank.json" <<'JSON'
{"format":"kartoteka-export","version":1,"records":[
{"client":"01M8XC7YBAKJHE5S3PKNN96KJV","fields":{"date":"2026-12-02","services":"Латексная маска","override_reason":"   "},"id":"01M8XC7YBG0MH8CDD8D158YETM","type":"visit"}]}
JSON
fails "an imported row whose override_reason is blank is no override" "$KT" -d "$I" import "$T/blank.json"
contains "it is refused by the check" "$T/err" "record 1: visit refused"
cat >"$T/noby.json" <<'JSON'
{"format":"kartoteka-export","version":1,"records":[
{"client":"01M8XC7YBAKJHE5S3PKNN96KJV","fields":{"date":"2026-12-02","services":"Латексная маска","override_reason":"согласна","override_by":""},"id":"01M8XC7YBG0MH8CDD8D158YETN","type":"visit"}]}
JSON
fails "an imported override with no one who gave it is refused" "$KT" -d "$I" import "$T/noby.json"
contains "the bad row says so" "$T/err" "record 1: an override needs who gave it"

# --- a field given twice is an error, not a silent choice ---
refuse "--set products_used twice is refused" "$KT" -d "$N" visit add "$x" --service Маникюр \
	--set products_used='Перчатки' --set products_used='латекс'
contains "the line names the field" "$T/err" "'products_used' is given twice"
refuse "--service and --set services together are refused" \
	"$KT" -d "$N" visit add "$x" --service Маникюр --set services=Педикюр

# --- a catalogue entry has a name ---
for n in '' '   ' ',;' ; do
	refuse "catalog add --service '$n' is refused" "$KT" -d "$N" catalog add --service "$n"
done
refuse "a name that differs only in blanks and case is a duplicate" \
	"$KT" -d "$N" catalog add --service ' ПИЛИНГ  '
refuse "catalog edit cannot clear an entry's name" "$KT" -d "$N" catalog edit 'Пилинг' --set name=
refuse "a negative price is refused" "$KT" -d "$N" catalog add --product 'Крем' --set price=-5
printf 'name,kind\n,service\n' >"$T/noname.csv"
fails "catalog import of a row with no name is refused" "$KT" -d "$N" catalog import "$T/noname.csv"
contains "the bad row says so" "$T/err" "line 2: a catalogue entry needs a name"

# --- a value an older version stored whole is removed part by part ---
O="$T/old"
"$KT" -d "$O" init --branch Old >/dev/null
oc=$("$KT" -d "$O" client add --name 'Ольга Старая' --add allergies=zzlatex)
old=$(python3 -c "s='latex, nuts'.encode(); print('01%02x%s' % (0xa0 + len(s), s.hex()))")
# The one live set element (state 01, then the at-rest seal's mark c1) becomes a clear
# value as a version before sealing at rest wrote it; the reader takes clear values still.
mdb_dump -s rec "$O" | sed "s/^ 01c1[0-9a-f]*\$/ $old/" >"$T/rec.dump"
mdb_load -s rec -f "$T/rec.dump" "$O" 2>/dev/null
"$KT" -d "$O" client show "$oc" --json >"$T/o"
contains "(the card holds one element 'latex, nuts', as an old version wrote it)" "$T/o" \
	'"allergies":\["latex, nuts"\]'
refuse "it is checked part by part" "$KT" -d "$O" visit add "$oc" --service 'Nut scrub'
check "client edit --remove allergies=latex takes that part" \
	"$KT" -d "$O" client edit "$oc" --remove allergies=latex
"$KT" -d "$O" client show "$oc" --json >"$T/o"
contains "and keeps the other" "$T/o" '"fields":{"allergies":\["nuts"\]'
check "--remove of the other part takes it too" "$KT" -d "$O" client edit "$oc" --remove allergies=NUTS
"$KT" -d "$O" client show "$oc" --json >"$T/o"
lacks "nothing is left of it" "$T/o" '"fields":{"allergies"'
"$KT" -d "$O" client edit "$oc" --add allergies=zzlatex >/dev/null
# The one live set element (state 01, then the at-rest seal's mark c1) becomes a clear
# value as a version before sealing at rest wrote it; the reader takes clear values still.
mdb_dump -s rec "$O" | sed "s/^ 01c1[0-9a-f]*\$/ $old/" >"$T/rec.dump"
mdb_load -s rec -f "$T/rec.dump" "$O" 2>/dev/null
check "--remove allergies='latex, nuts' takes the whole old element" \
	"$KT" -d "$O" client edit "$oc" --remove allergies='latex, nuts'
"$KT" -d "$O" client show "$oc" --json >"$T/o"
lacks "and adds nothing back" "$T/o" '"fields":{"allergies"'

# --- patch tests are judged on the visit's day, and must name what they clear ---
"$KT" -d "$N" catalog add --service 'Окрашивание бровей хной' --set patch_test=yes \
	--add substances=хна >/dev/null
pf=$("$KT" -d "$N" client add --name 'Фаина Будущая')
"$KT" -d "$N" record add patch_test "$pf" --set subject=хна --set status=passed \
	--set date=2027-03-01 --future >/dev/null
refuse "a pass dated after the visit does not clear it" \
	"$KT" -d "$N" visit add "$pf" --service 'Окрашивание бровей хной'
contains "the check refuses it" "$T/err" "visit refused"
pv=$("$KT" -d "$N" client add --name 'Вика Срок')
"$KT" -d "$N" record add patch_test "$pv" --set subject=хна --set status=passed \
	--set date=2026-11-25 --set valid_until=2026-12-10 >/dev/null
check "a valid test clears a visit today" "$KT" -d "$N" visit add "$pv" --service 'Окрашивание бровей хной'
refuse "but not a visit dated after it expires" \
	"$KT" -d "$N" visit add "$pv" --service 'Окрашивание бровей хной' --date 2027-02-01 --future
contains "the check refuses it" "$T/err" "visit refused"
vv=$("$KT" -d "$N" visit add "$pv" --service 'Окрашивание бровей хной' 2>/dev/null)
refuse "record edit of a visit's date judges the patch tests again" \
	"$KT" -d "$N" record edit "$vv" --set date=2027-02-01 --future
contains "the check refuses it" "$T/err" "visit refused"
pg=$("$KT" -d "$N" client add --name 'Гала Общая')
"$KT" -d "$N" record add patch_test "$pg" --set subject=окрашивание --set status=passed >/dev/null
refuse "a test of a mere part of the name ('окрашивание') clears nothing" \
	"$KT" -d "$N" visit add "$pg" --service 'Окрашивание бровей хной'
pp=$("$KT" -d "$N" client add --name 'Полина Поздняя')
"$KT" -d "$N" record add patch_test "$pp" --set subject=хна --set status=passed --set date=2026-11-01 >/dev/null
"$KT" -d "$N" record add patch_test "$pp" --set subject=хна --set status=failed --set date=2027-01-01 --future >/dev/null
refuse "a failure dated later than the visit still counts" \
	"$KT" -d "$N" visit add "$pp" --service 'Окрашивание бровей хной'
contains "the check refuses it" "$T/err" "visit refused"
pt=$("$KT" -d "$N" record add patch_test "$pp" --set subject=хна --set status=passed)
refuse "record edit cannot clear a patch test's subject" "$KT" -d "$N" record edit "$pt" --set subject=

# --- an edit's override adds to the one recorded, never replaces it ---
ow=$("$KT" -d "$N" visit add "$x" --service 'Латексная маска' --override 'нитриловые перчатки' --by Ольга 2>/dev/null)
check "record edit with a second override goes ahead" "$KT" -d "$N" record edit "$ow" \
	--set products_used='Перчатки латексные' --override 'согласие подписано' --by Петя
"$KT" -d "$N" record show "$ow" --json >"$T/ow"
contains "the first reason is kept, the second added" "$T/ow" \
	'"override_by":"Ольга; Петя","override_reason":"нитриловые перчатки; согласие подписано"'

# --- one entry is recorded once, however it is cased ---
du=$("$KT" -d "$N" client add --name 'Дуня Дубль' --add allergies='мёд, Мёд, воск')
"$KT" -d "$N" client show "$du" --json >"$T/du"
contains "мёд typed twice in one value is recorded once" "$T/du" '"fields":{"allergies":\["воск","мёд"\]'

# --- a one-line value is one line; an entry says something ---
nl=$(printf 'Стрижка\n\nAllergies:         none recorded')
refuse "a service with a line break is refused, in one line" \
	"$KT" -d "$N" visit add "$x" --service "$nl"
refuse "a catalogue name with a line break is refused" \
	"$KT" -d "$N" catalog add --service "$(printf 'Пил\nинг')"
refuse "an option with a line break gets a one-line error" \
	"$KT" -d "$N" client add --name T --set "$(printf 'foo\nbar=1')"
refuse "an allergy with no letter or digit is refused" \
	"$KT" -d "$N" client add --name 'Тире' --add allergies='—'
check "notes may hold several lines" "$KT" -d "$N" client edit "$x" --set notes="$(printf 'одна\nдве')"

# --- a restored export brings back past visits as they were recorded ---
H1="$T/h1"
"$KT" -d "$H1" init --branch H1 >/dev/null
hv=$("$KT" -d "$H1" client add --name 'Вера Лис')
"$KT" -d "$H1" visit add "$hv" --service 'Маска с латексом' --date 2025-01-10 >/dev/null
"$KT" -d "$H1" client edit "$hv" --add allergies=латекс >/dev/null # she reacted: added after
"$KT" -d "$H1" export >"$T/h1.json"
"$KT" -d "$T/h2" init --branch H2 >/dev/null
check "an export whose past visit the check would now refuse imports whole" \
	"$KT" -d "$T/h2" import "$T/h1.json"
"$KT" -d "$T/h2" client show "$hv" >"$T/h2s"
contains "the past visit is there" "$T/h2s" "2025-01-10"
lacks "with no override made up for it" "$T/h2s" "\[override"
"$KT" -d "$T/h3" init --branch H3 >/dev/null
"$KT" -d "$T/h3" import "$T/h1.json" 2>"$T/h3err" >/dev/null
contains "the import warns of it in one line" "$T/h3err" \
	"^warning: record 2: the visit of 2025-01-10 would be refused today: .*латекс"

# --- what a node holds, its own export and import carry ---
B1="$T/b1"
"$KT" -d "$B1" init --branch B1 >/dev/null
bc=$("$KT" -d "$B1" client add --name 'Большая Карта' --phone '+7 912 000 11 23')
# name, phone, its E.164 copy, home branch and 244 allergies: 248 values
"$KT" -d "$B1" client edit "$bc" --add allergies="$(python3 -c "print(', '.join('a%d' % i for i in range(244)))")" >/dev/null
refuse "a card past 248 values is refused at the edit" "$KT" -d "$B1" client edit "$bc" \
	--add allergies='z1, z2'
"$KT" -d "$B1" catalog add --service 'Пилинг' --add medications=изотретиноин >/dev/null
cat >"$T/twin.json" <<'JSON'
{"format":"kartoteka-export","version":1,"records":[
{"fields":{"kind":"service","name":"пилинг","contraindications":["беременность"]},"id":"01M8XC7YBG0MH8CDD8D158YEZ1","type":"catalogue"}]}
JSON
check "an exported entry named like one in the store (two branches added it offline) imports" \
	"$KT" -d "$B1" import "$T/twin.json"
"$KT" -d "$B1" export >"$T/b1.json"
"$KT" -d "$T/b2" init --branch B2 >/dev/null
check "and the node's export imports whole into a fresh node" "$KT" -d "$T/b2" import "$T/b1.json"
"$KT" -d "$T/b2" catalog list >"$T/b2c"
[ "$(grep -ci 'пилинг' "$T/b2c")" -eq 2 ] && ok "both same-named entries came back" || bad "both same-named entries came back"

# --- a fourth round: restores, past edits, limits, one-line fields ---
R1="$T/r1"
"$KT" -d "$R1" init --branch R1 >/dev/null
rc1=$("$KT" -d "$R1" client add --name 'Ольга Сегодня')
"$KT" -d "$R1" visit add "$rc1" --service 'Латексная маска' >/dev/null
"$KT" -d "$R1" client edit "$rc1" --add allergies=латекс >/dev/null
"$KT" -d "$R1" export >"$T/r1.json"
"$KT" -d "$T/r2" init --branch R2 >/dev/null
fails "a visit of today the check now refuses is a bad row at a plain import" \
	"$KT" -d "$T/r2" import "$T/r1.json"
"$KT" -d "$T/r2" import "$T/r1.json" --as-recorded 2>"$T/r2err" && ok "import --as-recorded restores it as recorded" || bad "import --as-recorded restores it as recorded"
contains "with a warning line" "$T/r2err" "^warning: record 2: .*imported as recorded"
"$KT" -d "$T/r2" client show "$rc1" >"$T/r2s"
lacks "and no override made up" "$T/r2s" "\[override"
pv2=$("$KT" -d "$R1" visit add "$rc1" --service 'Массаж' --date 2026-11-01)
"$KT" -d "$R1" record edit "$pv2" --set services='Маска с латексом' --override 'правка истории' >/dev/null 2>&1
check "moving a past visit's date within the past is no new treatment" \
	"$KT" -d "$R1" record edit "$pv2" --set date=2026-11-02
refuse "a visit's date cannot be cleared" "$KT" -d "$R1" record edit "$pv2" --set date=
refuse "a tab in a service is refused" "$KT" -d "$R1" visit add "$rc1" --service "$(printf 'A\tB')"
refuse "a line separator U+2028 in a service is refused" \
	"$KT" -d "$R1" visit add "$rc1" --service "$(printf 'A\342\200\250B')"
refuse "an allergy of only '²' is refused" "$KT" -d "$R1" client edit "$rc1" --add allergies='²'
refuse "an override reason of only '²' is refused" \
	"$KT" -d "$R1" visit add "$rc1" --service 'Латексная маска' --override '²'
"$KT" -d "$B1" client edit "$bc" --add allergies='z3' >/dev/null 2>&1
check "a card at its limit can still lose an entry" "$KT" -d "$B1" client edit "$bc" --remove allergies=a0

# --- fail closed at the CLI: a damaged allergy refuses with one line, --override still records ---
F="$T/fc"
"$KT" -d "$F" init --branch FC >/dev/null
fc=$("$KT" -d "$F" client add --name 'Фаина Сбой' --add allergies=zzlatex)
mdb_dump -s rec "$F" | sed "s/^ 01c1/ 09c1/" >"$T/fc.dump" # the sealed element's state byte flipped
mdb_load -s rec -f "$T/fc.dump" "$F" 2>/dev/null
refuse "a visit for a card with a damaged allergy is refused" "$KT" -d "$F" visit add "$fc" --service Массаж
contains "the line says the check cannot read what it needs" "$T/err" "the safety check cannot read what it needs"
"$KT" -d "$F" visit add "$fc" --service Массаж --override 'карта проверена вручную' --by Olga \
	>/dev/null 2>"$T/fcw" && ok "--override still records it" || bad "--override still records it"
contains "and warns with the reason" "$T/fcw" "cannot read what it needs"

finish
