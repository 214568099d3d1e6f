#!/bin/sh
# A store file cut short (a copy that stopped, a disk that lost its end) is
# refused at open with one line that says so, by every command of both
# programs; before, the first read past the end killed the process with
# SIGBUS and no word.  Nothing is written to it.
. tests/scenario/lib.sh
chain_setup A
start_hub
for i in 1 2 3 4 5; do "$KT" -d "$T/A" client add --name "Анна Иванова $i" >/dev/null; done
"$KT" -d "$T/A" sync >/dev/null 2>&1
stop_hub
cp -r "$T/A" "$T/A2"
cp -r "$T/HUB" "$T/HUB2"
for cut in 8192 10000 12288 65536; do
	rm -rf "$T/A3" && cp -r "$T/A2" "$T/A3"
	truncate -s "$cut" "$T/A3/data.mdb"
	for cmd in "client find Анна" "status" "digest" "export" "client add --name Вера"; do
		# shellcheck disable=SC2086
		refuse "node cut to $cut bytes: $cmd refused" "$KT" -d "$T/A3" $cmd
		contains "node cut to $cut bytes: $cmd says the file is cut short" "$T/err" "cut short"
	done
	size=$(wc -c <"$T/A3/data.mdb")
	if [ "$size" -eq "$cut" ]; then ok "node cut to $cut bytes: nothing written"; else bad "node cut: file now $size bytes"; fi
done
truncate -s 65536 "$T/HUB2/data.mdb"
for cmd in status digest conflicts duplicates; do
	refuse "hub cut short: $cmd refused" "$H" -d "$T/HUB2" $cmd
	contains "hub cut short: $cmd says the file is cut short" "$T/err" "cut short"
done
# verify walks the file in a child first and names the damage its own way.
refuse "hub cut short: verify refused" "$H" -d "$T/HUB2" verify
contains "hub cut short: verify says its pages run past the file" "$T/err" "past the file"
check "the whole store still opens" "$KT" -d "$T/A2" client find Анна
finish
