#!/bin/sh
# A field two branches wrote at once is marked on the card, with the other
# value and the branch it came from, and both conflict listings name the
# branches.
. tests/scenario/lib.sh
export KT_TODAY=2026-11-22
chain_setup Centre North
start_hub
K() { n=$1; shift; "$KT" -d "$T/$n" "$@"; }
c=$(K Centre client add --name 'Елена Общая' --phone '+7 912 345 67 89')
sync_all Centre North
K Centre client edit "$c" --set phone='+7 912 000 00 01'
K North client edit "$c" --set phone='+7 913 000 00 02'
K Centre client edit "$c" --set name='Елена Центр'
K North client edit "$c" --set name='Елена Север'
sync_all Centre North
K Centre client show "$c" >"$T/show"
K Centre client show "$c" --json >"$T/show.json"
w=$(grep -o '"phone":"[^"]*"' "$T/show.json" | head -1 | cut -d'"' -f4)
case "$w" in *912*) o='+7 913 000 00 02' ob=North ;; *) o='+7 912 000 00 01' ob=Centre ;; esac
grep -q "^phone .*$w \[conflict: also '$o' from branch $ob\]" "$T/show" && ok "client show marks the phone with the other value and its branch" || { bad "client show marks the phone with the other value and its branch"; cat "$T/show"; }
grep -q "^name .*\[conflict: also 'Елена [^']*' from branch [A-Za-z]*\]" "$T/show" && ok "client show marks a conflict on the name too" || { bad "client show marks a conflict on the name too"; cat "$T/show"; }
grep -q "\"conflicts\":\[.*{\"branch\":\"[A-Za-z]*\",\"field\":\"phone\",\"other_branch\":\"$ob\",\"other_value\":\"$o\",\"value\":\"$w\"}" "$T/show.json" && ok "client show --json lists the conflict with both values and branches" || { bad "client show --json lists the conflict with both values and branches"; cat "$T/show.json"; }
K North client show "$c" --json >"$T/show2.json"
cmp -s "$T/show.json" "$T/show2.json" && ok "both branches show the same card, conflicts and all" || bad "both branches show the same card, conflicts and all"
K Centre conflicts >"$T/cf"
grep -q "client.phone: '$w' (branch [A-Za-z]*, .*) won over '$o' (branch $ob, " "$T/cf" && ok "kt-node conflicts names both sides by branch" || { bad "kt-node conflicts names both sides by branch"; cat "$T/cf"; }
K North conflicts --json >"$T/cf.json"
contains "kt-node conflicts --json gives each side's branch" "$T/cf.json" '"branch":"Centre"'
"$H" -d "$T/HUB" conflicts >"$T/hcf"
grep -q "client.phone: [A-Za-z]* (.*) won over $ob (" "$T/hcf" && ok "kt-hub conflicts names the branches" || { bad "kt-hub conflicts names the branches"; cat "$T/hcf"; }
K Centre client edit "$c" --set phone='+7 912 345 67 89'
K Centre client show "$c" >"$T/show3"
lacks "an ordinary edit clears the mark" "$T/show3" '^phone .*conflict'
finish
