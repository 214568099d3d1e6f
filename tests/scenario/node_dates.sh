#!/bin/sh
# Dates are the branch's dates: today is the local date of the branch's zone
# (the system's, or the timezone setting), dates are typed as the branch's
# country writes them and stored as ISO, a birthday or a visit in the future
# is refused (a visit goes ahead with --future), and every list that depends
# on a date follows one rule at its edges (29 February, the year's end,
# local midnight).
. tests/scenario/lib.sh
unset KT_TODAY KT_NOW
N="$T/n"
"$KT" -d "$N" init --branch Centre --country RU >/dev/null

# records N: the node's record count, to show a refusal wrote nothing.
records() { "$KT" -d "$1" status --json | sed 's/.*"records":\([0-9]*\).*/\1/'; }
# fails DESCRIPTION COMMAND...: exits non-zero (an import says each bad row, then why it stopped)
fails() { d=$1; shift; if "$@" >"$T/out" 2>"$T/err"; then bad "$d (exit 0)"; else ok "$d"; fi; }
# date_of ID: the date field of a record
date_of() { "$KT" -d "$N" record show "$1" --json | sed 's/.*"date":"\([^"]*\)".*/\1/'; }

# 09:30 on 25 November in Vladivostok is 23:30 UTC on the 24th.
export TZ=Asia/Vladivostok KT_NOW=1795563000
a=$("$KT" -d "$N" client add --name 'Анна Иванова' --birthday 25.11.1990)
"$KT" -d "$N" client show "$a" --json >"$T/a"
contains "a birthday typed DD.MM.YYYY is kept as ISO" "$T/a" '"birthday":"1990-11-25"'
v=$("$KT" -d "$N" visit add "$a" --service Manicure --amount 1000)
[ "$(date_of "$v")" = 2026-11-25 ] && ok "a visit at 09:30 local is dated that local day" ||
	bad "a visit at 09:30 local is dated that local day ($(date_of "$v"))"
"$KT" -d "$N" birthdays --days 0 >"$T/b"
contains "birthdays --days 0 at 09:30 local lists that day's birthday" "$T/b" \
	"birthday 2026-11-25, turns 36"
w=$("$KT" -d "$N" client add --name 'Week Edge' --birthday 1.12.1985)
"$KT" -d "$N" report --json >"$T/r"
contains "the report's week is counted from the local today" "$T/r" '"on":"2026-12-01"'
"$KT" -d "$N" client list --json >"$T/l"
contains "one visit: she is new" "$T/l" '"segment":"new"'

# Segments at local midnight: her visit of 26 September is 60 days old on
# the 25th (not lost), 61 days at 00:30 local on the 26th (lost), which is
# still the 25th in UTC.
s=$("$KT" -d "$N" client add --name 'Segment Edge')
"$KT" -d "$N" visit add "$s" --service Manicure --date 26.09.2026 >/dev/null
"$KT" -d "$N" client list --segment lost >"$T/l"
lacks "a visit 60 days ago is not lost" "$T/l" "Segment Edge"
KT_NOW=1795617000 "$KT" -d "$N" client list --segment lost >"$T/l"
contains "61 days ago at 00:30 local is lost" "$T/l" "Segment Edge"

# The report's months: a visit at 09:30 local on 1 December (23:30 UTC on
# 30 November) is December's; local midnight is the boundary.
m=$(KT_NOW=1796081400 "$KT" -d "$N" visit add "$a" --service Pedicure --amount 2000)
[ "$(date_of "$m")" = 2026-12-01 ] && ok "a visit before 10:00 local on the 1st is dated the 1st" ||
	bad "a visit before 10:00 local on the 1st is dated the 1st ($(date_of "$m"))"
"$KT" -d "$N" report --json >"$T/r"
contains "and counts in December's revenue" "$T/r" \
	'"branch":"Centre","currency":"RUB","month":"2026-12","revenue_minor":200000,"visits":1'
e=$(KT_NOW=1796047199 "$KT" -d "$N" visit add "$a" --service Brows)
[ "$(date_of "$e")" = 2026-11-30 ] && ok "23:59:59 local is still the 30th" || bad "23:59:59 local is still the 30th"
e=$(KT_NOW=1796047200 "$KT" -d "$N" visit add "$a" --service Brows)
[ "$(date_of "$e")" = 2026-12-01 ] && ok "00:00:00 local is the 1st" || bad "00:00:00 local is the 1st"

# The timezone setting: the branch's zone whatever the system's.
refuse "a zone this machine does not have is refused" "$KT" -d "$N" config set timezone Asia/Nowhere
contains "naming it" "$T/err" "unknown time zone 'Asia/Nowhere'"
refuse "a path is no zone" "$KT" -d "$N" config set timezone ../../etc/passwd
refuse "nor a folder of zones" "$KT" -d "$N" config set timezone Asia
check "an IANA zone is taken" "$KT" -d "$N" config set timezone Asia/Vladivostok
[ "$("$KT" -d "$N" config get timezone)" = Asia/Vladivostok ] && ok "and kept" || bad "and kept"
v=$(TZ=UTC "$KT" -d "$N" visit add "$a" --service Facial)
[ "$(date_of "$v")" = 2026-11-25 ] && ok "the setting's zone wins over the system's" ||
	bad "the setting's zone wins over the system's ($(date_of "$v"))"
TZ=UTC "$KT" -d "$N" birthdays --days 0 >"$T/b"
contains "birthdays follow the setting too" "$T/b" "birthday 2026-11-25, turns 36"
check "an empty timezone is the system's again" "$KT" -d "$N" config set timezone ''
v=$(TZ=UTC "$KT" -d "$N" visit add "$a" --service Facial)
[ "$(date_of "$v")" = 2026-11-24 ] && ok "then UTC's date is UTC's" || bad "then UTC's date is UTC's"

# Dates in the future.
before=$(records "$N")
refuse "a birthday after today is refused" "$KT" -d "$N" client add --name Future --birthday 2090-11-25
contains "saying so" "$T/err" "birthday 2090-11-25 is after today (2026-11-25)"
refuse "tomorrow is no birthday either" "$KT" -d "$N" client edit "$a" --set birthday=26.11.2026
refuse "nor with --future" "$KT" -d "$N" client add --name Future --birthday 2026-11-26 --future
refuse "a visit years ahead is refused" "$KT" -d "$N" visit add "$a" --service Manicure --date 2062-11-20
contains "as more than a year ahead" "$T/err" "visit date 2062-11-20 is more than 366 days after today"
refuse "even with --future" "$KT" -d "$N" visit add "$a" --service Manicure --date 2062-11-20 --future
refuse "a visit tomorrow is refused" "$KT" -d "$N" visit add "$a" --service Manicure --date 26.11.2026
contains "saying how to mean it" "$T/err" "add --future"
refuse "--override is the safety check's, not a date's" "$KT" -d "$N" visit add "$a" \
	--service Manicure --date 26.11.2026 --override 'booked'
refuse "a patch test dated ahead is refused" "$KT" -d "$N" record add patch_test "$a" \
	--set subject=dye --set date=2026-12-25
refuse "a visit edited to years ahead is refused" "$KT" -d "$N" record edit "$v" --set date=2062-11-20
[ "$(records "$N")" = "$before" ] && ok "nothing was written by the refusals" ||
	bad "nothing was written by the refusals"
f=$("$KT" -d "$N" visit add "$a" --service Manicure --date 26.11.2026 --future)
[ "$(date_of "$f")" = 2026-11-26 ] && ok "--future records a visit ahead" || bad "--future records a visit ahead"
check "a plan may start ahead" "$KT" -d "$N" record add plan "$a" --set goal=skin --set start=01.03.2027
KT_TODAY=2035-01-01 refuse "a birthday over 130 years ago is refused" "$KT" -d "$N" client add \
	--name Old --birthday 1900-01-01
contains "saying why" "$T/err" "makes her older than 130 years"

# Dates as staff write them (a Russian branch).
g=$("$KT" -d "$N" visit add "$a" --service Manicure --date 1.2.2026)
[ "$(date_of "$g")" = 2026-02-01 ] && ok "D.M.YYYY with one digit is read" || bad "D.M.YYYY with one digit is read"
refuse "a two-digit year is refused" "$KT" -d "$N" visit add "$a" --service Manicure --date 30.11.26
contains "asking for the year in full" "$T/err" \
	"date '30.11.26' for 'date': write the year in full: DD.MM.YYYY or YYYY-MM-DD"
refuse "day/month with slashes is refused" "$KT" -d "$N" visit add "$a" --service Manicure --date 30/11/2026
contains "as ambiguous, naming the forms" "$T/err" "ambiguous (day/month or month/day?): write DD.MM.YYYY or YYYY-MM-DD"
refuse "and month/day too" "$KT" -d "$N" client edit "$a" --set birthday=11/30/1990
refuse "year first with slashes is not Russian" "$KT" -d "$N" client edit "$a" --set birthday=1990/11/30
refuse "a day the calendar lacks" "$KT" -d "$N" client edit "$a" --set birthday=29.02.1990
fw=$("$KT" -d "$N" visit add "$a" --service Manicure --date '２０.１１.２０２６')
[ "$(date_of "$fw")" = 2026-11-20 ] && ok "full-width ２０.１１.２０２６ is read as 2026-11-20" ||
	bad "full-width ２０.１１.２０２６ is read as 2026-11-20"
check "and with full-width dots and no-break spaces around it" "$KT" -d "$N" client edit "$a" \
	--set "birthday=$(printf '\302\240２５．１１．１９９０\302\240')"
check "an assessment's date is read as typed" "$KT" -d "$N" record add assessment "$a" --set date=20.11.2026 --set hydration=5

# A Chinese branch reads year first; a branch elsewhere ISO only.
Z="$T/z"
"$KT" -d "$Z" init --branch 上海 --country CN >/dev/null
z=$("$KT" -d "$Z" client add --name 王芳 --birthday 1990/11/25)
"$KT" -d "$Z" client show "$z" --json >"$T/z1"
contains "YYYY/MM/DD is read in CN" "$T/z1" '"birthday":"1990-11-25"'
check "and 年月日" "$KT" -d "$Z" client edit "$z" --set birthday=1990年11月25日
refuse "but not DD.MM.YYYY" "$KT" -d "$Z" client edit "$z" --set birthday=25.11.1990
contains "naming the forms it reads" "$T/err" "want YYYY-MM-DD, YYYY/MM/DD or YYYY年MM月DD日"
refuse "a two-digit year there either" "$KT" -d "$Z" client edit "$z" --set birthday=90年11月25日
# Full-width digits and punctuation, as a Chinese keyboard's full-width mode types them.
zv=$("$KT" -d "$Z" visit add "$z" --service 美甲 --date '２０２６年１１月２０日')
[ "$("$KT" -d "$Z" record show "$zv" --json | sed 's/.*"date":"\([^"]*\)".*/\1/')" = 2026-11-20 ] &&
	ok "full-width ２０２６年１１月２０日 is read as 2026-11-20" || bad "full-width ２０２６年１１月２０日 is read as 2026-11-20"
check "and ２０２６／１１／２０ with an ideographic space around it" "$KT" -d "$Z" client edit "$z" \
	--set 'birthday=　１９９０／１１／２５　'
U="$T/u"
"$KT" -d "$U" init --branch Boston --country US >/dev/null
refuse "a US branch reads ISO only" "$KT" -d "$U" client add --name Jane --birthday 11/25/1990
contains "naming ISO" "$T/err" "write YYYY-MM-DD"

# Import: CSV cells and JSON values of dates.
printf 'name,birthday\nCSV One,25.11.1990\nCSV Two,1990-11-26\nCSV Wide,２６.１１.１９９０\n' >"$T/ok.csv"
check "a CSV birthday 25.11.1990 is imported" "$KT" -d "$N" import "$T/ok.csv"
"$KT" -d "$N" client find CSV --json >"$T/found"
"$KT" -d "$N" export >"$T/ex.json"
contains "as ISO" "$T/ex.json" '"birthday":"1990-11-25","home_branch":"Centre","name":"CSV One"'
contains "a full-width date cell as ISO too" "$T/ex.json" '"birthday":"1990-11-26","home_branch":"Centre","name":"CSV Wide"'
before=$(records "$N")
printf 'name,birthday\nA,30.11.90\nB,2090-11-25\nC,30/11/1990\nD,1990-11-25\n' >"$T/bad.csv"
fails "bad dates in a CSV are bad rows" "$KT" -d "$N" import "$T/bad.csv"
[ "$(records "$N")" = "$before" ] && ok "and nothing is imported" || bad "and nothing is imported"
contains "a two-digit year names its line" "$T/err" "line 2: date '30.11.90' for 'birthday': write the year in full"
contains "a future birthday names its line" "$T/err" "line 3: birthday 2090-11-25 is after today"
contains "a slash date names its line" "$T/err" "line 4: date '30/11/1990' for 'birthday' is ambiguous"
S="$T/s"
"$KT" -d "$S" init --branch Source --country RU >/dev/null
sc=$("$KT" -d "$S" client add --name 'Json Client')
"$KT" -d "$S" visit add "$sc" --service Manicure --date 2026-11-20 >/dev/null
"$KT" -d "$S" export >"$T/s.json"
sed 's/"date":"2026-11-20"/"date":"2062-11-20"/' "$T/s.json" >"$T/far.json"
fails "an imported visit years ahead is a bad row" "$KT" -d "$N" import "$T/far.json" --future
contains "named by its record" "$T/err" "more than 366 days after today"
sed 's/"date":"2026-11-20"/"date":"27.11.2026"/' "$T/s.json" >"$T/soon.json"
fails "an imported visit ahead is a bad row" "$KT" -d "$N" import "$T/soon.json"
contains "saying how to mean it" "$T/err" "add --future"
[ "$(records "$N")" = "$before" ] && ok "nothing of them is imported" || bad "nothing of them is imported"
check "with --future it is imported" "$KT" -d "$N" import "$T/soon.json" --future
"$KT" -d "$N" export >"$T/ex.json"
contains "a JSON date typed DD.MM.YYYY is kept as ISO" "$T/ex.json" '"date":"2026-11-27"'

# Edges every date list shares: 29 February, the year's end.
L="$T/leap"
"$KT" -d "$L" init --branch Leap --country RU >/dev/null
"$KT" -d "$L" client add --name 'Leap Day' --birthday 29.02.2000 >/dev/null
"$KT" -d "$L" client add --name 'New Year' --birthday 02.01.1990 >/dev/null
KT_TODAY=2027-02-28 "$KT" -d "$L" birthdays --days 0 >"$T/b"
contains "29 February is listed on 28 February of a year without it" "$T/b" "Leap Day"
KT_TODAY=2027-02-28 "$KT" -d "$L" report --json >"$T/r"
contains "and the report's week says the same" "$T/r" '"name":"Leap Day","on":"2027-02-28"'
KT_TODAY=2027-02-22 "$KT" -d "$L" report --json >"$T/r"
contains "a week ahead of it too" "$T/r" '"name":"Leap Day","on":"2027-02-28"'
KT_TODAY=2027-03-01 "$KT" -d "$L" birthdays --days 0 >"$T/b"
lacks "not on 1 March" "$T/b" "Leap Day"
KT_TODAY=2027-02-27 "$KT" -d "$L" birthdays --days 1 >"$T/b"
[ "$(grep -c 'Leap Day' "$T/b")" = 1 ] && ok "listed once over 27-28 February" || bad "listed once over 27-28 February"
KT_TODAY=2028-02-28 "$KT" -d "$L" birthdays --days 0 >"$T/b"
lacks "in a leap year not on the 28th" "$T/b" "Leap Day"
KT_TODAY=2028-02-29 "$KT" -d "$L" birthdays --days 0 >"$T/b"
contains "but on the 29th" "$T/b" "birthday 2028-02-29, turns 28"
KT_TODAY=2026-12-28 "$KT" -d "$L" birthdays --days 7 >"$T/b"
contains "birthdays --days 7 on 28 December reach 2 January" "$T/b" "birthday 2027-01-02, turns 37"
KT_TODAY=2026-12-28 "$KT" -d "$L" report --json >"$T/r"
contains "and so does the report's week" "$T/r" '"name":"New Year","on":"2027-01-02"'
KT_TODAY=2026-12-26 "$KT" -d "$L" report --json >"$T/r"
lacks "the week is today and six days after" "$T/r" '"name":"New Year"'

# Every date list is soonest first (namesakes of a day by name, then id),
# not in the order the cards were added.
O="$T/order"
"$KT" -d "$O" init --branch Order --country RU >/dev/null
for b in 'Five:05.06.1990' 'Two:02.06.1991' 'Seven:07.06.1992' 'One:01.06.1993' 'Three:03.06.1994' \
	'Zoya Three:03.06.1995' 'anna Three:03.06.1996'; do
	"$KT" -d "$O" client add --name "${b%%:*}" --birthday "${b#*:}" >/dev/null
done
KT_TODAY=2026-06-01 "$KT" -d "$O" report >"$T/r"
sed -n '/^Birthdays this week/,/^$/p' "$T/r" | sed -n 's/^  \(2026-[0-9-]*\)  \(.*\) (Order)$/\1 \2/p' | tr '\n' '|' >"$T/ro"
[ "$(cat "$T/ro")" = "2026-06-01 One|2026-06-02 Two|2026-06-03 anna Three|2026-06-03 Three|2026-06-03 Zoya Three|2026-06-05 Five|2026-06-07 Seven|" ] &&
	ok "the report's birthdays are soonest first, a day's by name" || bad "the report's birthdays are soonest first, a day's by name ($(cat "$T/ro"))"
KT_TODAY=2026-06-01 "$KT" -d "$O" report --json | tr '{' '\n' | sed -n 's/.*"name":"\([^"]*\)","on":"\([^"]*\)".*/\2 \1/p' | tr '\n' '|' >"$T/ro"
[ "$(cat "$T/ro")" = "2026-06-01 One|2026-06-02 Two|2026-06-03 anna Three|2026-06-03 Three|2026-06-03 Zoya Three|2026-06-05 Five|2026-06-07 Seven|" ] &&
	ok "and so in --json" || bad "and so in --json ($(cat "$T/ro"))"
KT_TODAY=2026-06-01 "$KT" -d "$O" birthdays --json | tr '{' '\n' | sed -n 's/.*"name":"\([^"]*\)".*"on":"\([^"]*\)".*/\2 \1/p' | tr '\n' '|' >"$T/ro"
[ "$(cat "$T/ro")" = "2026-06-01 One|2026-06-02 Two|2026-06-03 anna Three|2026-06-03 Three|2026-06-03 Zoya Three|2026-06-05 Five|2026-06-07 Seven|" ] &&
	ok "birthdays lists a day's namesakes by name too" || bad "birthdays lists a day's namesakes by name too ($(cat "$T/ro"))"
E="$T/yearend"
"$KT" -d "$E" init --branch End --country RU >/dev/null
for b in 'Second:02.01.1990' 'Last:31.12.1991' 'Third:03.01.1992'; do
	"$KT" -d "$E" client add --name "${b%%:*}" --birthday "${b#*:}" >/dev/null
done
KT_TODAY=2026-12-28 "$KT" -d "$E" report --json | tr '{' '\n' | sed -n 's/.*"on":"\([^"]*\)".*/\1/p' | tr '\n' ' ' >"$T/ro"
[ "$(cat "$T/ro")" = "2026-12-31 2027-01-02 2027-01-03 " ] && ok "over the year's end the report's week is in calendar order" ||
	bad "over the year's end the report's week is in calendar order ($(cat "$T/ro"))"
# The report's months: by branch, then month, whatever the order of the visits.
oc=$("$KT" -d "$O" client add --name 'Month Order')
for d in 2026-05-10 2026-03-10 2026-04-10; do
	KT_TODAY=2026-06-01 "$KT" -d "$O" visit add "$oc" --service Manicure --date $d --set branch=B >/dev/null
done
KT_TODAY=2026-06-01 "$KT" -d "$O" visit add "$oc" --service Manicure --date 2026-01-10 --set 'branch=B B' >/dev/null
KT_TODAY=2026-06-01 "$KT" -d "$O" report --json | tr '{' '\n' | sed -n 's/.*"branch":"\([^"]*\)".*"month":"\([^"]*\)".*/\1:\2/p' | tr '\n' '|' >"$T/ro"
[ "$(cat "$T/ro")" = "B:2026-03|B:2026-04|B:2026-05|B B:2026-01|" ] && ok "the report's months are by branch, then month" ||
	bad "the report's months are by branch, then month ($(cat "$T/ro"))"
# client show: care plans by their start, not as written.
KT_TODAY=2026-06-01 "$KT" -d "$O" record add plan "$oc" --set goal=Later --set start=2026-09-01 >/dev/null
KT_TODAY=2026-06-01 "$KT" -d "$O" record add plan "$oc" --set goal=Sooner --set start=2026-07-01 >/dev/null
KT_TODAY=2026-06-01 "$KT" -d "$O" client show "$oc" | sed -n 's/^  goal: \([A-Za-z]*\);.*/\1/p' | tr '\n' ' ' >"$T/ro"
[ "$(cat "$T/ro")" = "Sooner Later " ] && ok "client show lists care plans by their start" ||
	bad "client show lists care plans by their start ($(cat "$T/ro"))"

finish
