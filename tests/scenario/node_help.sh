#!/bin/sh
# Every command and subcommand has --help with its options and an example.
. tests/scenario/lib.sh
for c in "" init key "client" "client add" "client edit" "client show" "client find" \
	"client list" "visit" "visit add" "record" "record add" birthdays export import \
	status digest config join invite sync run duplicates "client merge" conflicts report; do
	# shellcheck disable=SC2086
	if "$KT" $c --help >"$T/h" 2>&1 && grep -q "example:" "$T/h" && grep -q "usage:" "$T/h"; then
		ok "kt-node $c --help"
	else
		bad "kt-node $c --help"
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
