#!/bin/sh
# hub_backup.sh - issue 12: a hub store damaged in its B-tree structure (LMDB
# keeps no page checksums) is found by reading it whole in a child process,
# at `kt-hub run`'s start, in `verify` and in `backup`: one line names the
# table, and nothing crashes or is written.  `kt-hub backup` copies a running
# hub; restored, every branch sends again what it wrote since, and a new
# branch gets everything.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# flip_structure FILE KIND SEED: damages one page of an LMDB file in place, in
# its structure (not a value): KIND ptr (a leaf's node offset), child (a branch
# page's child page number), lower (a leaf's entry count) or upper (a branch
# page's free-space bound, which reads whole and breaks the next write).
flip_structure() {
	python3 - "$@" <<'EOF'
import random, struct, sys
path, kind, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(seed)
d = bytearray(open(path, 'rb').read())
PS = 4096
def u16(o): return struct.unpack_from('<H', d, o)[0]
def u64(o): return struct.unpack_from('<Q', d, o)[0]
# the pages the current meta page's trees reach (LMDB 0.9: mdb.c's MDB_meta, MDB_db, MDB_node)
m0, m1 = 16, PS + 16
meta = m1 if u64(m1 + 128) > u64(m0 + 128) else m0
live, todo = set(), [u64(meta + 24 + 40), u64(meta + 72 + 40)]
while todo:
    pg = todo.pop()
    if pg == 2**64 - 1 or pg in live or pg * PS >= len(d):
        continue
    live.add(pg)
    off, fl = pg * PS, u16(pg * PS + 10)
    for i in range((u16(off + 12) - 16) // 2):
        node = off + u16(off + 16 + 2 * i)
        if fl & 1:
            todo.append(u16(node) | u16(node + 2) << 16 | u16(node + 4) << 32)
        elif u16(node + 4) & 2:  # a named table: its root
            todo.append(u64(node + 8 + u16(node + 6) + 40))
want = 0x01 if kind in ('child', 'upper') else 0x02
pages = [p for p in sorted(live) if u16(p * PS + 10) & want and u16(p * PS + 12) > 18]
p = random.choice(pages)
off = p * PS
n = (struct.unpack_from('<H', d, off + 12)[0] - 16) // 2
i = random.randrange(n)
if kind == 'ptr':
    d[off + 16 + 2 * i] ^= 0x10
elif kind == 'child':
    ptr = struct.unpack_from('<H', d, off + 16 + 2 * i)[0]
    d[off + ptr] ^= 0x04
elif kind == 'upper':
    d[off + 15] ^= 0x80
else:
    d[off + 13] ^= 0x08
open(path, 'wb').write(d)
EOF
}

chain_setup A B
start_hub
printf 'name,phone\n' >c.csv
i=0
while [ $i -lt 1500 ]; do printf 'Client %d,+7912%07d\n' $i $i >>c.csv; i=$((i + 1)); done
"$KT" -d A import c.csv >/dev/null 2>&1
"$KT" -d B client add --name 'Card of North' >/dev/null
sync_all A B
check "kt-hub backup copies the running hub" "$H" -d HUB backup --out BK
[ -f BK/data.mdb ] && [ -f BK/hub.key ] && ok "with its store and its key" || bad "with its store and its key"
[ "$(stat -c %a BK/data.mdb)" = 600 ] && [ "$(stat -c %a BK/hub.key)" = 600 ] && ok "both private to the hub's user" || bad "both private to the hub's user"
refuse "a backup into a folder that exists is refused" "$H" -d HUB backup --out BK
contains "and says why" "$T/err" "BK exists already: name a new folder"
refuse "a backup without --out is refused" "$H" -d HUB backup
refuse "so is --out without a folder" "$H" -d HUB backup --out
refuse "and --out given twice" "$H" -d HUB backup --out X2 --out X3
[ ! -e X2 ] && [ ! -e X3 ] && ok "which makes nothing" || bad "which makes nothing"
refuse "a backup inside the hub's own folder is refused" "$H" -d HUB backup --out HUB/inside
[ ! -e HUB/inside ] && ok "and leaves nothing there" || bad "and leaves nothing there"
refuse "a backup into a folder whose parent does not exist is refused" "$H" -d HUB backup --out nowhere/BK2
contains "saying so" "$T/err" "the folder it goes in does not exist"
"$KT" -d A client add --name 'Card after the backup' >/dev/null
"$KT" -d B client add --name 'North after the backup' >/dev/null
sync_all A B
stop_hub
check "kt-hub verify passes on the whole store" "$H" -d HUB verify

# Each damaged store (a page the current trees reach): kt-hub verify either
# names the damage in one line and exits 1, or (a pointer that lands on an
# older copy of the same page, which LMDB keeps) reads a whole store; kt-hub run either refuses in one line or
# serves; nothing crashes, and no backup of a damaged store is made.
found=0
for kind in ptr child lower upper; do
	for seed in 1 2 3; do
		rm -rf W W.copy && cp -r HUB W
		flip_structure W/data.mdb $kind $seed
		"$H" -d W verify >v.txt 2>"$T/err"; rc=$?
		n=$(wc -l <"$T/err")
		if [ $rc -eq 1 ] && [ "$n" -eq 1 ] && grep -q "the hub's store in W is damaged: its structure is damaged .*; restore the hub from its backup" "$T/err"; then
			found=$((found + 1)); ok "a store damaged in its structure ($kind, $seed): kt-hub verify names the table in one line"
			refuse "and kt-hub run will not start on it ($kind, $seed)" "$H" -d W run
			refuse "nor is it backed up ($kind, $seed)" "$H" -d W backup --out W.copy
			[ ! -e W.copy ] && ok "and no copy is left" || bad "and no copy is left"
		elif [ $rc -eq 0 ]; then
			ok "a pointer to a whole older page ($kind, $seed): kt-hub verify reads every change whole"
			timeout 2 "$H" -d W run 2>/dev/null; rc=$?
			[ $rc -eq 124 ] && ok "and kt-hub run serves it" || bad "and kt-hub run serves it (exit $rc)"
		else
			bad "a store damaged in its structure ($kind, $seed): exit $rc, $n lines"; cat "$T/err"
		fi
	done
done
[ $found -ge 10 ] && ok "flips in pages in use are found ($found of 12)" || bad "flips in pages in use are found ($found of 12)"

# ---- the hub restored from its backup ----
flip_structure HUB/data.mdb ptr 1
refuse "the hub's own store, damaged, stops it at start" "$H" -d HUB run
mv HUB HUB.damaged && mv BK HUB
start_hub
check "the restored hub serves: Centre sends again what it wrote since" "$KT" -d A sync --timeout 20
check "and North" "$KT" -d B sync --timeout 20
sync_all A B
add_branch C
check "a new branch syncs from the restored hub" "$KT" -d C sync --timeout 30
"$KT" -d C client find 'after the backup' --json >f.json
[ "$(grep -o '"id"' f.json | wc -l)" -eq 2 ] && ok "and gets the cards written after the backup" || { bad "and gets the cards written after the backup"; cat f.json; }
R=$("$KT" -d C status --json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"records\"])"); [ "$R" -eq 1506 ] && ok "every card, 1,503, and the three founding staff accounts" || bad "every card, 1,503, and the three founding staff accounts (holds $R)"
sync_all A B # C's founding staff account is a change the others take
check "every replica agrees with the hub" same_digests A B C
stop_hub
check "kt-hub verify passes on the restored hub" "$H" -d HUB verify
finish
