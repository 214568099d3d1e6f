#!/bin/sh
# What show prints is what a person reads: record show gives numbers,
# money, yes/no, lists and dates as such (--json keeps its shape); client
# show's tables line up by display columns with Cyrillic and Chinese text,
# cut what is too wide, and show control characters instead of obeying
# them; feedback shows its resolution and follow-up, visits their products,
# result and rating.
. tests/scenario/lib.sh
export KT_TODAY=2026-11-22
N="$T/n"
"$KT" -d "$N" init --branch Centre >/dev/null
a=$("$KT" -d "$N" client add --name 'Анна Иванова' --add allergies='latex, nuts' --set consent_photos=yes)

# record show: every value as a person reads it
r=$("$KT" -d "$N" record add assessment "$a" --set hydration=5 --set acne=0 --set date=2026-11-20 --add photos=a.jpg --add photos=b.jpg)
"$KT" -d "$N" record show "$r" >"$T/rs"
lacks "record show prints no (null)" "$T/rs" '(null)'
grep -Eq '^  hydration +5$' "$T/rs" && grep -Eq '^  acne +0$' "$T/rs" && ok "record show prints scores as numbers" || { bad "record show prints scores as numbers"; cat "$T/rs"; }
grep -Eq '^  photos +a\.jpg, b\.jpg$' "$T/rs" && ok "record show prints a list as a comma list" || { bad "record show prints a list as a comma list"; cat "$T/rs"; }
grep -Eq '^  date +2026-11-20$' "$T/rs" && ok "record show prints the date" || bad "record show prints the date"
v=$("$KT" -d "$N" visit add "$a" --service 'Hydrating facial' --amount 1500.50 --set rating=4)
"$KT" -d "$N" record show "$v" >"$T/rv"
grep -Eq '^  amount +1500\.50$' "$T/rv" && grep -Eq '^  rating +4$' "$T/rv" && ok "record show prints money as money and the rating as a number" || { bad "record show prints money as money and the rating as a number"; cat "$T/rv"; }
"$KT" -d "$N" record add points "$a" --set delta=50 --set reason=earned >/dev/null
p=$("$KT" -d "$N" record add points "$a" --set delta=-20 --set reason=redeemed)
"$KT" -d "$N" record show "$p" >"$T/rp"
grep -Eq '^  delta +-20$' "$T/rp" && ok "record show prints a points delta" || { bad "record show prints a points delta"; cat "$T/rp"; }
# A delta is bounded as typed, as an amount is, and never 0.
q=$("$KT" -d "$N" client add --name 'Points Bounds')
refuse "a delta of 9223372036854775807 is refused" "$KT" -d "$N" record add points "$q" --set delta=9223372036854775807
contains "naming the bounds" "$T/err" "'delta' wants a whole number from -1000000000 to 1000000000, not '9223372036854775807'"
refuse "so is -9223372036854775808, --override or not" "$KT" -d "$N" record add points "$q" \
	--set delta=-9223372036854775808 --override x
refuse "and 1000000001" "$KT" -d "$N" record add points "$q" --set delta=1000000001
refuse "a delta of 0 is refused" "$KT" -d "$N" record add points "$q" --set delta=0
contains "as changing nothing" "$T/err" "a points entry of 0 changes nothing"
check "1000000000 is written" "$KT" -d "$N" record add points "$q" --set delta=1000000000
check "and again" "$KT" -d "$N" record add points "$q" --set delta=1000000000
"$KT" -d "$N" client show "$q" >"$T/qs"
"$KT" -d "$N" client show "$q" --json >"$T/qj"
contains "the balance is their sum" "$T/qs" "Points balance: 2000000000 (2 entries)"
contains "in JSON too" "$T/qj" '"points_balance":2000000000'
"$KT" -d "$N" record add points "$q" --set delta=-1000000000 --override 'test' >/dev/null 2>"$T/qw"
"$KT" -d "$N" client show "$q" >"$T/qs"
contains "an entry that takes less than the balance goes through" "$T/qs" "Points balance: 1000000000 (3 entries)"
"$KT" -d "$N" record show "$a" >"$T/rc"
"$KT" -d "$N" record show "$a" --json >"$T/rcj"
grep -Eq '^  consent_photos +yes$' "$T/rc" && ok "record show prints a boolean as yes" || { bad "record show prints a boolean as yes"; cat "$T/rc"; }
grep -Eq '^  allergies +latex, nuts$' "$T/rc" && ok "record show prints allergies as a comma list" || bad "record show prints allergies as a comma list"
contains "record show --json keeps booleans" "$T/rcj" '"consent_photos":true'
"$KT" -d "$N" record show "$v" --json >"$T/rvj"
contains "record show --json keeps numbers as numbers" "$T/rvj" '"rating":4'
contains "record show --json keeps money as a string" "$T/rvj" '"amount":"1500.50"'
"$KT" -d "$N" record show "$r" --json >"$T/rsj"
contains "record show --json keeps lists as arrays" "$T/rsj" '"photos":\["a.jpg","b.jpg"\]'
contains "record show --json keeps its shape" "$T/rsj" '^{"client":"[0-9A-Z]*","fields":{.*},"id":"[0-9A-Z]*","type":"assessment"}$'

# client show: the visit table lines up by display columns
b=$("$KT" -d "$N" client add --name '王小明')
"$KT" -d "$N" visit add "$b" --service 'Hydrating facial' --amount 1500.50 --set specialist=Olga --date 2026-11-01 >/dev/null
"$KT" -d "$N" visit add "$b" --service 'Чистка лица' --amount 2000 --set branch='Север' --set specialist=Olga --date 2026-11-02 >/dev/null
"$KT" -d "$N" visit add "$b" --service '面部护理' --amount 300 --set branch='北京店' --set specialist=Olga --date 2026-11-03 >/dev/null
"$KT" -d "$N" visit add "$b" --service 'Чистка лица ультразвуковая с маской и массажем' --amount 10 --set specialist=Olga --date 2026-11-04 >/dev/null
"$KT" -d "$N" client show "$b" >"$T/cs"
cols=$(python3 - "$T/cs" <<'PY'
import sys, unicodedata
def width(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in s)
rows = [l.rstrip('\n') for l in open(sys.argv[1], encoding='utf-8') if l.startswith('  2026-11-0')]
# the display column where the amount, the currency and the specialist start
print(' '.join(str(width(l[:l.index(w)])) for l in rows for w in (' RUB', 'Olga')), len(rows))
PY
)
set -- $cols
[ "$9" = 4 ] && [ "$1" = "$3" ] && [ "$1" = "$5" ] && [ "$1" = "$7" ] && [ "$2" = "$4" ] && [ "$2" = "$6" ] && [ "$2" = "$8" ] && ok "the visit table keeps its columns with Cyrillic and Chinese branches and services" || { bad "the visit table keeps its columns with Cyrillic and Chinese branches and services ($cols)"; grep '2026-11-0' "$T/cs"; }
grep -q 'Чистка лица ультразвуковая с …' "$T/cs" && ok "an over-long service is cut with an ellipsis" || { bad "an over-long service is cut with an ellipsis"; grep 'Чистка' "$T/cs"; }

# client show: visits with products, result and rating; feedback resolved
"$KT" -d "$N" visit add "$a" --service 'Peel' --amount 900 --set products_used='cream A' --set products_sold='serum B' --set result='calmer skin' --set rating=5 >/dev/null
f=$("$KT" -d "$N" record add feedback "$a" --set kind=complaint --set text='too hot' --set status=resolved --set resolution='refund given' --set follow_up=2026-12-01)
"$KT" -d "$N" client show "$a" >"$T/ca"
contains "a visit shows the products used and sold" "$T/ca" 'used: cream A; sold: serum B'
contains "a visit shows its result and rating" "$T/ca" 'result: calmer skin; rating 5/5'
contains "feedback shows its resolution and follow-up day" "$T/ca" 'too hot; resolution: refund given; follow up on 2026-12-01'

# control characters a value holds are shown, not obeyed
c=$("$KT" -d "$N" client add --name 'Вера' --set "notes=first line
second	line")
"$KT" -d "$N" visit add "$c" --service Massage --amount 1 --set "result=good
then red" >/dev/null
"$KT" -d "$N" client show "$c" >"$T/cc"
contains "a note's line break shows as a symbol on the card" "$T/cc" 'first line⏎second␉line'
contains "a result's line break stays in its line" "$T/cc" 'result: good⏎then red'
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); sys.exit(any(b < 32 and b != 10 for b in d))" "$T/cc" && ok "client show prints no control characters but its own line ends" || bad "client show prints no control characters but its own line ends"
refuse "an escape character cannot be stored (so none comes from this node)" "$KT" -d "$N" client edit "$c" --set "notes=$(printf 'a\033[2Jb')"

# the other tables: client list, report and duplicates keep their columns
"$KT" -d "$N" client add --name 'Александра Константиновна Преображенская-Щербатова' --phone '+7 912 111 22 33' --set home_branch='Север' >/dev/null
"$KT" -d "$N" client add --name '欧阳娜娜' --phone '+7 912 111 22 34' --set home_branch='北京店' >/dev/null
"$KT" -d "$N" client add --name 'Stefan Ionescu' --phone '+7 912 111 22 35' >/dev/null
"$KT" -d "$N" client list >"$T/cl"
"$KT" -d "$N" report >"$T/rep"
cat >"$T/cols.py" <<'PY'
import sys, unicodedata
def width(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in s)
f, mark = sys.argv[1], sys.argv[2]
rows = [l.rstrip('\n') for l in open(f, encoding='utf-8') if mark in l]
cols = {width(l[:l.index(mark)]) for l in rows}
print(len(rows), len(cols))
PY
[ "$(python3 "$T/cols.py" "$T/cl" '+7 912 111 22 3')" = "3 1" ] && ok "client list keeps the phone column with long Cyrillic and Chinese names" || { bad "client list keeps the phone column with long Cyrillic and Chinese names"; cat "$T/cl"; }
contains "client list cuts an over-long name with an ellipsis" "$T/cl" 'Александра Константиновна П… '
python3 - "$T/rep" <<'PY' && ok "report keeps its count column with Cyrillic and Chinese branches" || { bad "report keeps its count column with Cyrillic and Chinese branches"; cat "$T/rep"; }
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in s)
lines = open(sys.argv[1], encoding='utf-8').read().split('\n')
block = lines[1:lines.index('')]
starts = {width(l.rstrip('0123456789')) for l in block}
sys.exit(0 if len(block) == 3 and len(starts) == 1 else 1)
PY

finish
