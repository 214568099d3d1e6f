#!/bin/sh
# A branch cards clients and finds them: names in Cyrillic, Romanian and
# Chinese, phones however written, emails; show puts safety first.
. tests/scenario/lib.sh
export KT_TODAY=2026-11-22
N="$T/n"
check "init makes a node" "$KT" -d "$N" init --branch Centre --country RU
refuse "init refuses a folder that holds a node" "$KT" -d "$N" init --branch Other
s1=$(stat -c %a "$N/chain.key"); s2=$(stat -c %a "$N/node.key")
[ "$s1" = 600 ] && [ "$s2" = 600 ] && ok "key files are mode 0600" || bad "key files are mode 0600 ($s1 $s2)"
"$KT" -d "$N" key >"$T/key" && grep -Eq '^[0-9a-f]{64}$' "$T/key" && ok "key prints the 64-hex-digit public key" || bad "key prints the 64-hex-digit public key"
check "--version" "$KT" --version

anna=$("$KT" -d "$N" client add --name 'Анна Иванова' --phone '+7 (912) 345-67-89' --email Anna@Example.RU --birthday 1990-11-25 --add allergies=Латекс)
echo "$anna" | grep -Eq '^[0-9A-Z]{26}$' && ok "client add prints the id alone" || bad "client add prints the id alone ($anna)"
stef=$("$KT" -d "$N" client add --name 'Ștefania Popescu' --birthday 1985-12-30)
wang=$("$KT" -d "$N" client add --name '王小明' --phone '8 916 111 22 33')
find() { "$KT" -d "$N" client find "$1" --json >"$T/find"; grep -q "$2" "$T/find"; }
check "find анна (lower case) finds Анна" find анна "$anna"
check "find АННА finds Анна" find АННА "$anna"
check "find by surname prefix Иван" find Иван "$anna"
check "find two words in any order" find 'иванова ан' "$anna"
check "find stefania finds Ștefania (accents ignored)" find stefania "$stef"
check "find ştefania (cedilla) finds Ștefania" find 'ştefania' "$stef"
check "find 小明 finds 王小明" find 小明 "$wang"
check "find 王 finds 王小明" find 王 "$wang"
check "find by phone in another format (8 912 ...)" find '8 912 345 67 89' "$anna"
check "find by phone +79123456789" find '+79123456789' "$anna"
check "find email case-insensitively" find 'anna@example.ru' "$anna"
"$KT" -d "$N" client find 'Петров' --json >"$T/find"
grep -q '"clients":\[\]' "$T/find" && grep -q '"found":0' "$T/find" && ok "find with no match prints no clients" || bad "find with no match prints no clients"

"$KT" -d "$N" config set country RO >/dev/null
ro=$("$KT" -d "$N" client add --name 'Ion Popescu' --phone '0721 234 567')
check "RO: +40 721 234 567 finds 0721 234 567" find '+40 721 234 567' "$ro"
"$KT" -d "$N" config set country RU >/dev/null
odd=$("$KT" -d "$N" client add --name 'Odd Phone' --phone 'ext. 12-34-5')
check "an unparseable phone is found by its digits" find '12345' "$odd"

"$KT" -d "$N" client show "$anna" >"$T/show"
head -8 "$T/show" | grep -q 'Allergies: *Латекс' && ok "show puts allergies first" || { bad "show puts allergies first"; cat "$T/show"; }
contains "show says no contraindications plainly" "$T/show" "Contraindications: none recorded"
contains "show says no patch tests plainly" "$T/show" "Patch tests: *none recorded"
contains "show says no staff alert plainly" "$T/show" "Staff alert: *none recorded"
"$KT" -d "$N" client edit "$anna" --set staff_alert='Fainted once during a peel' --add contraindications=retinol
"$KT" -d "$N" client show "$anna" >"$T/show"
head -3 "$T/show" | grep -q 'STAFF ALERT: *Fainted' && ok "the staff alert is loud and near the top" || bad "the staff alert is loud and near the top"
"$KT" -d "$N" client show "$anna" --json >"$T/showj"
contains "show --json has sets as sorted arrays" "$T/showj" '"contraindications":\["retinol"\]'
"$KT" -d "$N" client edit "$anna" --remove allergies=латекс
"$KT" -d "$N" client show "$anna" --json >"$T/showj"
lacks "remove takes an allergy away (case-insensitive)" "$T/showj" 'Латекс'
"$KT" -d "$N" client edit "$anna" --set name='Анна Петрова'
check "after a rename the new surname is found" find петрова "$anna"
"$KT" -d "$N" client find иванова --json >"$T/find"
grep -q '"clients":\[\]' "$T/find" && ok "after a rename the old surname is not" || bad "after a rename the old surname is not"
finish
