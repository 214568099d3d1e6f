#!/bin/sh
# make demo: a branch node in a temporary folder cards a few clients with
# Russian, Romanian and Chinese names, records visits, and shows find, show,
# the safety check, segments and birthdays at work; then a hub and three
# branches on loopback replicate, one branch offline while the others work,
# and every digest agrees.  Removes its folder and stops what it started.
set -eu
KT=${KT_NODE:-$(pwd)/bin/kt-node}
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
N="$D/centre"
export KT_TODAY=2026-11-22   # a fixed day, so the demo reads the same every run

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "kt-node $*"; "$KT" -d "$N" "$@"; }

say "kt-node -d $N init --branch Centre --country RU"
"$KT" -d "$N" init --branch Centre --country RU
run catalog add --service 'Hair dye' --set patch_test=yes --add substances='PPD, ammonia'
run catalog add --service 'Chemical peel' --add contraindications='pregnancy, rosacea' \
	--add medications='isotretinoin' --add substances='glycolic acid'

anna=$("$KT" -d "$N" client add --name 'Анна Иванова' --phone '+7 (912) 345-67-89' \
	--email Anna.Ivanova@Example.ru --birthday 1990-11-25 \
	--add allergies=латекс --add contraindications='retinol' \
	--set staff_alert='Prefers the quiet room; ask about latex gloves')
stefan=$("$KT" -d "$N" client add --name 'Ștefania Popescu' --phone '0721 234 567' \
	--birthday 1985-11-28 --set gender=female)
say "kt-node config set country RO    (a Romanian branch: 0721 234 567 is +40 721 234 567)"
"$KT" -d "$N" config set country RO
"$KT" -d "$N" client edit "$stefan" --set phone='0721 234 567'
run client find '+40 721 234 567'
"$KT" -d "$N" config set country RU
wang=$("$KT" -d "$N" client add --name '王小明' --phone '8 916 111 22 33' --birthday 1995-03-02)
olga=$("$KT" -d "$N" client add --name 'Ольга Смирнова' --email olga@example.ru)
echo "carded: Анна $anna, Ștefania $stefan, 王小明 $wang, Ольга $olga"

"$KT" -d "$N" visit add "$anna" --service 'Facial cleansing' --amount 2500 --date 2026-06-10 >/dev/null
for d in 2026-06-12 2026-07-15 2026-08-14 2026-09-12 2026-10-10 2026-11-08; do
	"$KT" -d "$N" visit add "$anna" --service 'Hydrating facial' --amount 3000.50 \
		--date "$d" --set specialist=Olga >/dev/null
done
"$KT" -d "$N" visit add "$stefan" --service 'Manicure' --amount 1200 --date 2026-05-02 >/dev/null
"$KT" -d "$N" visit add "$wang" --service 'Massage' --amount 4000 --date 2026-11-15 >/dev/null
"$KT" -d "$N" record add assessment "$anna" --set date=2026-06-10 --set hydration=3 --set acne=6 >/dev/null
"$KT" -d "$N" record add assessment "$anna" --set date=2026-11-08 --set hydration=6 --set acne=2 >/dev/null
"$KT" -d "$N" record add plan "$anna" --set goal='Even skin tone' --set procedures='Peel x4' \
	--set frequency='every 3 weeks' >/dev/null
"$KT" -d "$N" record add points "$anna" --set delta=150 --set reason='visits' >/dev/null
"$KT" -d "$N" record add feedback "$anna" --set kind=praise --set text='Lovely, thank you' >/dev/null

run client find анна
run client find ANNA.IVANOVA@example.ru
run client find '8 912 345 67 89'
run client find stefania
run client find 小明
run client show "$anna"
"$KT" -d "$N" client edit "$anna" --add allergies=latex
say "kt-node visit add ANNA --service 'Latex mask'    (she is allergic to latex: refused)"
if "$KT" -d "$N" visit add "$anna" --service 'Latex mask'; then echo "(unexpected: accepted)"; fi
say "kt-node visit add ANNA --service 'Маска с латексом'    (латекс in another word form: refused)"
if "$KT" -d "$N" visit add "$anna" --service 'Маска с латексом'; then echo "(unexpected: accepted)"; fi
say "kt-node visit add ANNA --service 'Chemical peel'    (retinol is not ruled out by the peel: goes ahead)"
"$KT" -d "$N" visit add "$anna" --service 'Chemical peel' >/dev/null && echo "(recorded)"
say "kt-node visit add ANNA --service 'Hair dye'    (needs a patch test: she has none)"
if "$KT" -d "$N" visit add "$anna" --service 'Hair dye'; then echo "(unexpected: accepted)"; fi
run visit add "$anna" --service 'Hair dye' --override 'patch test done at another salon, card seen' --by Olga
run client list
run client list --segment regular
run client list --segment lost
run client list --segment potential
run birthdays --days 10
run status
run digest

# ---- a chain: a hub and three branches on loopback ----
H=${KT_HUB:-$(pwd)/bin/kt-hub}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cd "$D"
say "kt-hub -d hub init --listen tcp://127.0.0.1:$port   (the chain's hub)"
"$H" -d hub init --listen "tcp://127.0.0.1:$port"
"$H" -d hub enroll --branch Centre --key "$("$KT" -d centre key)" --out centre.bundle
say "kt-node -d centre join centre.bundle   (Centre founds the chain with its cards)"
"$KT" -d centre join centre.bundle
for b in north south; do
	B=$(echo "$b" | sed 's/^./\U&/')
	"$KT" -d "$b" init --branch "$B" >/dev/null
	"$H" -d hub enroll --branch "$B" --key "$("$KT" -d "$b" key)" --out "$b.bundle"
	"$KT" -d centre invite --key "$("$KT" -d "$b" key)" --out "$b.invite"
	say "kt-node -d $b join $b.bundle --invite $b.invite"
	"$KT" -d "$b" join "$b.bundle" --invite "$b.invite"
done
"$H" -d hub run 2>hub.log &
HUBPID=$!
trap 'kill $HUBPID 2>/dev/null || true; rm -rf "$D"' EXIT
sleep 0.3
for b in centre north south; do "$KT" -d "$b" sync --timeout 10; done
say "kt-node -d north client find анна   (a card from Centre, at North)"
"$KT" -d north client find анна
say "North goes offline; Centre and South go on working"
"$KT" -d south visit add "$anna" --service 'Hydrating facial' --amount 3000 --set specialist=Irina >/dev/null
"$KT" -d centre client edit "$anna" --set notes='Prefers Irina at South'
"$KT" -d south client add --name 'Ioana Marinescu' --phone '+40 722 111 222' >/dev/null
"$KT" -d north client add --name 'Offline Olga' >/dev/null
for b in centre south; do "$KT" -d "$b" sync --timeout 10; done
say "North comes back and syncs"
for b in north centre south; do "$KT" -d "$b" sync --timeout 10; done
say "digests: every branch and the hub"
for b in centre north south; do printf '%-7s ' "$b"; "$KT" -d "$b" digest; done
printf '%-7s ' hub; "$H" -d hub digest
say "kt-node -d north report   (head office's view, at any branch)"
"$KT" -d north report
say "kt-hub -d hub status"
"$H" -d hub status
kill $HUBPID
wait $HUBPID 2>/dev/null
