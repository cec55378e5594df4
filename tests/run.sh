#!/usr/bin/env bash
# tests/run.sh - run every test program and integration script, count the
# PASS/FAIL/SKIP lines they print, and end with "N passed, N failed, N skipped".
# Usage: tests/run.sh [FILTER]   (FILTER: substring of the program/script name)
set -u
cd "$(dirname "$0")/.."
filter=${1:-}
pass=0 fail=0 skip=0
log=build/test-log.txt
: >"$log"

run_one() {
	local name=$1; shift
	local out rc
	out=$("$@" 2>>"$log"); rc=$?
	printf '%s\n' "$out" >>"$log"
	local p f s
	p=$(printf '%s\n' "$out" | grep -c '^PASS ')
	f=$(printf '%s\n' "$out" | grep -c '^FAIL ')
	s=$(printf '%s\n' "$out" | grep -c '^SKIP ')
	printf '%s\n' "$out" | grep -E '^(FAIL|SKIP) ' | sed "s|^|  [$name] |"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "  [$name] FAIL: exited with status $rc without reporting a failure (see $log)"
		f=$((f + 1))
	fi
	printf '%-28s %3d passed, %d failed, %d skipped\n' "$name" "$p" "$f" "$s"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

for t in build/tests/test_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	[ -n "$filter" ] && [[ $n != *"$filter"* ]] && continue
	run_one "$n" "$t"
done
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	n=$(basename "$t" .sh)
	[ -n "$filter" ] && [[ $n != *"$filter"* ]] && continue
	run_one "$n" bash "$t"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
