#!/usr/bin/env bash
# tests/integration/sst286.sh - the first 20 hardware-recorded 80286 tests of
# every instruction form on ember's emulator (make sst286-full runs all 500).
# Prints one PASS/FAIL/SKIP line per form; skips are 286-vs-modern differences.
cd "$(dirname "$0")/../.."
dir=../shared/testdata/sst286
[ -d "$dir" ] || dir=/work/shared/testdata/sst286
if [ ! -d "$dir" ]; then
	echo "SKIP sst286: test vectors not found (../shared/testdata/sst286)"
	exit 0
fi
out=$(build/sst286-check "$dir" --limit 20 2>&1)
rc=$?
printf '%s\n' "$out" | awk '
	/^[0-9A-F][0-9A-F](\.[0-7])? / {
		form = $1; p = $2; f = $4; s = $6
		if (f + 0 > 0) printf "FAIL sst286 %s: %d of %d failed (build/sst286-check DIR --filter %s --verbose)\n", form, f, p + f, form
		else if (p + 0 == 0) printf "SKIP sst286 %s: %s\n", form, substr($0, index($0, ": ") + 2)
		else printf "PASS sst286 %s\n", form
	}'
[ $rc -le 1 ] || echo "FAIL sst286: checker exited with $rc"
exit 0
