#!/bin/sh
# Values a receptionist types that the old code took silently (issue 13,
# part 4): a phone or email already on another card is said (or refused
# with --no-duplicates); a points entry that takes the balance below zero
# is refused unless overridden.
. tests/scenario/lib.sh
export KT_TODAY=2026-11-22
N="$T/n"
"$KT" -d "$N" init --branch Centre --country RU >/dev/null
anna=$("$KT" -d "$N" client add --name 'Анна Иванова' --phone '+7 912 345-67-89' --email Anna@Mail.RU)

# ---- a phone or email on another card ----
"$KT" -d "$N" client add --name 'Анна И.' --phone '8 (912) 345 67 89' >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && ok "client add with another card's phone still cards her" || bad "client add with another card's phone still cards her (exit $rc)"
dup=$(cat "$T/out")
echo "$dup" | grep -Eq '^[0-9A-Z]{26}$' && ok "and prints only the new id" || bad "and prints only the new id ($dup)"
[ "$(wc -l <"$T/err")" -eq 1 ] && ok "with one note line" || bad "with one note line"
contains "the note names the other card's id and name" "$T/err" "kt-node: note: phone 8 (912) 345 67 89 is also on $anna Анна Иванова (client merge can join them)"
"$KT" -d "$N" client add --name 'Вера' --email 'anna@mail.ru' >/dev/null 2>"$T/err"
contains "an email folded alike is a duplicate" "$T/err" "email anna@mail.ru is also on $anna"
before=$("$KT" -d "$N" digest)
refuse "client add --no-duplicates refuses a phone on another card" "$KT" -d "$N" client add --name 'Анна' --phone '+79123456789' --no-duplicates
contains "naming the card" "$T/err" "is also on $anna"
refuse "client add --no-duplicates refuses an email on another card" "$KT" -d "$N" client add --name 'Анна' --email 'ANNA@mail.ru' --no-duplicates
[ "$before" = "$("$KT" -d "$N" digest)" ] && ok "--no-duplicates wrote nothing" || bad "--no-duplicates wrote nothing"
"$KT" -d "$N" client add --name 'Олег' --phone '+7 912 345-67-8' >/dev/null 2>"$T/err"
lacks "a phone that is another's minus a digit is no duplicate" "$T/err" "also on"
"$KT" -d "$N" client add --name 'Олег' --phone '345-67-89' >/dev/null 2>"$T/err"
lacks "the same last digits are no duplicate" "$T/err" "also on"
"$KT" -d "$N" client add --name 'Олег' --email 'nna@mail.ru' >/dev/null 2>"$T/err"
lacks "an email that ends like another is no duplicate" "$T/err" "also on"
"$KT" -d "$N" client add --name 'Нечитаемый' --phone '12345' >/dev/null
"$KT" -d "$N" client add --name 'Нечитаемый 2' --phone '12345' >/dev/null 2>"$T/err"
lacks "a phone that does not parse is never a duplicate" "$T/err" "also on"
check "--no-duplicates cards a client whose phone is on no card" "$KT" -d "$N" client add --name 'Ирина' --phone '+7 912 000-00-01' --no-duplicates
ira=$("$KT" -d "$N" client find 'Ирина' --json | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
"$KT" -d "$N" client edit "$ira" --set phone='8 912 345 67 89' 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && ok "client edit to another card's phone goes through" || bad "client edit to another card's phone goes through (exit $rc)"
contains "with a note naming the card" "$T/err" "kt-node: note: phone 8 912 345 67 89 is also on $anna"
before=$("$KT" -d "$N" digest)
refuse "client edit --no-duplicates refuses another card's email" "$KT" -d "$N" client edit "$ira" --set email=anna@mail.ru --no-duplicates
[ "$before" = "$("$KT" -d "$N" digest)" ] && ok "and writes nothing" || bad "and writes nothing"
"$KT" -d "$N" client edit "$anna" --set phone='+7 912 345-67-89' --set notes=x 2>"$T/err" --no-duplicates
rc=$?
[ $rc -ne 0 ] && ok "client edit --no-duplicates: the phone is on Ирина now" || bad "client edit --no-duplicates: the phone is on Ирина now"
"$KT" -d "$N" client edit "$ira" --set phone='8 912 000 00 01' --no-duplicates 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && ok "a card's own phone is no duplicate of itself" || bad "a card's own phone is no duplicate of itself"
"$KT" -d "$N" client merge "$anna" "$dup" >/dev/null 2>&1
"$KT" -d "$N" client add --name 'Анна' --phone '+7 912 345 67 89' >/dev/null 2>"$T/err"
contains "a card merged into another counts as that card" "$T/err" "is also on $anna"
[ "$(wc -l <"$T/err")" -eq 1 ] && ok "once" || bad "once"
# ---- points below zero ----
P="$T/p"
"$KT" -d "$P" init --branch Centre --country RU >/dev/null
c=$("$KT" -d "$P" client add --name 'Мария')
o=$("$KT" -d "$P" client add --name 'Мария (старая карта)')
check "a points entry that keeps the balance at zero or above is taken" "$KT" -d "$P" record add points "$c" --set delta=300 --set reason=visit
before=$("$KT" -d "$P" digest)
refuse "a points entry that takes the balance below zero is refused" "$KT" -d "$P" record add points "$c" --set delta=-500
contains "saying the balance and what the entry would make it" "$T/err" "the balance is 300 and this entry would make it -200"
contains "and how to go on" "$T/err" "add --override REASON"
refuse "an override needs a reason" "$KT" -d "$P" record add points "$c" --set delta=-500 --override ' '
refuse "an override is not set by hand" "$KT" -d "$P" record add points "$c" --set delta=-500 --set override_reason=x
[ "$before" = "$("$KT" -d "$P" digest)" ] && ok "a refused points entry writes nothing" || bad "a refused points entry writes nothing"
e=$("$KT" -d "$P" record add points "$c" --set delta=-500 --override 'подарок к юбилею' --by Ольга 2>"$T/err")
[ -n "$e" ] && ok "--override REASON records it" || bad "--override REASON records it"
contains "with a warning line" "$T/err" "^warning: the balance is 300 and this entry would make it -200; recorded with override by Ольга"
"$KT" -d "$P" record show "$e" >"$T/out"
contains "the override's reason is on the entry" "$T/out" "override_reason  подарок к юбилею"
contains "and who gave it" "$T/out" "override_by      Ольга"
contains "the entry carries today's date" "$T/out" "date             2026-11-22"
check "a positive entry on a negative balance is taken" "$KT" -d "$P" record add points "$c" --set delta=50
d=$("$KT" -d "$P" record add points "$o" --set delta=400 --set date=20.11.2026)
"$KT" -d "$P" record show "$d" >"$T/out"
contains "an entry's date in the branch's form" "$T/out" "date             2026-11-20"
refuse "an entry dated after today is refused" "$KT" -d "$P" record add points "$c" --set delta=1 --set date=2026-12-01
"$KT" -d "$P" client merge "$c" "$o" >/dev/null 2>&1
"$KT" -d "$P" client show "$c" >"$T/out"
contains "show's balance counts the merge group" "$T/out" "Points balance: 250 (4 entries)"
check "the check counts the merge group too" "$KT" -d "$P" record add points "$c" --set delta=-250
refuse "and refuses past it, on either card of the group" "$KT" -d "$P" record add points "$o" --set delta=-1
contains "with the group's balance" "$T/err" "the balance is 0 and this entry would make it -1"
# ---- imports: duplicates and points ----
printf 'name,phone,email\nАнна Копия,8 912 345 67 89,\nОля,+7 912 111 22 33,olga@x.ru\nОля 2,,OLGA@x.ru\nНечит,12345,\nНечит 2,12345,\n' >"$T/dups.csv"
I="$T/i"
"$KT" -d "$I" init --branch Centre --country RU >/dev/null
ia=$("$KT" -d "$I" client add --name 'Анна Иванова' --phone '+7 912 345-67-89')
"$KT" -d "$I" import "$T/dups.csv" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && ok "an import with duplicate phones still imports" || bad "an import with duplicate phones still imports"
contains "a row whose phone is on a card of the store is noted" "$T/err" "^warning: line 2: phone 8 912 345 67 89 is also on $ia Анна Иванова"
contains "a row whose email is on another row is noted" "$T/err" "^warning: line 4: email OLGA@x.ru is also on line 3 of this file"
lacks "an unreadable phone on two rows is no duplicate" "$T/err" "line 6"
"$KT" -d "$T/i2" init --branch Centre --country RU >/dev/null
"$KT" -d "$T/i2" client add --name 'Анна Иванова' --phone '+7 912 345-67-89' >/dev/null
if "$KT" -d "$T/i2" import "$T/dups.csv" --no-duplicates 2>"$T/err"; then bad "import --no-duplicates makes those bad rows"; else ok "import --no-duplicates makes those bad rows"; fi
contains "naming the line" "$T/err" "^line 2: phone 8 912 345 67 89 is also on"
contains "and the row of the file" "$T/err" "^line 4: email OLGA@x.ru is also on line 3 of this file"
"$KT" -d "$P" export >"$T/p.json"
python3 - "$T/p.json" "$c" >"$T/p2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["records"].append({"id": "01M8Y976SP373P2FD1Q0Q4C745", "type": "points", "client": sys.argv[2],
                     "fields": {"delta": -300, "date": "2026-11-22"}})
d["records"].append({"id": "01M8Y976SZ6D7GYAJ1D7HPHYR3", "type": "points", "client": sys.argv[2],
                     "fields": {"delta": -300, "date": "2026-10-01"}})
json.dump(d, sys.stdout, ensure_ascii=False)
PY
"$KT" -d "$T/r" init --branch North --country RU >/dev/null
if "$KT" -d "$T/r" import "$T/p2.json" 2>"$T/err"; then bad "an imported points entry of today below zero is a bad row"; else ok "an imported points entry of today below zero is a bad row"; fi
contains "saying the balance" "$T/err" "points entry refused: the balance is 0 and this entry would make it -300"
"$KT" -d "$T/r" import "$T/p2.json" --override 'restore' 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && ok "import --override takes it" || bad "import --override takes it"
"$KT" -d "$T/r" record show 01M8Y976SP373P2FD1Q0Q4C745 >"$T/out"
contains "recording the override on the entry" "$T/out" "override_reason  restore"
contains "an older entry below zero is history, with a warning" "$T/err" "warning: record [0-9]*: the points entry of 2026-10-01 would be refused today"
"$KT" -d "$T/r2" init --branch North --country RU >/dev/null
check "import --as-recorded brings every entry back" "$KT" -d "$T/r2" import "$T/p2.json" --as-recorded
finish
