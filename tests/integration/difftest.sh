#!/usr/bin/env bash
# tests/integration/difftest.sh - the fast differential subset: per instruction
# class, 2000 cases run on the host CPU and in ember's emulator.  PASS/FAIL per
# class; SKIP without KVM and for classes the emulator does not claim
# (build/difftest --list).  Any mismatch fails: there are no known ones.
#
# Which hardware judges a case (the per-class line says how many each):
#  - KVM: the vCPU at CPL3, which this host's PVM runs natively, unless the
#    host kernel emulates the instruction (kvm:kvm_emulate_insn tells; it does
#    so for all compatibility-mode code, for 64-bit code with a non-canonical
#    RSP, and for instructions that raise #GP or #UD at CPL3);
#  - those host-emulated cases run again natively, single-stepped, in a child
#    process whose user pages mirror the test machine (tools/difftest/native.c),
#    so that KVM's instruction emulator never is the oracle.
# Both former "known disagreements" were KVM's emulator, not the CPU: a store
# of CS/SS with REX.W (the CPU stores 16 bits, as the SDM says) and CMPXCHG
# r32's destination after a failed compare (the CPU leaves it untouched; KVM's
# emulator writes it back, zero-extended).
# The full run is `make difftest-full`.
set -u
cd "$(dirname "$0")/../.."
bin=build/difftest
cases=${DIFFTEST_CASES:-2000}
seed=${DIFFTEST_SEED:-1}

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
	judges=$(printf '%s\n' "$out" | grep -m1 '^class ' | sed 's/^class *[^ ]* *//')
	case "$last" in
	*" passed, 0 failed") echo "PASS difftest-$cls ($judges)"; continue ;;
	esac
	# Without the native engine, host-emulated cases are judged by KVM's
	# emulator (difftest prints why): its disagreements prove nothing.
	hw=$(printf '%s\n' "$out" | grep '^MISMATCH ' | grep -v "(KVM's emulator)\$" | head -n 1)
	if [ -z "$hw" ] && printf '%s\n' "$out" | grep -q '^MISMATCH '; then
		echo "SKIP difftest-$cls: disagreements only with KVM's emulator, not the CPU ($(printf '%s\n' "$out" | grep -m1 '^note:')): $last"
	else
		hw=${hw#MISMATCH }
		echo "FAIL difftest-$cls: $last; first: ${hw:-no mismatch line (status or timeout)}"
	fi
done
