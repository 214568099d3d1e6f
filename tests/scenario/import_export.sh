#!/bin/sh
# import_export.sh - import a spreadsheet's CSV and an export, through the
# real kt-node ("$KT_NODE", default bin/kt-node) in a temporary folder:
# names in any script are found after a CSV import; export is deterministic
# and an export imported into a fresh node exports the same bytes; a file
# with a bad row is reported by line and imports nothing unless --skip-bad.
# Prints "ok - ..." or "not ok - ..." per check; exits non-zero on a failure.
. "$(dirname "$0")/lib.sh"
export KT_TODAY=2026-11-22
A="$T/a"; B="$T/b"; C="$T/c"

# refuses COMMAND...: the command exits non-zero (its stderr is in $T/err)
refuses() { ! "$@" >"$T/out" 2>"$T/err"; }
# same FILE1 FILE2: the two files hold the same bytes, and some
same() { [ -s "$1" ] && cmp -s "$1" "$2"; }
# found QUERY NAME: client find QUERY on node A lists NAME
found() { "$KT" -d "$A" client find "$1" --json >"$T/found" && grep -q -- "$2" "$T/found"; }
# records FILE: how many records an export holds
records() { grep -o '"type":"[a-z_]*"' "$1" | wc -l | tr -d ' '; }

check "init node A" "$KT" -d "$A" init --branch Centre
check "init node B" "$KT" -d "$B" init --branch North
check "init node C" "$KT" -d "$C" init --branch South

# A spreadsheet saved as CSV UTF-8: BOM, CRLF, quoted commas and newlines.
printf '\357\273\277Name,Phone,email,birthday,allergies,notes\r\n' >"$T/in.csv"
printf '%s\r\n' \
	'Анна Иванова,+7 912 345-67-89,anna@example.ru,1990-11-25,latex; nuts,"likes tea, green"' \
	'Ștefania Popescu,+40 721 234 567,,1985-12-30,,"two' \
	'lines"' \
	'王小明,8 916 111 22 33,,,,' \
	'"Smith, John",,john@example.com,,,"said ""hi"""' \
	'Ioana Țăranu,,,2000-02-29,fragrance,' >>"$T/in.csv"
"$KT" -d "$A" import "$T/in.csv" >"$T/out" 2>"$T/err"
check "a CSV of 5 clients is imported" test $? -eq 0
contains "the summary counts the records" "$T/err" "^imported 5 records from $T/in.csv$"
check "a Cyrillic name is found" found анна 'Анна Иванова'
check "a Romanian name is found without its accents" found stefania 'Ștefania Popescu'
check "a Chinese name is found by one character" found 小明 '王小明'
check "a name with a quoted comma is found" found smith 'Smith, John'
check "a name with ț and ă is found without them" found taranu 'Ioana Țăranu'
found анна 'Анна'
id=$(grep -o '"id":"[0-9A-Z]*"' "$T/found" | head -1 | cut -d'"' -f4)
"$KT" -d "$A" client show "$id" --json >"$T/anna" 2>&1
contains "a ';' list becomes a set" "$T/anna" '"allergies":\["latex","nuts"\]'
contains "a quoted cell keeps its comma" "$T/anna" '"notes":"likes tea, green"'
contains "a CSV card gets this branch as home" "$T/anna" '"home_branch":"Centre"'
check "a visit is added to an imported card" \
	"$KT" -d "$A" visit add "$id" --service Facial --amount 2000.50 --date 2026-11-01
check "loyalty points are added to an imported card" \
	"$KT" -d "$A" record add points "$id" --set delta=50

"$KT" -d "$A" export --json >"$T/a.json" 2>"$T/err"
"$KT" -d "$A" export >"$T/a2.json"
check "export is deterministic" same "$T/a.json" "$T/a2.json"
[ "$(records "$T/a.json")" = 7 ] && ok "export holds 5 cards, a visit and points" ||
	bad "export holds 5 cards, a visit and points ($(records "$T/a.json"))"
check "export is one line" test "$(wc -l <"$T/a.json")" -eq 1
contains "export starts with its format and version" "$T/a.json" \
	'^{"format":"kartoteka-export","version":1,"records":\[{'
check "export is valid JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/a.json"
contains "export prints names as UTF-8" "$T/a.json" '王小明'
"$KT" -d "$B" import "$T/a.json" 2>"$T/err"
contains "an export is imported into a fresh node" "$T/err" "imported 7 records from"
"$KT" -d "$B" export --json >"$T/b.json"
check "export -> import -> export gives the same bytes" same "$T/a.json" "$T/b.json"
check "the imported visit is on its card" sh -c "'$KT' -d '$B' client show '$id' --json | grep -q Facial"

check "importing the same export again is refused" refuses "$KT" -d "$B" import "$T/a.json"
contains "the refusal names the record" "$T/err" "^record 1: record [0-9A-Z]* already exists"
"$KT" -d "$B" import "$T/a.json" --skip-bad 2>"$T/err"
contains "--skip-bad resumes: nothing is imported twice" "$T/err" \
	"imported 0 records from .*, skipped 7 bad rows"
"$KT" -d "$B" export >"$T/b2.json"
check "the node is unchanged after the skipped import" same "$T/a.json" "$T/b2.json"

# One bad row on line 3 (a date that does not exist).
"$KT" -d "$C" export >"$T/c0.json"
printf 'name,birthday,gender\nGood One,1990-01-01,female\nBad Date,2026-02-30,female\nGood Two,,\n' >"$T/bad.csv"
check "a CSV with a bad row is refused" refuses "$KT" -d "$C" import "$T/bad.csv"
contains "line 3 is reported with its problem" "$T/err" \
	"^line 3: bad date '2026-02-30' for 'birthday': the calendar has no such day"
[ "$(grep -c '^line ' "$T/err")" = 1 ] && ok "no other line is reported" ||
	bad "no other line is reported"
contains "the refusal says nothing was imported" "$T/err" "nothing imported"
"$KT" -d "$C" export >"$T/c1.json"
check "nothing was imported" same "$T/c0.json" "$T/c1.json"
"$KT" -d "$C" import "$T/bad.csv" --skip-bad 2>"$T/err"
contains "--skip-bad imports the good rows" "$T/err" "imported 2 records from"
contains "--skip-bad says how many rows it skipped" "$T/err" "skipped 1 bad row"
contains "--skip-bad still reports the bad row" "$T/err" "^line 3: bad date"
"$KT" -d "$C" export >"$T/c2.json"
[ "$(records "$T/c2.json")" = 2 ] && ok "the node holds the 2 good cards" ||
	bad "the node holds the 2 good cards"
grep -q '"Good One"' "$T/c2.json" && ! grep -q "Bad Date" "$T/c2.json" &&
	ok "the bad card is not there" || bad "the bad card is not there"

# Files refused as a whole, with one line on stderr.
printf 'name,birthday,colour\nAnna,,red\n' >"$T/col.csv"
refuse "an unknown column refuses the file" "$KT" -d "$C" import "$T/col.csv"
contains "the unknown column is named" "$T/err" "unknown column 'colour'"
printf 'name,notes\nX,"never closed\nY,z\n' >"$T/q.csv"
refuse "a quote never closed refuses the file" "$KT" -d "$C" import "$T/q.csv"
printf '{"format":"kartoteka-export","version":1,"records":[{"type":"client","fields":{"name":"a","name":"b"}}]}' >"$T/dup.json"
refuse "a JSON object with a duplicate key refuses the file" "$KT" -d "$C" import "$T/dup.json"
refuse "a missing file is refused" "$KT" -d "$C" import "$T/nope.csv"
"$KT" -d "$C" export >"$T/c3.json"
check "refused files changed nothing" same "$T/c2.json" "$T/c3.json"

# Records of the file checked against each other and the store.
v='{"id":"01JD3Q5ZK8W6T9V2M4N7P0R1S5","type":"visit","client":"01JD3Q5ZK8W6T9V2M4N7P0R1S4","fields":{"services":"x"}}'
printf '{"format":"kartoteka-export","version":1,"records":[%s]}' "$v" >"$T/orphan.json"
check "a visit of an unknown client is refused" refuses "$KT" -d "$C" import "$T/orphan.json"
contains "the unknown client is named" "$T/err" "record 1: client 01JD3Q5ZK8W6T9V2M4N7P0R1S4 is neither"
k1='{"id":"01JD3Q5ZK8W6T9V2M4N7P0R1S3","type":"client","fields":{"name":"Vera"}}'
k2='{"id":"01JD3Q5ZK8W6T9V2M4N7P0R1S4","type":"client","merged_into":"01JD3Q5ZK8W6T9V2M4N7P0R1S3","fields":{"name":"Vera K","tags":["vip"]}}'
printf '{"format":"kartoteka-export","version":1,"records":[%s,%s,%s]}' "$v" "$k2" "$k1" >"$T/m.json"
"$KT" -d "$C" import "$T/m.json" 2>"$T/err"
contains "a visit listed before its client is imported" "$T/err" "imported 3 records"
"$KT" -d "$C" export >"$T/c4.json"
contains "a merged card keeps merged_into" "$T/c4.json" \
	'"id":"01JD3Q5ZK8W6T9V2M4N7P0R1S4","merged_into":"01JD3Q5ZK8W6T9V2M4N7P0R1S3"'
printf '{"format":"kartoteka-export","version":1,"records":[%s,%s]}' "$k1" "$k1" >"$T/twice.json"
rm -rf "$B"; "$KT" -d "$B" init --branch North >/dev/null
check "a record twice in one file is refused" refuses "$KT" -d "$B" import "$T/twice.json"
contains "the second copy is reported" "$T/err" "^record 2: record 01JD3Q5ZK8W6T9V2M4N7P0R1S3 appears twice"

"$KT" -d "$C" export --help >"$T/help"
contains "export --help names the backup format" "$T/help" "the backup format"
contains "export --help tells of --csv" "$T/help" "export --csv --out FOLDER"
"$KT" -d "$C" import --help >"$T/help"
contains "import --help lists --skip-bad" "$T/help" "--skip-bad"
refuse "export refuses an unknown option" "$KT" -d "$C" export --xml

# a long import shows progress on a terminal (script(1) gives it one), and
# only there: piped, stderr holds the closing line alone
i=0; { echo 'name,phone'; while [ $i -lt 2500 ]; do echo "Клиентка $i,+7 915 $((100 + i / 100)) $((10 + i % 90)) 00"; i=$((i + 1)); done; } >"$T/long.csv"
"$KT" -d "$T/tty" init --branch Tty >/dev/null
script -qec "'$KT' -d '$T/tty' import '$T/long.csv'" /dev/null >"$T/tty.out" 2>&1
contains "a long import on a terminal shows its progress" "$T/tty.out" "imported 1000 of 2500"
contains "and ends with what it did" "$T/tty.out" "imported 2500 records"
"$KT" -d "$T/pipe" init --branch Pipe >/dev/null
"$KT" -d "$T/pipe" import "$T/long.csv" >"$T/pipe.out" 2>&1
lacks "piped, it shows no progress" "$T/pipe.out" "imported 1000 of"
# issue 13: a file Excel saved with its "sep=;" line
printf 'sep=;\r\nname;phone\r\nАнна Сепова;+7 912 000 11 22\r\n' >"$T/sep.csv"
check "a CSV whose first line is Excel's sep=; imports" "$KT" -d "$T/pipe" import "$T/sep.csv"
"$KT" -d "$T/pipe" client find 'сепова' >"$T/sep.out"
contains "with the separator it names" "$T/sep.out" "+7 912 000 11 22"
printf 'sep=\nname\n' >"$T/sep2.csv"
refuse "a sep= line naming no separator is refused in one line" "$KT" -d "$T/pipe" import "$T/sep2.csv"
finish
