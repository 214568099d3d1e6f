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
# Every command and subcommand with nothing after it ends as a program does,
# never by a signal (the kind the groups' crash was).
for c in init key config "config get" "config set" status digest "client add" "client edit" \
	"client show" "client find" "client list" "client merge" "client unmerge" "visit add" \
	"record add" "record edit" "record show" birthdays export import join invite duplicates \
	conflicts report "catalog add" "catalog edit" "catalog show" "catalog list" \
	"catalog import" backup restore; do
	# shellcheck disable=SC2086
	timeout 20 "$KT" -d "$T/n" $c </dev/null >/dev/null 2>&1
	rc=$?
	if [ "$rc" -lt 124 ]; then ok "kt-node $c with no arguments ends (exit $rc)"; else bad "kt-node $c with no arguments: exit $rc"; fi
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
