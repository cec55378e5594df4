#!/usr/bin/env bash
# tests/integration/lencheck.sh - fast decoder cross-check: 200k weighted random
# byte strings per mode, ember's x86_insn_length vs Zydis (rules in
# tools/zydis-lencheck.c), with the CPU as the tie-breaker: every disagreement
# is run natively as 16-, 32- or 64-bit code at CPL3 in a host process
# (tools/difftest/native.c); the CPU's #UD / #GP(0) / execution decides.
# PASS/FAIL per mode (any disagreement the CPU does not settle in ember's
# favour fails); SKIP when the tool is not built, or when this host cannot
# run code of that mode in a process (a PVM guest's GDT has no 32-bit user
# code segment and its kernel does not load the LDT: no 16- or 32-bit code)
# and disagreements remain unresolved.
#
# What the CPU settled (measured on this AMD host, zydis-lencheck prints the
# counts per run; all three verified on the samples below):
#  - "ember UD, zydis TOO_LONG": an undefined opcode complete within 15 bytes
#    (0F A6/A7 ... with 13-14 prefixes) is #UD on the CPU, not #GP;
#  - "ember TOO_LONG, zydis invalid": an opcode byte past the 15th, or an
#    undefined row of a group whose shape (ModRM + the group's immediate,
#    C6/C7 /1-/7) runs past 15 bytes, is #GP(0) on the CPU;
#  - F3/F2/66 0F 01 D0 (XGETBV, "NP" in the SDM) is #UD on the CPU: ember's
#    decoder rejects it, as Zydis does.
# The full run is `make lencheck-full`.
set -u
cd "$(dirname "$0")/../.."
bin=build/zydis-lencheck
count=${LENCHECK_COUNT:-200000}

if [ ! -x "$bin" ]; then
	echo "SKIP lencheck: $bin is not built (needs libzydis-dev; make $bin)"
	exit 0
fi
for mode in 16 32 64; do
	out=$(timeout 120 "$bin" --mode "$mode" --count "$count" --seed 1 2>&1)
	last=$(printf '%s\n' "$out" | tail -n 1)
	summary=$(printf '%s\n' "$out" | grep -m1 "^mode $mode:" | sed "s/^mode $mode: //")
	case "$last" in
	*" passed, 0 failed") echo "PASS lencheck-$mode ($summary)"; continue ;;
	esac
	first=$(printf '%s\n' "$out" | grep -m1 '^MISMATCH ' | sed 's/^MISMATCH //')
	[ -z "$first" ] && first="no summary line (status or timeout): $last"
	note=$(printf '%s\n' "$out" | grep -m1 '^note: no CPU tie-break')
	if [ -n "$note" ]; then
		echo "SKIP lencheck-$mode: ${note#note: }; unresolved disagreements with Zydis: $last; first: $first"
	else
		echo "FAIL lencheck-$mode: $last; first: $first"
	fi
done

# One sample per settled pattern, ember's verdict against the CPU's.
while read -r name mode bytes; do
	out=$("$bin" --mode "$mode" --bytes "$bytes" 2>&1)
	rc=$?
	if printf '%s\n' "$out" | grep -q '^note: no CPU tie-break'; then
		echo "SKIP lencheck-cpu-$name: $(printf '%s\n' "$out" | grep -m1 '^note:' | sed 's/^note: //')"
	elif [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q ', cpu vector'; then
		echo "PASS lencheck-cpu-$name (${out##*| })"
	else
		echo "FAIL lencheck-cpu-$name: $out"
	fi
done <<'LIST'
ud-within-15-64 64 2e26652e67f0f03e262e3ef2260fa677
ud-within-15-16 16 f267f06767656465663e64f0670fa63c
opcode-past-15-32 32 66f26666f3262636663e662664f20f25
opcode-past-15-16 16 673ef3f0673ef33e66672e6567360f37
group-shape-c7-64 64 f3262e2ef267f23e642666f04fc7f89c
group-shape-c6-32 32 3ef03e67f2f22626f2663667f3c6f900
xgetbv-f3-64 64 f30f01d05995b3d5c0a75b0a921df290
xgetbv-66-32 32 660f01d0b527ed5ec22234e7896d8a90
valid-add-64 64 4801d8
LIST
