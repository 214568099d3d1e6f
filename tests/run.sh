#!/bin/sh
# Runs every unit test binary, every scenario script and every fuzz target
# (briefly), counts the "ok"/"not ok" lines they print and ends with the line
# "N passed, N failed".  Exits non-zero when anything failed.
#
# KT_BUILD          build folder holding tests/ and fuzz/ (default build)
# KT_NODE           kt-node binary the scenarios drive (default bin/kt-node)
# KT_FUZZ_SECONDS   seconds per fuzz target; 0 skips fuzzing
# KT_ONLY           run only tests whose file name contains this string
BUILD=${KT_BUILD:-build}
export KT_NODE=${KT_NODE:-bin/kt-node}
case "$KT_NODE" in /*) ;; *) KT_NODE="$(pwd)/$KT_NODE" ;; esac
FUZZ_SECONDS=${KT_FUZZ_SECONDS:-3}
pass=0
fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() {
	# $1: name of the suite, $2: its exit code; the suite's output is in $log
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^not ok - ' "$log")
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $1 exited with status $2"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.d|*.o) continue ;; esac
	[ -n "${KT_ONLY:-}" ] && case "$t" in *"$KT_ONLY"*) ;; *) continue ;; esac
	echo "# $t"
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	count "$t" $rc
done

for s in tests/scenario/*.sh; do
	[ -f "$s" ] || continue
	[ -n "${KT_ONLY:-}" ] && case "$s" in *"$KT_ONLY"*) ;; *) continue ;; esac
	echo "# $s"
	timeout 300 sh "$s" >"$log" 2>&1
	rc=$?
	cat "$log"
	count "$s" $rc
done

if [ "$FUZZ_SECONDS" -gt 0 ]; then
	for z in "$BUILD"/fuzz/fuzz_*; do
		[ -x "$z" ] || continue
		case "$z" in *.d|*.o) continue ;; esac
		name=$(basename "$z")
		[ -n "${KT_ONLY:-}" ] && case "$name" in *"$KT_ONLY"*) ;; *) continue ;; esac
		echo "# $z (${FUZZ_SECONDS}s)"
		corpus=$(mktemp -d)
		seeds=tests/fuzz/seeds/$name
		[ -d "$seeds" ] || seeds=""
		"$z" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 \
			-print_final_stats=0 "$corpus" $seeds >"$log" 2>&1
		rc=$?
		rm -rf "$corpus"
		if [ $rc -eq 0 ]; then
			echo "ok - fuzz $name" >"$log"
		else
			tail -40 "$log"
			echo "not ok - fuzz $name" >"$log"
		fi
		cat "$log"
		count "$z" 0
	done
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
