# lib.sh - helpers for scenario tests (sourced).  Each check prints
# "ok - what" or "not ok - what"; tests/run.sh counts those lines.
KT=${KT_NODE:-$(pwd)/bin/kt-node}
T=$(mktemp -d "${TMPDIR:-/tmp}/kt-scenario-XXXXXX")
FAILS=0
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

ok() { echo "ok - $1"; }
bad() { echo "not ok - $1"; FAILS=$((FAILS + 1)); }
# check DESCRIPTION COMMAND...: passes when the command exits 0
check() { d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else bad "$d"; fi; }
# refuse DESCRIPTION COMMAND...: passes when the command exits non-zero with
# exactly one line on stderr
refuse() {
	d=$1; shift
	if "$@" >"$T/out" 2>"$T/err"; then bad "$d (exit 0)"; return; fi
	n=$(wc -l <"$T/err")
	if [ "$n" -eq 1 ]; then ok "$d"; else bad "$d ($n lines on stderr)"; cat "$T/err"; fi
}
# contains DESCRIPTION FILE TEXT
contains() { if grep -q -- "$3" "$2"; then ok "$1"; else bad "$1"; echo "--- $2:"; head -20 "$2"; fi; }
lacks() { if grep -q -- "$3" "$2"; then bad "$1"; else ok "$1"; fi; }
finish() { [ "$FAILS" -eq 0 ]; exit $?; }

# chain_setup NODE... : a hub in $T/HUB on a free loopback port and the named
# nodes (first one founds the chain), all joined; sets EP and H.
H=${KT_HUB:-$(pwd)/bin/kt-hub}
case "$H" in /*) ;; *) H="$(pwd)/$H" ;; esac
chain_setup() {
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	EP="tcp://127.0.0.1:$port"
	"$H" -d "$T/HUB" init --listen "$EP" >/dev/null
	first=""
	for n in "$@"; do
		"$KT" -d "$T/$n" init --branch "$n" >/dev/null
		"$H" -d "$T/HUB" enroll --branch "$n" --key "$("$KT" -d "$T/$n" key)" --out "$T/$n.bundle" >/dev/null
		if [ -z "$first" ]; then
			first=$n
			"$KT" -d "$T/$n" join "$T/$n.bundle" >/dev/null
		else
			"$KT" -d "$T/$first" invite --key "$("$KT" -d "$T/$n" key)" --out "$T/$n.invite"
			"$KT" -d "$T/$n" join "$T/$n.bundle" --invite "$T/$n.invite" >/dev/null
		fi
	done
}
# add_branch NODE: a new branch joins the chain founded by chain_setup's
# first node (enrolled at the hub, invited by that node); the hub need not run.
add_branch() {
	"$KT" -d "$T/$1" init --branch "$1" >/dev/null
	"$H" -d "$T/HUB" enroll --branch "$1" --key "$("$KT" -d "$T/$1" key)" --out "$T/$1.bundle" >/dev/null
	"$KT" -d "$T/$first" invite --key "$("$KT" -d "$T/$1" key)" --out "$T/$1.invite"
	"$KT" -d "$T/$1" join "$T/$1.bundle" --invite "$T/$1.invite" >/dev/null
}
start_hub() { "$H" -d "$T/HUB" run 2>>"$T/hub.log" & HUBPID=$!; PIDS="$PIDS $HUBPID"; sleep 0.3; }
stop_hub() { kill "$HUBPID" 2>/dev/null; wait "$HUBPID" 2>/dev/null; }
# sync_all NODE...: two rounds, so what one node pushed reaches the others
sync_all() { for r in 1 2; do for n in "$@"; do "$KT" -d "$T/$n" sync --timeout 20 >/dev/null 2>&1; done; done; }
same_digests() { # NODE...: every node's digest equals the hub's
	dh=$("$H" -d "$T/HUB" digest)
	for n in "$@"; do [ "$("$KT" -d "$T/$n" digest)" = "$dh" ] || return 1; done
}
