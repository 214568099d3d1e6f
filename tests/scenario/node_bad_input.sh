#!/bin/sh
# Bad input of every kind: one line on stderr, non-zero exit, nothing
# written (the digest and the change count stay the same).  Two writers at
# once both land.
. tests/scenario/lib.sh
N="$T/n"
"$KT" -d "$N" init --branch Centre >/dev/null
a=$("$KT" -d "$N" client add --name 'Анна')
before=$("$KT" -d "$N" digest)
big=$(head -c 4097 /dev/zero | tr '\0' 'x')
max=$(head -c 4096 /dev/zero | tr '\0' 'x')
bad_utf8=$(printf 'Ann\377a')
refuse "unknown field" "$KT" -d "$N" client edit "$a" --set colour=red
refuse "wrong type (rating is a number)" "$KT" -d "$N" visit add "$a" --service x --set rating=good
refuse "rating out of range" "$KT" -d "$N" visit add "$a" --service x --set rating=6
# issue 13: a name that says nothing, an amount below zero
refuse "an empty name" "$KT" -d "$N" client add --name ''
refuse "a name of spaces" "$KT" -d "$N" client add --name '   '
refuse "a name of no-break and ideographic spaces" "$KT" -d "$N" client add --name "$(printf '\302\240\343\200\200')"
refuse "clearing a card's name" "$KT" -d "$N" client edit "$a" --set name=
contains "saying what a name needs" "$T/err" "a client's name needs a letter or a digit"
refuse "a negative amount" "$KT" -d "$N" visit add "$a" --service x --amount -5
contains "saying which amounts are taken" "$T/err" "'amount' wants an amount from 0.00 to"
printf 'name,phone\n   ,+7 912 000 00 01\nВера Пробел,+7 912 000 00 02\n' >"$T/blank.csv"
"$KT" -d "$T/n2" init --branch Two >/dev/null
if "$KT" -d "$T/n2" import "$T/blank.csv" 2>"$T/err"; then bad "a CSV row whose name is blanks is a bad row"; else ok "a CSV row whose name is blanks is a bad row"; fi
contains "named by its line" "$T/err" "line 2: a client needs a name"
check "and --skip-bad keeps the rest" "$KT" -d "$T/n2" import "$T/blank.csv" --skip-bad
refuse "bad date" "$KT" -d "$N" client edit "$a" --set birthday=2026-02-30
refuse "bad date format" "$KT" -d "$N" client edit "$a" --set birthday=30.01.90
refuse "bad amount" "$KT" -d "$N" visit add "$a" --service x --amount 12.345
refuse "unknown id" "$KT" -d "$N" client edit 01JD3Q5ZK8W6T9V2M4N7P0R1S3 --set notes=x
refuse "malformed id" "$KT" -d "$N" client show not-an-id
refuse "visit for an unknown client" "$KT" -d "$N" visit add 01JD3Q5ZK8W6T9V2M4N7P0R1S3 --service x
refuse "oversized value" "$KT" -d "$N" client edit "$a" --set "notes=$big"
refuse "invalid UTF-8" "$KT" -d "$N" client edit "$a" --set "notes=$bad_utf8"
refuse "invalid UTF-8 name on add" "$KT" -d "$N" client add --name "$bad_utf8"
refuse "client add without a name" "$KT" -d "$N" client add --phone 123
refuse "unknown option" "$KT" -d "$N" client add --name x --colour red
refuse "unknown command" "$KT" -d "$N" frobnicate
refuse "no node in the folder" "$KT" -d "$T/none" client list
refuse "a set value to remove that is not there" "$KT" -d "$N" client edit "$a" --remove allergies=latex
refuse "enum out of its list" "$KT" -d "$N" client edit "$a" --set gender=robot
after=$("$KT" -d "$N" digest)
[ "$before" = "$after" ] && ok "nothing was written by any refused command" || bad "nothing was written by any refused command"
check "a value at the size limit is accepted" "$KT" -d "$N" client edit "$a" --set "notes=$max"
chmod 644 "$N/chain.key"
refuse "a key file readable by others is refused" "$KT" -d "$N" client list
chmod 600 "$N/chain.key"

# issue 13 part 4: one single-valued field given twice is refused by every
# command that takes --set, and so is a named option and --set of its field
p=$("$KT" -d "$N" record add plan "$a" --set goal=glow)
c=$("$KT" -d "$N" catalog add --service 'Twice test')
before=$("$KT" -d "$N" digest)
refuse "client add: --set notes twice" "$KT" -d "$N" client add --name X --set notes=1 --set notes=2
contains "saying which field is given twice" "$T/err" "'notes' is given twice"
refuse "client add: --name and --set name" "$KT" -d "$N" client add --name X --set name=Y
contains "saying name is given twice" "$T/err" "'name' is given twice"
refuse "client add: --name twice" "$KT" -d "$N" client add --name X --name Y
refuse "client add: --phone and --set phone" "$KT" -d "$N" client add --name X --phone '+7 912 000 00 09' --set phone=+79120000008
refuse "client add: --email and --set email" "$KT" -d "$N" client add --name X --email a@b.ru --set email=c@d.ru
refuse "client add: --birthday and --set birthday" "$KT" -d "$N" client add --name X --birthday 1990-01-01 --set birthday=1991-01-01
refuse "client edit: --set name twice" "$KT" -d "$N" client edit "$a" --set name=P --set name=Q
refuse "client edit: --set notes twice" "$KT" -d "$N" client edit "$a" --set notes=1 --set notes=2
refuse "visit add: --set rating twice" "$KT" -d "$N" visit add "$a" --service x --set rating=1 --set rating=2
refuse "visit add: --date and --set date" "$KT" -d "$N" visit add "$a" --service x --date 2020-01-01 --set date=2020-01-02
refuse "visit add: --amount and --set amount" "$KT" -d "$N" visit add "$a" --service x --amount 1 --set amount=2
refuse "visit add: --service and --set services" "$KT" -d "$N" visit add "$a" --service x --set services=y
refuse "record add: --set delta twice" "$KT" -d "$N" record add points "$a" --set delta=1 --set delta=2
refuse "record add: --set acne twice" "$KT" -d "$N" record add assessment "$a" --set acne=1 --set acne=2
refuse "record add: --set subject twice" "$KT" -d "$N" record add patch_test "$a" --set subject=a --set subject=b
refuse "record edit: --set goal twice" "$KT" -d "$N" record edit "$p" --set goal=1 --set goal=2
refuse "catalog add: --set price twice" "$KT" -d "$N" catalog add --service Zz --set price=1 --set price=2
refuse "catalog add: --service twice" "$KT" -d "$N" catalog add --service Zz --service Yy
refuse "catalog edit: --set price twice" "$KT" -d "$N" catalog edit "$c" --set price=1 --set price=2
refuse "catalog edit: --set name twice" "$KT" -d "$N" catalog edit "$c" --set name=A --set name=B
after=$("$KT" -d "$N" digest)
[ "$before" = "$after" ] && ok "nothing was written by a field given twice" || bad "nothing was written by a field given twice"

# two receptionists' terminals writing at once
i=0
( while [ $i -lt 40 ]; do "$KT" -d "$N" client add --name "Left $i" >/dev/null || echo fail; i=$((i + 1)); done ) >"$T/l" 2>&1 &
PIDS="$PIDS $!"
j=0
( while [ $j -lt 40 ]; do "$KT" -d "$N" client add --name "Right $j" >/dev/null || echo fail; j=$((j + 1)); done ) >"$T/r" 2>&1 &
PIDS="$PIDS $!"
wait
nl=$("$KT" -d "$N" client find left --json | grep -o '"id"' | wc -l)
nr=$("$KT" -d "$N" client find right --json | grep -o '"id"' | wc -l)
[ "$nl" -eq 40 ] && [ "$nr" -eq 40 ] && ! grep -q fail "$T/l" "$T/r" && ok "two writers at once: all 80 cards land" || bad "two writers at once: all 80 cards land ($nl + $nr)"
"$KT" -d "$N" status --json >"$T/st"
contains "status counts every change (84 and the founding account)" "$T/st" '"changes":85'
finish
