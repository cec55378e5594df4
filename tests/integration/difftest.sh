#!/usr/bin/env bash
# tests/integration/difftest.sh - the fast differential subset: per instruction
# class, 2000 cases run on the host CPU and in ember's emulator's interpreter,
# and 1000 in its translator (difftest-jit-CLASS).  PASS/FAIL per
# class; SKIP for classes the emulator does not claim (build/difftest --list)
# and for classes this host's CPU cannot run (difftest names the limit: a PVM
# guest has no 32-bit user code segment, so no compatibility-mode class).
# Any mismatch fails: there are no known ones.
#
# Which hardware judges a case (the per-class line says how many each):
#  - the CPU in a host process (tools/difftest/native.c): the case's user pages
#    mirrored at the same addresses in a child process, entered by IRETQ and
#    single-stepped with RFLAGS.TF; FS/GS bases by arch_prctl.  It needs no
#    /dev/kvm and no user-mode FSGSBASE: every case runs this way without KVM;
#  - where /dev/kvm exists, a KVM vCPU at CPL3 too; cases the host kernel
#    emulates under KVM (kvm:kvm_emulate_insn) run natively instead, so that
#    KVM's instruction emulator never is the oracle.
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
# difftest_class CLS LABEL CASES [ARGS...]: one class on the emulator in the
# mode ARGS choose; prints the PASS/FAIL/SKIP line named LABEL.
difftest_class() {
	local cls=$1 label=$2 n=$3
	shift 3
	out=$(timeout 120 "$bin" --seed "$seed" --cases "$n" --class "$cls" "$@" 2>&1)
	last=$(printf '%s\n' "$out" | tail -n 1)
	if printf '%s\n' "$out" | grep -q '^SKIP '; then
		printf '%s\n' "$out" | grep '^SKIP ' | head -n 1 | sed "s/^SKIP difftest:/SKIP $label:/"
		return
	fi
	judges=$(printf '%s\n' "$out" | grep -m1 '^class ' | sed 's/^class *[^ ]* *//')
	case "$last" in
	*" passed, 0 failed") echo "PASS $label ($judges)"; return ;;
	esac
	# Without the native engine, host-emulated cases are judged by KVM's
	# emulator (difftest prints why): its disagreements prove nothing.
	hw=$(printf '%s\n' "$out" | grep '^MISMATCH ' | grep -v "(KVM's emulator)\$" | head -n 1)
	if [ -z "$hw" ] && printf '%s\n' "$out" | grep -q '^MISMATCH '; then
		echo "SKIP $label: disagreements only with KVM's emulator, not the CPU ($(printf '%s\n' "$out" | grep -m1 '^note:')): $last"
	else
		hw=${hw#MISMATCH }
		echo "FAIL $label: $last; first: ${hw:-no mismatch line (status or timeout)}"
	fi
}

# Every class on the interpreter, and on the translator (single-stepped
# cases run as one-instruction blocks: its calls, exits and faults) with
# half the cases.
"$bin" --list | while read -r cls claim; do
	if [ "$claim" != claimed ]; then
		echo "SKIP difftest-$cls: the emulator does not claim this class yet"
		continue
	fi
	difftest_class "$cls" "difftest-$cls" "$cases" --emu-mode interp
	difftest_class "$cls" "difftest-jit-$cls" $((cases / 2)) --emu-mode jit
done
