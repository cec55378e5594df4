#!/usr/bin/env bash
# tests/integration/difftest.sh - the fast differential subset: per instruction
# class, 2000 cases run on the host CPU (KVM, CPL3 runs natively) and in ember's
# emulator.  PASS/FAIL per class; SKIP without KVM, for classes the emulator does
# not claim (build/difftest --list), and for classes with mismatches already
# measured and explained below (KNOWN_RE); anything else fails.
# The full run is `make difftest-full`.
set -u
cd "$(dirname "$0")/../.."
bin=build/difftest
cases=${DIFFTEST_CASES:-2000}
seed=${DIFFTEST_SEED:-1}
# Known disagreements with this host, as patterns on the MISMATCH lines.  A
# class whose mismatches ALL match one of them prints SKIP with the count; any
# other mismatch is a FAIL.  Each is measured and explained:
#  - mov rm,cs|ss/64 mem: under PVM the guest's CS/SS selectors are virtualised,
#    so a store of CS/SS is emulated by the host kernel, not done by the CPU;
#    no store width matches it (16, 32 or 64 bits), while the SDM says a memory
#    destination is 16 bits, which ember does.
#  - cmpxchg/32 (register destination, failed compare): whether the host writes
#    the destination back (zero-extending it) varied between cases on this AMD
#    host; ember leaves the register unchanged.  Intel and AMD document it
#    differently.
KNOWN_RE='\| mov rm,(cs|ss)/64 mem( a32)? \||\| cmpxchg/32 \|'

if [ ! -x "$bin" ]; then
	echo "SKIP difftest: $bin is not built (make $bin)"
	exit 0
fi
"$bin" --list | while read -r cls claim; do
	if [ "$claim" != claimed ]; then
		echo "SKIP difftest-$cls: the emulator does not claim this class yet"
		continue
	fi
	out=$(timeout 120 "$bin" --seed "$seed" --cases "$cases" --class "$cls" 2>&1)
	last=$(printf '%s\n' "$out" | tail -n 1)
	if printf '%s\n' "$out" | grep -q '^SKIP '; then
		printf '%s\n' "$out" | grep '^SKIP ' | head -n 1 | sed "s/^SKIP difftest/SKIP difftest-$cls/"
		continue
	fi
	case "$last" in
	*" passed, 0 failed") echo "PASS difftest-$cls ($last)"; continue ;;
	esac
	first=$(printf '%s\n' "$out" | grep -m1 '^MISMATCH ' | sed 's/^MISMATCH //')
	[ -z "$first" ] && first="no summary line (status or timeout): $last"
	unknown=$(printf '%s\n' "$out" | grep '^MISMATCH ' | grep -vE -- "$KNOWN_RE" | head -n 1)
	if [ -n "$first" ] && printf '%s\n' "$out" | grep -q '^MISMATCH ' && [ -z "$unknown" ]; then
		echo "SKIP difftest-$cls: only known host disagreements (see the header of $0): $last; first: $first"
	else
		detail=${unknown:-MISMATCH $first}
		echo "FAIL difftest-$cls: $last; first unexplained: ${detail#MISMATCH }"
	fi
done
