#!/bin/sh
# A node the hub refuses (revoked, or a key it never enrolled) hears so in
# one line, and every sync ends within its timeout (issue 12): before, a
# sync with the default timeout blocked for ever in a send once its only
# connection had been refused.
. tests/scenario/lib.sh
chain_setup A B
start_hub
K() { n=$1; shift; "$KT" -d "$T/$n" "$@"; }
K A client add --name 'Анна Сеть' >/dev/null
check "an enrolled node syncs" K A sync --timeout 10
"$H" -d "$T/HUB" revoke --branch B >/dev/null
s=$(date +%s)
timeout 40 "$KT" -d "$T/B" sync >"$T/out" 2>"$T/err"
rc=$?
took=$(( $(date +%s) - s ))
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && ok "a revoked node's sync with the default timeout ends, non-zero ($took s)" \
	|| bad "a revoked node's sync with the default timeout ends (rc $rc after $took s)"
[ "$took" -le 12 ] && ok "within the default 10 s" || bad "within the default 10 s ($took s)"
[ "$(wc -l <"$T/err")" -eq 1 ] && ok "with one line" || { bad "with one line"; cat "$T/err"; }
contains "the line says the hub refused this node's key" "$T/err" "refused this node's key"
timeout 40 "$KT" -d "$T/B" sync --timeout 3 2>"$T/err"
[ $? -eq 1 ] && ok "with --timeout 3 too" || bad "with --timeout 3 too"
# a hub restored from a backup older than C's enrolment does not know C's key
stop_hub
cp -r "$T/HUB" "$T/HUB.old"
"$KT" -d "$T/C" init --branch C >/dev/null
"$H" -d "$T/HUB" enroll --branch C --key "$(K C key)" --out "$T/C.bundle" >/dev/null
K A invite --key "$(K C key)" --out "$T/C.invite"
K C join "$T/C.bundle" --invite "$T/C.invite" >/dev/null
rm -rf "$T/HUB"
mv "$T/HUB.old" "$T/HUB"
start_hub
timeout 40 "$KT" -d "$T/C" sync 2>"$T/err"
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && ok "a key the hub never enrolled ends too" || bad "a key the hub never enrolled ends too (rc $rc)"
contains "and says so" "$T/err" "refused this node's key"
check "the enrolled node still syncs" K A sync --timeout 10
# a daemon refused keeps trying, and syncs on its own once enrolled again
"$KT" -d "$T/B" run 2>"$T/brun.log" & BP=$!; PIDS="$PIDS $BP"
sleep 2
check "kt-hub enroll lets a revoked key back in" \
	"$H" -d "$T/HUB" enroll --branch B --key "$(K B key)" --out "$T/B2.bundle"
c=$(K A client add --name 'После Возврата')
K A sync --timeout 10 >/dev/null 2>&1
i=0
while [ "$i" -lt 60 ] && ! K B client show "$c" >/dev/null 2>&1; do sleep 0.5; i=$((i + 1)); done
K B client show "$c" >/dev/null 2>&1 && ok "the refused daemon recovered on its own ($i half-seconds)" \
	|| bad "the refused daemon recovered on its own"
contains "the daemon said why it was refused" "$T/brun.log" "refused this node's key"
kill "$BP" 2>/dev/null; wait "$BP" 2>/dev/null
stop_hub

# a hub made again (a new hub.key) on the same address: the bundle's key is stale
mv "$T/HUB" "$T/HUB.first"
"$H" -d "$T/HUB" init --listen "$EP" >/dev/null
"$H" -d "$T/HUB" enroll --branch Centre --key "$(K A key)" --out "$T/A2.bundle" >/dev/null
start_hub
refuse "a node whose hub was made again is told in one line" "$KT" -d "$T/A" sync --timeout 4
contains "that the hub's key is not the one in its bundle" "$T/err" "answers, but its key is not the one in this node's bundle"
"$KT" -d "$T/A" run 2>"$T/arun.log" & AP=$!; PIDS="$PIDS $AP"
i=0
while [ "$i" -lt 40 ] && ! grep -q "its key is not the one" "$T/arun.log"; do sleep 0.5; i=$((i + 1)); done
kill "$AP" 2>/dev/null; wait "$AP" 2>/dev/null
contains "the daemon says so too, once" "$T/arun.log" "answers, but its key is not the one in this node's bundle"
[ "$(grep -c 'its key is not the one' "$T/arun.log")" -eq 1 ] && ok "only once" || bad "only once"
check "with the new bundle it joins again" "$KT" -d "$T/A" join "$T/A2.bundle"
check "and syncs" "$KT" -d "$T/A" sync --timeout 10
stop_hub
finish
