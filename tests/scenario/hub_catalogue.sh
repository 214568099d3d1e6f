#!/bin/sh
# The chain's catalogue replicates like every record (issue 11): a branch
# that joins later has the chain's rules from its first sync, an edit at any
# branch reaches the others, and a merge of cards made at one branch makes
# the other branches check the whole group.
. tests/scenario/lib.sh
export KT_TODAY=2026-12-02
chain_setup A B
start_hub
K() { n=$1; shift; "$KT" -d "$T/$n" "$@"; }
pil=$(K A catalog add --service 'Пилинг' --add contraindications=беременность \
	--add medications=изотретиноин)
K A catalog add --service 'Окрашивание бровей' --set patch_test=yes --add substances=хна >/dev/null
p=$(K A client add --name 'Полина Сетевая' --add contraindications='беременность, 20 недель')
sync_all A B
refuse "B refuses a Пилинг for A's client by A's catalogue" K B visit add "$p" --service 'Пилинг'
contains "the line names the contraindication" "$T/err" "беременность"
refuse "B refuses a patch-test service with no patch test" K B visit add "$p" --service 'Окрашивание бровей'
K B catalog edit 'пилинг' --add medications=ретиноиды >/dev/null
m=$(K B client add --name 'Мария Ретинол' --add medications='ретиноиды')
sync_all A B
refuse "B's catalogue edit reaches A" K A visit add "$m" --service 'Пилинг лица'
# a branch that joins later: the rules come with its first sync
"$KT" -d "$T/C" init --branch C >/dev/null
"$H" -d "$T/HUB" enroll --branch C --key "$(K C key)" --out "$T/C.bundle" >/dev/null
K A invite --key "$(K C key)" --out "$T/C.invite"
K C join "$T/C.bundle" --invite "$T/C.invite" >/dev/null
K C sync --timeout 20 >/dev/null 2>&1
K C catalog list >"$T/cl"
contains "a new branch lists the chain's catalogue after its first sync" "$T/cl" "Пилинг"
refuse "and refuses by it" K C visit add "$p" --service 'Пилинг'
# a merge made at A: B checks the group
k=$(K A client add --name 'Keep Сеть')
o=$(K B client add --name 'Other Сеть' --add allergies=никель)
sync_all A B
K A client merge "$k" "$o" >/dev/null
sync_all A B
refuse "B checks the kept card against the merged card's allergy" \
	K B visit add "$k" --service 'Серьги никелевые'
K B client show "$k" >"$T/k"
contains "B's safety block of the kept card lists it" "$T/k" "Allergies: *никель"
K A client edit "$o" --add allergies=хна >/dev/null
sync_all A B
refuse "an allergy added later to the merged-away card counts at B" \
	K B visit add "$k" --service 'Брови хной'
same_digests A B && ok "digests agree" || bad "digests agree"
stop_hub
finish
