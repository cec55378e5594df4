#!/usr/bin/env bash
# clock.sh - --clock virtual is deterministic: the PIT-interrupt guest
# (irq.rom: 1 kHz ticks through the PIC, HLT between them) run twice gives
# QEMU's transcript (tests/guests/irq.expected) and the same instruction
# count, interrupt count and port accesses both times; --clock host gives the
# same transcript.  Emulator only (KVM guest time is the host's).
set -u
cd "$(dirname "$0")/../.."
ember=build/ember rom=build/guests/irq.rom
if [ ! -x "$ember" ] || [ ! -f "$rom" ]; then
	echo "SKIP clock: $ember or $rom not built (make)"
	exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for run in 1 2; do
	"$ember" run --accel emu --clock virtual --bios "$rom" --serial "file:$out/v$run.txt" \
		--stats-json "$out/v$run.json" 2>"$out/v$run.err"
	echo $? >"$out/v$run.rc"
done
"$ember" run --accel emu --bios "$rom" --serial "file:$out/h.txt" 2>"$out/h.err"
hrc=$?
# What must repeat: everything the guest did, none of the host's timings.
digest() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1]));
print(json.dumps([j["insns_by_mode"], j["interrupts"], j["pio"], j["hlt"], j["exit_status"]], sort_keys=True))' "$1"
}
if cmp -s "$out/v1.txt" tests/guests/irq.expected && cmp -s "$out/v2.txt" tests/guests/irq.expected &&
	[ "$(cat "$out/v1.rc")" = 1 ] && [ "$(cat "$out/v2.rc")" = 1 ]; then
	echo "PASS clock virtual: irq.rom's transcript is QEMU's on both runs"
else
	echo "FAIL clock virtual: transcript or status differs (status $(cat "$out/v1.rc"), $(cat "$out/v2.rc"))"
	diff tests/guests/irq.expected "$out/v1.txt" | head -5
fi
d1=$(digest "$out/v1.json") d2=$(digest "$out/v2.json")
if [ -n "$d1" ] && [ "$d1" = "$d2" ]; then
	echo "PASS clock virtual: same instructions, interrupts, port accesses and HLTs on both runs"
else
	echo "FAIL clock virtual: the two runs differ"
	echo "  run 1: $d1"
	echo "  run 2: $d2"
fi
if [ "$hrc" = 1 ] && cmp -s "$out/h.txt" tests/guests/irq.expected; then
	echo "PASS clock host: irq.rom's transcript is QEMU's"
else
	echo "FAIL clock host: status $hrc"
	diff tests/guests/irq.expected "$out/h.txt" | head -5
fi
