#!/bin/sh
# Import from a spreadsheet's CSV and from an export; export is
# deterministic; a file with bad rows is reported by line and imports
# nothing unless --skip-bad.
. tests/scenario/lib.sh
export KT_TODAY=2026-11-22
A="$T/a"; B="$T/b"; C="$T/c"
"$KT" -d "$A" init --branch Centre >/dev/null
printf '\357\273\277name,phone,email,birthday,allergies,notes\r\n' >"$T/in.csv"
cat >>"$T/in.csv" <<'CSV'
Анна Иванова,+7 912 345-67-89,anna@example.ru,1990-11-25,latex; nuts,"likes tea, green"
Ștefania Popescu,+40 721 234 567,,1985-12-30,,"two
lines"
王小明,8 916 111 22 33,,,,
"Smith, John",,john@example.com,,,"said ""hi"""
CSV
"$KT" -d "$A" import "$T/in.csv" 2>"$T/err"
contains "import of a CSV reports the count" "$T/err" "imported 4 records"
f() { "$KT" -d "$A" client find "$1" --json | grep -q '"id"'; }
check "imported Cyrillic name is found" f анна
check "imported Romanian name is found without accents" f stefania
check "imported Chinese name is found" f 小明
check "a quoted comma survives" f smith
"$KT" -d "$A" client find анна --json >"$T/anna"
id=$(grep -o '"id":"[0-9A-Z]*"' "$T/anna" | head -1 | cut -d'"' -f4)
"$KT" -d "$A" client show "$id" --json >"$T/anna"
contains "a ';' list becomes a set" "$T/anna" '"allergies":\["latex","nuts"\]'
contains "a quoted cell keeps its comma" "$T/anna" '"notes":"likes tea, green"'
"$KT" -d "$A" visit add "$id" --service Facial --amount 2000 --date 2026-11-01 >/dev/null
"$KT" -d "$A" record add points "$id" --set delta=50 >/dev/null

"$KT" -d "$A" export --json >"$T/a.json"
"$KT" -d "$A" export --json >"$T/a2.json"
cmp -s "$T/a.json" "$T/a2.json" && ok "export is deterministic" || bad "export is deterministic"
python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$T/a.json" 2>/dev/null && ok "export is valid JSON" || bad "export is valid JSON"
"$KT" -d "$B" init --branch North >/dev/null
"$KT" -d "$B" import "$T/a.json" 2>"$T/err"
contains "import of an export reports the count" "$T/err" "imported 6 records"
"$KT" -d "$B" export --json >"$T/b.json"
cmp -s "$T/a.json" "$T/b.json" && ok "export -> import -> export gives the same bytes" || bad "export -> import -> export gives the same bytes"
refuse_lines() { ! "$@" >/dev/null 2>"$T/err"; }
check "importing the same export twice is refused" refuse_lines "$KT" -d "$B" import "$T/a.json"
contains "the refusal names the record" "$T/err" "record 1: this record is already in the store"

"$KT" -d "$C" init --branch South >/dev/null
"$KT" -d "$C" export --json >"$T/c0.json"
cat >"$T/bad.csv" <<'CSV'
name,birthday,rating_of_nothing
CSV
check "an unknown column is refused" refuse_lines "$KT" -d "$C" import "$T/bad.csv"
contains "the unknown column is named" "$T/err" "unknown column 'rating_of_nothing'"
printf 'name,birthday,gender\nGood One,1990-01-01,female\nBad Date,2026-02-30,female\nGood Two,,\n,1990-01-01,\nBad Gender,,robot\n' >"$T/bad.csv"
check "a file with bad rows is refused" refuse_lines "$KT" -d "$C" import "$T/bad.csv"
contains "line 3 is reported (bad date)" "$T/err" "line 3: bad date '2026-02-30'"
contains "line 5 is reported (no name)" "$T/err" "line 5: a client needs a name"
contains "line 6 is reported (bad gender)" "$T/err" "line 6: 'gender' wants one of"
"$KT" -d "$C" export --json >"$T/c1.json"
cmp -s "$T/c0.json" "$T/c1.json" && ok "nothing was imported" || bad "nothing was imported"
"$KT" -d "$C" import "$T/bad.csv" --skip-bad 2>"$T/err"
contains "--skip-bad imports the good rows" "$T/err" "imported 2 records"
contains "--skip-bad says how many it skipped" "$T/err" "skipped 3 bad rows"
printf 'name,notes\nX,"never closed\n' >"$T/q.csv"
check "an unclosed quote is a bad row" refuse_lines "$KT" -d "$C" import "$T/q.csv"
printf '{"format":"kartoteka-export","version":1,"records":[{"id":"01JD3Q5ZK8W6T9V2M4N7P0R1S3","type":"client","fields":{"name":5,"name":"x"}}]}' >"$T/dup.json"
check "a JSON object with a duplicate key is refused" refuse_lines "$KT" -d "$C" import "$T/dup.json"
printf '{"format":"kartoteka-export","version":1,"records":[{"id":"01JD3Q5ZK8W6T9V2M4N7P0R1S3","type":"visit","client":"01JD3Q5ZK8W6T9V2M4N7P0R1S4","fields":{"services":"x"}}]}' >"$T/orphan.json"
check "a visit of an unknown client is refused" refuse_lines "$KT" -d "$C" import "$T/orphan.json"
finish
