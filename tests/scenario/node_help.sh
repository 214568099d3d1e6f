#!/bin/sh
# Every command and subcommand has --help with its options and an example.
. tests/scenario/lib.sh
for c in "" init key "client" "client add" "client edit" "client show" "client find" \
	"client list" "visit" "visit add" "record" "record add" birthdays export import \
	status digest config join invite sync run duplicates "client merge" conflicts report backup restore; do
	# shellcheck disable=SC2086
	if "$KT" $c --help >"$T/h" 2>&1 && grep -q "example:" "$T/h" && grep -q "usage:" "$T/h"; then
		ok "kt-node $c --help"
	else
		bad "kt-node $c --help"
	fi
done
# A group named without its subcommand says its usage on stderr and exits 2
# (catalog, visit and record alone once read past argv's end and crashed).
"$KT" -d "$T/n" init --branch Help >/dev/null 2>&1
for c in client catalog visit record; do
	"$KT" -d "$T/n" $c >"$T/o" 2>"$T/e"
	rc=$?
	if [ "$rc" -eq 2 ] && [ ! -s "$T/o" ] && grep -q "usage: kt-node -d DIR $c" "$T/e"; then
		ok "kt-node $c alone: its usage on stderr, exit 2"
	else
		bad "kt-node $c alone: exit $rc"
	fi
done
H=${KT_HUB:-$(pwd)/bin/kt-hub}
for c in "" init enroll run status digest revoke conflicts; do
	# shellcheck disable=SC2086
	if "$H" $c --help >"$T/h" 2>&1 && grep -q "example:" "$T/h" && grep -q "usage:" "$T/h"; then
		ok "kt-hub $c --help"
	else
		bad "kt-hub $c --help"
	fi
done
finish
