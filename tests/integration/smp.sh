#!/usr/bin/env bash
# smp.sh - two CPUs on the emulator: smp.rom (INIT/SIPI from the BSP's local
# APIC, 2 x 200,000 LOCK XADDs on one counter, an AP running code the BSP
# rewrites) under QEMU's TCG with -smp 2, the oracle, and under
# `ember --accel emu --cpus 2`, whose vCPU threads run in parallel; both must
# print tests/guests/smp.expected.  Run three times on ember: a lost update
# or a stale decode shows up as a wrong count or a hang (timeout).  Then
# --clock virtual --cpus 2 twice: one thread, the same instructions.
set -u
cd "$(dirname "$0")/../.."
ember=build/ember rom=build/guests/smp.rom exp=tests/guests/smp.expected
if [ ! -x "$ember" ] || [ ! -f "$rom" ]; then
	echo "SKIP smp: $ember or $rom not built (make)"
	exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if command -v qemu-system-x86_64 >/dev/null; then
	timeout 60 qemu-system-x86_64 -accel tcg -machine pc -smp 2 -m 128 -nodefaults \
		-display none -monitor none -serial "file:$out/qemu.txt" -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -bios "$rom" </dev/null 2>"$out/qemu.err"
	rc=$?
	if [ "$rc" = 1 ] && cmp -s "$out/qemu.txt" "$exp"; then
		echo "PASS smp (qemu -smp 2): transcript matches $exp"
	else
		echo "FAIL smp (qemu -smp 2): status $rc"
		diff "$exp" "$out/qemu.txt" >&2
	fi
else
	echo "SKIP smp (qemu): qemu-system-x86_64 not installed (scripts/install-deps.sh)"
fi
for run in 1 2 3; do
	timeout 60 "$ember" run --accel emu --cpus 2 --bios "$rom" --serial "file:$out/e$run.txt" \
		</dev/null 2>"$out/e$run.err"
	rc=$?
	if [ "$rc" = 1 ] && cmp -s "$out/e$run.txt" "$exp"; then
		echo "PASS smp (emu --cpus 2, run $run): transcript matches $exp"
	else
		echo "FAIL smp (emu --cpus 2, run $run): status $rc (124: timeout)"
		diff "$exp" "$out/e$run.txt" >&2
		cat "$out/e$run.err" >&2
	fi
done
# --clock virtual: both vCPUs on one thread in turns cut at instruction
# counts, so two runs execute the same instructions on each vCPU.
digest() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1]));
print(json.dumps([j["insns_by_mode"], j["interrupts"], j["pio"], j["hlt"]], sort_keys=True))' "$1"
}
for run in 1 2; do
	timeout 60 "$ember" run --accel emu --clock virtual --cpus 2 --bios "$rom" \
		--serial "file:$out/v$run.txt" --stats-json "$out/v$run.json" </dev/null 2>"$out/v$run.err"
	echo $? >"$out/v$run.rc"
done
if [ "$(cat "$out/v1.rc")" = 1 ] && cmp -s "$out/v1.txt" "$exp" && cmp -s "$out/v2.txt" "$exp" &&
	[ "$(digest "$out/v1.json")" = "$(digest "$out/v2.json")" ]; then
	echo "PASS smp (emu --cpus 2 --clock virtual): the transcript, and the same instructions on both runs"
else
	echo "FAIL smp (emu --cpus 2 --clock virtual): status $(cat "$out/v1.rc"), $(cat "$out/v2.rc")"
	diff "$exp" "$out/v1.txt" >&2
	digest "$out/v1.json" >&2
	digest "$out/v2.json" >&2
fi
