#!/bin/sh
# `make demo` runs to the end: exit 0, every digest equal, and it leaves no
# folder or process behind.
. tests/scenario/lib.sh
if TMPDIR="$T" KT_HUB="$H" sh deploy/demo.sh >"$T/demo.out" 2>&1; then ok "the demo runs to the end"; else bad "the demo runs to the end"; tail -5 "$T/demo.out"; fi
d=$(grep -A4 'digests: every branch and the hub' "$T/demo.out" | grep -E '^(centre|north|south|hub) ' | awk '{print $2}' | sort -u | wc -l)
n=$(grep -A4 'digests: every branch and the hub' "$T/demo.out" | grep -cE '^(centre|north|south|hub) ')
[ "$n" -eq 4 ] && [ "$d" -eq 1 ] && ok "the demo's three branches and hub print one digest" || bad "the demo's three branches and hub print one digest ($n lines, $d distinct)"
left=$(ls -d "$T"/tmp.* 2>/dev/null | wc -l)
[ "$left" -eq 0 ] && ok "the demo removes its folder" || bad "the demo removes its folder ($left left)"
pgrep -f "kt-hub -d hub run" >/dev/null && bad "the demo stops its hub" || ok "the demo stops its hub"
finish
