#!/usr/bin/env bash
# tests/integration/jit.sh - the emulator's run-loop unit tests again with
# the translator (EMBER_EMU_MODE=jit, which every CPU they create takes):
# test_x86_exec (mode switches, paging, exceptions, SYSCALL, self-modifying
# code: the SDM's results) and test_x86_run (the event checks).  Their
# PASS/FAIL lines come back prefixed "jit ".  The other x86 unit tests call
# instruction bodies directly, not the run loop; test_x86_jit has the
# translator's own tests, each on both modes.
set -u
cd "$(dirname "$0")/../.."
for t in test_x86_exec test_x86_run; do
	if [ ! -x "build/tests/$t" ]; then
		echo "FAIL jit $t: build/tests/$t is not built (make)"
		continue
	fi
	lines=$(EMBER_EMU_MODE=jit "build/tests/$t" | sed -n 's/^\(PASS\|FAIL\|SKIP\) /\1 jit /p'
		exit "${PIPESTATUS[0]}")
	rc=$?
	[ -n "$lines" ] && printf '%s\n' "$lines"
	[ "$rc" -eq 0 ] || echo "FAIL jit $t: exited with status $rc"
	[ -n "$lines" ] || echo "FAIL jit $t: no test lines"
done
