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
