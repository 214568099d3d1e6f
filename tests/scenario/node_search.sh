#!/bin/sh
# Search finds her however she was typed (issue 13, part 1): apostrophes of
# every kind, dotless i, letters of two keyboards in one word, characters
# that show as nothing, phones with no-break spaces or full-width digits, a
# phone typed in Romania found in Russia, the last four digits, and a find
# that says how many more it did not show.
. tests/scenario/lib.sh
export KT_TODAY=2026-11-22
N="$T/n"
"$KT" -d "$N" init --branch Centre --country MD >/dev/null
add() { "$KT" -d "$N" client add "$@"; }
# find QUERY ID: the query finds the card
find() { "$KT" -d "$N" client find "$1" --json >"$T/find" 2>&1; grep -q "$2" "$T/find"; }

# --- apostrophes: U+02BC, U+2019, ASCII, and none at all ---
oks=$(add --name "$(printf 'Оксана П\312\274ятаченко')")
sio=$(add --name "Siobhan O'Brien")
dar=$(add --name "$(printf 'D\342\200\231Arcy Smith')")
acu=$(add --name "$(printf 'Marie O\302\264Neill')")
check "П'ятаченко (ASCII) finds Пʼятаченко (U+02BC)" find "П'ятаченко" "$oks"
check "П’ятаченко (U+2019) finds Пʼятаченко" find "$(printf 'П\342\200\231ятаченко')" "$oks"
check "пятаченко (no apostrophe) finds Пʼятаченко" find 'пятаченко' "$oks"
check "ятаченко (the part after it) finds Пʼятаченко" find 'ятаченко' "$oks"
check "obrien finds O'Brien" find obrien "$sio"
check "brien finds O'Brien" find brien "$sio"
check "O’Brien (U+2019) finds O'Brien" find "$(printf 'O\342\200\231Brien')" "$sio"
check "'siobhan obrien' finds O'Brien" find 'siobhan obrien' "$sio"
check "darcy finds D’Arcy" find darcy "$dar"
check "D'Arcy finds D’Arcy" find "D'Arcy" "$dar"
check "oneill finds O´Neill (an acute accent for an apostrophe)" find oneill "$acu"
"$KT" -d "$N" client find 'пятаченко' --json >"$T/find"
contains "--json writes Cyrillic as UTF-8" "$T/find" 'Оксана'
lacks "not as \\u escapes" "$T/find" '\\u04'
"$KT" -d "$N" client show "$oks" --json >"$T/show"
lacks "client show --json has no \\u escapes either" "$T/show" '\\u04'
"$KT" -d "$N" export --json >"$T/export"
lacks "nor export" "$T/export" '\\u04'

# --- dotless i and the Turkish, Polish, Norwegian letters ---
isil=$(add --name 'Işıl Kırmızı')
inci=$(add --name 'İnci Yılmaz')
lech=$(add --name 'Łucja Wałęsa')
bjor=$(add --name 'Bjørn Sørensen')
check "IŞIL finds Işıl" find 'IŞIL' "$isil"
check "ışıl finds Işıl" find 'ışıl' "$isil"
check "isil finds Işıl" find isil "$isil"
check "kirmizi finds Kırmızı" find kirmizi "$isil"
check "inci finds İnci" find inci "$inci"
check "İNCİ finds İnci" find 'İNCİ' "$inci"
check "yilmaz finds Yılmaz" find yilmaz "$inci"
check "lucja walesa finds Łucja Wałęsa" find 'lucja walesa' "$lech"
check "bjorn finds Bjørn" find bjorn "$bjor"

# --- two keyboards in one word, characters that show as nothing ---
lat=$(add --name 'Aнна Сeменова')   # Latin A and e among Cyrillic letters
cyr=$(add --name 'Ivаnova Maria')   # a Cyrillic а among Latin letters
zw=$(add --name "$(printf 'Ди\342\200\213ана Ку\302\255зина')") # zero-width space, soft hyphen
check "анна finds Aнна typed with a Latin A" find 'анна' "$lat"
check "семенова finds Сeменова with a Latin e" find 'семенова' "$lat"
check "ivanova finds Ivаnova with a Cyrillic а" find ivanova "$cyr"
check "диана finds Ди<ZWSP>ана" find 'диана' "$zw"
check "кузина finds Ку<soft hyphen>зина" find 'кузина' "$zw"
check "a query with a zero-width space finds her" find "$(printf 'ди\342\200\213ана')" "$zw"

# --- phones typed or pasted with other blanks and dashes ---
"$KT" -d "$N" config set country RU >/dev/null
nb=$(add --name 'Нина Пробелова' --phone "$(printf '+7\302\240912\302\240345\302\24067\302\24089')")
th=$(add --name 'Тина Тонкая' --phone "$(printf '8\342\200\211916\342\200\211111\342\200\2112233')")
hy=$(add --name 'Яна Дефисова' --phone "$(printf '+7 903 555\342\200\22111\342\200\22122')")
check "a phone typed with no-break spaces is found plainly" find '+7 912 345 67 89' "$nb"
check "and by 8 912 ..." find '8 912 345-67-89' "$nb"
check "a query pasted with no-break spaces finds it" find "$(printf '+7\302\240912\302\240345\302\24067\302\24089')" "$nb"
check "a phone typed with thin spaces is found" find '+7 916 111 22 33' "$th"
check "a phone typed with non-breaking hyphens is found" find '89035551122' "$hy"
check "a query with non-breaking hyphens finds it" find "$(printf '903\342\200\221555\342\200\2211122')" "$hy"
"$KT" -d "$N" client show "$nb" --json >"$T/show"
contains "the normalised copy is kept on the card" "$T/show" '"phone_e164":"+79123456789"'

# --- the last four digits, and a phone's national start ---
check "4 last digits find the phone (6789)" find 6789 "$nb"
check "the last digits with a blank (67 89)" find '67 89' "$nb"
check "the last five (22 33)" find '12233' "$th"
check "a national start (8 912 34) finds it" find '8 912 34' "$nb"
check "a tel: link pasted from a messenger finds it" find 'tel:+79123456789' "$nb"
em=$(add --name 'Почта Пастова' --email 'Anna.K@Example.ru')
check "an email pasted as mailto: finds her" find 'mailto:anna.k@example.ru' "$em"
check "an email with a full-width ＠ finds her" find 'anna.k＠example.ru' "$em"
check "an email pasted with blanks around finds her" find '  ANNA.K@example.ru  ' "$em"
"$KT" -d "$N" client find 789 --json >"$T/find"
lacks "3 digits are no suffix query" "$T/find" "$nb"

# --- phones that are no phones ---
refuse "--phone abc is refused" add --name X --phone abc
refuse "--phone 123 is refused (too few digits)" add --name X --phone 123
refuse "--phone 'call me maybe' is refused" add --name X --phone 'call me maybe'
refuse "--phone 7,91235E+10 (Excel's rounding) is refused" add --name X --phone '7,91235E+10'
refuse "--phone 7.9E10 is refused" add --name X --phone '7.9E10'
refuse "--set phone=12 at an edit is refused" "$KT" -d "$N" client edit "$nb" --set phone=12
refuse "phone_e164 cannot be set by hand" "$KT" -d "$N" client edit "$nb" --set phone_e164=+79990000000
"$KT" -d "$N" client find 'X' --json >"$T/find"
grep -q '"found":0' "$T/find" && ok "none of those wrote a card" || bad "none of those wrote a card"
check "a five-digit town number is a phone" add --name 'Городская' --phone '22-33-4'

# --- full-width digits at a Chinese branch ---
C="$T/c"
"$KT" -d "$C" init --branch Shanghai --country CN >/dev/null
wx=$("$KT" -d "$C" client add --name '王小明' --phone '１３８１２３４５６７８')
li=$("$KT" -d "$C" client add --name '李华' --phone '138 1234 5679')
cfind() { "$KT" -d "$C" client find "$1" --json >"$T/find"; grep -q "$2" "$T/find"; }
check "CN: full-width digits found by 13812345678" cfind 13812345678 "$wx"
check "CN: and by +86 138 1234 5678" cfind '+86 138 1234 5678' "$wx"
check "CN: a full-width query finds an ASCII phone" cfind '１３８ １２３４ ５６７９' "$li"
check "CN: the national start 138 finds both" sh -c "\"$KT\" -d \"$C\" client find 138 --json | grep -q $wx && \"$KT\" -d \"$C\" client find 138 --json | grep -q $li"
check "CN: the last four, full-width (５６７８)" cfind '５６７８' "$wx"
zw=$("$KT" -d "$C" client add --name '張偉')
cm=$("$KT" -d "$C" client add --name '陈美丽')
check "CN: 张伟 (Simplified) finds 張偉 (Traditional)" cfind '张伟' "$zw"
check "CN: 伟 finds 張偉" cfind '伟' "$zw"
check "CN: 陳美麗 (Traditional) finds 陈美丽" cfind '陳美麗' "$cm"
check "CN: 麗 finds 陈美丽" cfind '麗' "$cm"

# --- find says how many more, takes --limit, shows birthdays ---
L="$T/l"
"$KT" -d "$L" init --branch Many >/dev/null
python3 - "$T/many.csv" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("name,birthday\n")
    for i in range(60):
        f.write("Анна Иванова,19%02d-0%d-1%d\n" % (50 + i % 40, 1 + i % 9, i % 10))
EOF
"$KT" -d "$L" import "$T/many.csv" >/dev/null 2>&1
"$KT" -d "$L" client find 'анна иванова' >"$T/out"
n=$(grep -c 'Анна Иванова' "$T/out")
[ "$n" -eq 50 ] && ok "find shows 50 by default" || bad "find shows 50 by default ($n)"
contains "and says how many more" "$T/out" '10 more of 60'
lacks "and offers no narrowing that does not work" "$T/out" 'birthday year'
contains "each row shows her birthday" "$T/out" '19[0-9][0-9]-0[1-9]-1[0-9]'
"$KT" -d "$L" client find 'анна иванова' --limit 5 >"$T/out"
n=$(grep -c 'Анна Иванова' "$T/out")
[ "$n" -eq 5 ] && ok "--limit 5 shows 5" || bad "--limit 5 shows 5 ($n)"
contains "and 55 more" "$T/out" '55 more of 60'
"$KT" -d "$L" client find 'анна иванова' --limit 100 >"$T/out"
lacks "--limit 100 shows all, no 'more' line" "$T/out" 'more of'
"$KT" -d "$L" client find 'анна иванова' --limit 7 --json >"$T/j"
python3 -c '
import json,sys
j=json.load(open(sys.argv[1]))
assert len(j["clients"])==7 and j["shown"]==7 and j["found"]==60 and j["more"]==53, j
assert all(c["birthday"] for c in j["clients"])
' "$T/j" && ok "--json says shown, found and more, with birthdays" || bad "--json says shown, found and more, with birthdays"
refuse "--limit 0 is refused" "$KT" -d "$L" client find анна --limit 0
refuse "--limit x is refused" "$KT" -d "$L" client find анна --limit x

# --- a phone typed in Romania is found in Russia ---
chain_setup RO RU
"$KT" -d "$T/RO" config set country RO >/dev/null
start_hub
ion=$("$KT" -d "$T/RO" client add --name 'Ion Popescu' --phone '0721 234 567')
sync_all RO RU
rfind() { "$KT" -d "$T/RU" client find "$1" --json >"$T/find"; grep -q "$2" "$T/find"; }
check "RU finds RO's 0721 234 567 by +40 721 234 567" rfind '+40 721 234 567' "$ion"
check "RU finds it by 40721234567" rfind '40721234567' "$ion"
check "RU finds it by its last digits" rfind '4567' "$ion"
"$KT" -d "$T/RU" client show "$ion" --json >"$T/show"
contains "the copy RO made travelled with the change" "$T/show" '"phone_e164":"+40721234567"'
# The copy is carried, not made again: RU's own reading of the number differs.
"$KT" -d "$T/RU" client edit "$ion" --set notes='seen in RU' >/dev/null
sync_all RU RO
check "after an edit at RU, RO still finds her by 0721 234 567" sh -c "\"$KT\" -d \"$T/RO\" client find '0721 234 567' --json | grep -q $ion"
stop_hub
add_branch 'Центр'
add_branch '北京'
"$H" -d "$T/HUB" status >"$T/hs" 2>&1
python3 - "$T/hs" <<'EOF2'
import sys, unicodedata
def col(line, word):
    i = line.index(word)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:i])
rows = [l for l in open(sys.argv[1], encoding="utf-8") if " node " in l]
cols = {col(l, " node ") for l in rows}
assert len(rows) >= 4 and len(cols) == 1, (rows, cols)
EOF2
[ $? -eq 0 ] && ok "kt-hub status keeps its columns with Cyrillic and Chinese branch names" || { bad "kt-hub status keeps its columns with Cyrillic and Chinese branch names"; cat "$T/hs"; }

# --- the index is made again when the country changes ---
"$KT" -d "$N" config set country RO >/dev/null
old=$("$KT" -d "$N" client find '+40 721 000 111' --json)
ro=$(add --name 'Maria Legacy' --phone '0721 000 111')
check "RO: the new card is found by +40" find '+40 721 000 111' "$ro"
"$KT" -d "$N" config set country RU >/dev/null
check "after the country changes back, the index still finds her by +40" find '+40 721 000 111' "$ro"
# --- from the review: phones with extensions, copies that are no copies ---
"$KT" -d "$N" config set country RU >/dev/null
e1=$(add --name 'Добавочная Один' --phone '+7 912 111 22 33 доб. 12')
e2=$(add --name 'Extension Two' --phone '+7 912 444 55 66 ext. 7')
"$KT" -d "$N" client show "$e1" --json >"$T/show"
contains "a phone with доб. has its E.164 copy" "$T/show" '"phone_e164":"+79121112233"'
check "found by the number with its extension as typed" find '+7 912 111 22 33 доб. 12' "$e1"
check "found by the number alone" find '8 912 111 22 33' "$e1"
check "found by the number with ext." find '+7 912 444 55 66 ext. 7' "$e2"
check "found with 'x7' for the extension" find '8 912 444 55 66 x7' "$e2"
refuse "a phone of 19 digits is refused" add --name Long --phone '+7 912 345 67 89 12 34 56 78'
printf 'name;phone_e164\nFake H;+79120001122\n' >"$T/f1.csv"
printf 'name;phone;phone_e164\nFake E;+7 912 000 99 99;+4915123456789\nReal R;0721 234 567;+40721234567\n' >"$T/f2.csv"
"$KT" -d "$N" import "$T/f1.csv" >/dev/null 2>&1
"$KT" -d "$N" import "$T/f2.csv" >/dev/null 2>&1
"$KT" -d "$N" client find '+7 912 000 11 22' --json >"$T/find"
lacks "a sheet's phone_e164 with no phone finds no one by it" "$T/find" 'Fake H'
"$KT" -d "$N" client find '+49 151 23456789' --json >"$T/find"
lacks "a sheet's phone_e164 of another number is not kept" "$T/find" 'Fake E'
"$KT" -d "$N" client find '+7 912 000 99 99' --json >"$T/find"
contains "that card is found by her own phone" "$T/find" 'Fake E'
"$KT" -d "$N" client find '+40 721 234 567' --json >"$T/find"
contains "a sheet's copy that is a reading of the phone (RO) is kept at RU" "$T/find" 'Real R'

# --- from the review: letters of other alphabets, ligatures, direction overrides, pasted emails ---
kz=$(add --name 'Қуаныш Әлиева')
ua=$(add --name 'Їжакевич Євгенія Іванівна')
by=$(add --name 'Ўладзімір Ґонта')
li=$(add --name 'Æsa Œuvre Þóra')
check "куаныш finds Қуаныш (Kazakh қ)" find 'куаныш' "$kz"
check "алиева finds Әлиева (Kazakh ә)" find 'алиева' "$kz"
check "ижакевич finds Їжакевич" find 'ижакевич' "$ua"
check "евгения finds Євгенія" find 'евгения' "$ua"
check "иванивна finds Іванівна" find 'иванивна' "$ua"
check "уладзимир finds Ўладзімір" find 'уладзимир' "$by"
check "aesa finds Æsa" find aesa "$li"
check "oeuvre finds Œuvre" find oeuvre "$li"
check "thora finds Þóra" find thora "$li"
refuse "a name with a direction override (U+202E) is refused" add --name "$(printf 'Bidi\342\200\256evil')"
refuse "and one with a direction isolate (U+2067)" add --name "$(printf 'Bidi\342\201\247evil')"
am=$(add --name 'Anna Mailbox' --email 'anna.box@mail.ru')
check "an address copied as 'Name <email>' finds her" find 'Anna Mailbox <anna.box@mail.ru>' "$am"
check "and '<email>'" find '<anna.box@mail.ru>' "$am"
refuse "an empty query is refused" "$KT" -d "$N" client find ''
refuse "a query of blanks is refused" "$KT" -d "$N" client find '   '
refuse "--limit ' 3' is refused" "$KT" -d "$N" client find анна --limit ' 3'
# --- a merged card's birthday is listed once, as the card it joined ---
M="$T/m"
"$KT" -d "$M" init --branch M >/dev/null
ka=$("$KT" -d "$M" client add --name 'Анна Одна' --birthday 1990-12-05)
kb=$("$KT" -d "$M" client add --name 'Анна Дубль' --birthday 1990-12-05)
"$KT" -d "$M" client merge "$ka" "$kb" >/dev/null
KT_TODAY=2026-12-03 "$KT" -d "$M" birthdays --days 7 >"$T/b"
n=$(grep -c 'turns 36' "$T/b")
[ "$n" -eq 1 ] && ok "birthdays lists a merged pair once" || bad "birthdays lists a merged pair once ($n)"
contains "as the card kept" "$T/b" "$ka"
# --- from the second review ---
hy=$(add --name 'Ольга Петрова-Водкина')
am=$(add --name 'Анна Мария Кузнецова')
check "петроваводкина (typed without the hyphen) finds Петрова-Водкина" find 'петроваводкина' "$hy"
check "петрова-водкина finds it" find 'петрова-водкина' "$hy"
check "водкина finds it" find 'водкина' "$hy"
check "анна-мария still finds Анна Мария" find 'анна-мария' "$am"
tp=$(add --name 'Телефон Ссылкин' --phone '+7 (912) 345-67-11 доб.12')
check "a tel: link with ;ext= finds her" find 'tel:+79123456711;ext=12' "$tp"
check "a tel: link with ;phone-context finds her" find 'tel:+7-912-345-67-11;phone-context=x' "$tp"
check "a tel: link with %2B finds her" find 'tel:%2B79123456711' "$tp"
refuse "an email pasted as mailto: is refused, naming the address" add --name E --email 'mailto:anna@example.com'
refuse "an email with a trailing dot is refused" add --name E --email 'ANNA@EXAMPLE.COM.'
refuse "an email with no name before @ is refused" add --name E --email '@example.com'
refuse "an email with .. is refused" add --name E --email 'a@b..ru'
refuse "visit add --date '' is refused" "$KT" -d "$N" visit add "$tp" --service Cut --date ''
refuse "visit add --date= is refused" "$KT" -d "$N" visit add "$tp" --service Cut --date=
refuse "visit add --set date= is refused" "$KT" -d "$N" visit add "$tp" --service Cut --set date=
refuse "record add assessment --set date= is refused" "$KT" -d "$N" record add assessment "$tp" --set date= --set hydration=3
refuse "record add points --set delta= is refused" "$KT" -d "$N" record add points "$tp" --set delta=
"$KT" -d "$N" client show "$tp" --json >"$T/show"
lacks "none of those wrote a visit" "$T/show" '"services"'
finish
