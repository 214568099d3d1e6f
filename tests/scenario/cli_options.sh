#!/bin/sh
# cli_options.sh - the command line both programs read through one kit
# (common/opts.h): --opt=value and --opt value, -d DIR before or after the
# command, options before or after the command's words, -- before a word
# that starts with '-', one stderr line for an unknown option, a missing
# value or a single option given twice, and --json on every reading command.
. tests/scenario/lib.sh
N="$T/n"
# json NAME FILE: FILE holds one valid JSON document
json() { if python3 -m json.tool "$2" >/dev/null 2>&1; then ok "$1"; else bad "$1"; cat "$2"; fi; }

check "init --branch=NAME after the command, with -d after it too" "$KT" init --branch=Centre -d "$N"
check "status -d DIR: -d after the command" "$KT" status -d "$N"
check "status --dir=DIR" "$KT" status --dir="$N"
a=$("$KT" client add -d "$N" --name='Анна Иванова' --phone '+7 912 345 67 89' --add=allergies=latex)
[ -n "$a" ] && ok "client add --name=NAME --add=F=V, -d after the command" || bad "client add --name=NAME --add=F=V, -d after the command"
m=$("$KT" -d "$N" client add --name '-минус')
"$KT" client find -d "$N" анна >"$T/f"
contains "client find -d DIR QUERY finds her" "$T/f" 'Анна Иванова'
"$KT" -d "$N" client find анна --limit=1 --json >"$T/f"
contains "client find --limit=1 --json after the query" "$T/f" '"shown":1'
"$KT" -d "$N" client find --json -- -минус >"$T/f"
contains "client find -- -QUERY searches a word that starts with '-'" "$T/f" "$m"
check "client edit --set F=V before the ID" "$KT" -d "$N" client edit --set=notes=hi "$a"
"$KT" -d "$N" client show --json "$a" >"$T/s"
contains "client show --json before the ID" "$T/s" '"notes":"hi"'
check "visit add with --amount=N before the client's id" "$KT" -d "$N" visit add --amount=100 --service=Massage "$a"
check "birthdays --days=30" "$KT" -d "$N" birthdays --days=30

refuse "an unknown option is one line" "$KT" -d "$N" client find --bogus анна
contains "naming the option and the command" "$T/err" "kt-node: client find: unknown option '--bogus' (see kt-node client find --help)"
refuse "a missing value is one line" "$KT" -d "$N" client find анна --limit
contains "naming the option" "$T/err" "client find: option '--limit' needs a value"
refuse "--limit twice is refused" "$KT" -d "$N" client find анна --limit 2 --limit 3
contains "saying it was given twice" "$T/err" "option '--limit' given twice"
refuse "--date twice is refused" "$KT" -d "$N" visit add "$a" --service x --date 2026-01-01 --date 2026-01-02
refuse "-d twice is refused" "$KT" -d "$N" status -d "$N"
refuse "a flag given a value is refused" "$KT" -d "$N" status --json=yes
contains "saying it takes none" "$T/err" "option '--json' takes no value"
refuse "an argument digest does not take is refused" "$KT" -d "$N" digest extra
check "--add is repeatable" "$KT" -d "$N" client edit "$a" --add allergies=nuts --add=allergies=soy --set=notes=y
"$KT" -d "$N" client show "$a" --json >"$T/s"
contains "each one kept" "$T/s" '"allergies":\["latex","nuts","soy"\]'
contains "and --set=F=V too" "$T/s" '"notes":"y"'

"$KT" -d "$N" config list --json >"$T/j"; json "config list --json is JSON" "$T/j"
contains "with each setting's name, value and default" "$T/j" '"name":"country","value":"RU"'
"$KT" -d "$N" config get country --json >"$T/j"; json "config get NAME --json is JSON" "$T/j"
contains "with its value" "$T/j" '"value":"RU"'
"$KT" -d "$N" digest --json >"$T/j"; json "digest --json is JSON" "$T/j"
contains "holding the digest" "$T/j" "\"digest\":\"$("$KT" -d "$N" digest)\""
"$KT" -d "$N" key --json >"$T/j"; json "key --json is JSON" "$T/j"
contains "holding the key" "$T/j" "\"key\":\"$("$KT" -d "$N" key)\""
"$KT" status --json -d "$N" >"$T/j"; json "status --json -d DIR is JSON" "$T/j"

# kt-hub: the same forms
HD="$T/hub"
check "kt-hub init --listen=EP -d DIR after the command" "$H" init --listen=tcp://127.0.0.1:7409 -d "$HD"
check "kt-hub status -d DIR --json" "$H" status -d "$HD" --json
check "kt-hub enroll --branch=NAME --key=KEY" "$H" enroll -d "$HD" --branch=Centre --key="$("$KT" -d "$N" key)" --out="$T/b"
"$H" digest --dir="$HD" --json >"$T/j"; json "kt-hub digest --json is JSON" "$T/j"
"$H" conflicts -d "$HD" --json >"$T/j"; json "kt-hub conflicts -d DIR --json is JSON" "$T/j"
refuse "kt-hub: an unknown option is one line" "$H" status -d "$HD" --bogus
contains "naming the option and the command" "$T/err" "kt-hub: status: unknown option '--bogus' (see kt-hub status --help)"
refuse "kt-hub: a missing value is one line" "$H" -d "$HD" enroll --branch
contains "naming the option" "$T/err" "enroll: option '--branch' needs a value"
refuse "kt-hub: --out twice is refused" "$H" -d "$HD" enroll --branch X --key "$("$KT" -d "$N" key)" --out a --out b
finish
