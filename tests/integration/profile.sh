#!/usr/bin/env bash
# profile.sh - --profile on the emulator.  Oracles: spin.rom's construction
# (tests/guests/spin.S: 1 + 1,800,000 instructions in hot_loop's two-line
# loop, 200,000 + 1 in cold_loop's, then 2 to exit), so sampling every N
# retired instructions must give hot_loop exactly floor(1800001 / N) samples
# and the whole run floor(total / N); the symbols are spin.rom.elf's .symtab
# as binutils wrote it.  Bad symbol files and options: exit status 2 and ONE
# line naming the file or option.
set -u
cd "$(dirname "$0")/../.."
ember=build/ember
rom=build/guests/spin.rom
elf=build/guests/spin.rom.elf
if [ ! -x "$ember" ] || [ ! -f "$rom" ] || [ ! -f "$elf" ]; then
	echo "SKIP profile: $ember or $rom not built (make)"
	exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() { # profile-file extra-args... -> status
	local p=$1
	shift
	timeout 60 "$ember" run --accel emu --bios "$rom" --serial none --profile "$p" "$@" \
		</dev/null >/dev/null 2>"$p.err"
}

# --- attribution: the ELF's labels, by instruction count ---
for period in 1009 10007; do
	p=$out/spin-$period.txt
	run "$p" --profile-period "$period" --symbols "$elf"
	rc=$?
	if [ "$rc" -ne 1 ]; then
		echo "FAIL profile spin.rom period $period: exit status $rc, expected 1: $(head -c 300 "$p.err")"
		continue
	fi
	total=$(sed -n 's/.*(\([0-9]*\) instructions in all.*/\1/p' "$p")
	samples=$(sed -n 's/^# ember guest profile: \([0-9]*\) samples.*/\1/p' "$p")
	hot=$(awk '$4 == "hot_loop" { print $2 }' "$p")
	cold=$(awk '$4 == "cold_loop" { print $2 }' "$p")
	hot_pct=$(awk '$4 == "hot_loop" { print $1 }' "$p")
	folded=$(awk '{ n += $NF } END { print n }' "$p.folded")
	want_hot=$((1800001 / period))
	want_cold=$((2000002 / period - want_hot))
	if [ "$total" != 2000005 ]; then
		echo "FAIL profile spin.rom period $period: $total instructions, spin.S runs 2000005"
	elif [ "$samples" != $((total / period)) ]; then
		echo "FAIL profile spin.rom period $period: $samples samples, expected $((total / period))"
	elif [ "$hot" != "$want_hot" ] || [ "$cold" != "$want_cold" ]; then
		echo "FAIL profile spin.rom period $period: hot_loop $hot cold_loop $cold samples, expected $want_hot and $want_cold"
		cat "$p" >&2
	elif ! awk -v p="$hot_pct" 'BEGIN { exit !(p + 0 > 89.5 && p + 0 < 90.5) }'; then
		echo "FAIL profile spin.rom period $period: hot_loop $hot_pct, expected 90%"
	elif [ "$folded" != "$samples" ] || ! grep -qx "kernel;nopaging;hot_loop $hot" "$p.folded"; then
		echo "FAIL profile spin.rom period $period: folded stacks do not add up: $(head -c 300 "$p.folded")"
	else
		echo "PASS profile spin.rom period $period: hot_loop $hot_pct ($hot of $samples samples)"
	fi
done

# --- without symbols: samples named by page, the same total ---
p=$out/nosyms.txt
run "$p" --profile-period 1009
if [ $? -eq 1 ] && grep -q '^# symbols: none' "$p" &&
	[ "$(awk '$4 == "0xffff0000" { print $2 }' "$p")" = $((2000005 / 1009)) ]; then
	echo "PASS profile spin.rom without symbols: every sample in page 0xffff0000"
else
	echo "FAIL profile spin.rom without symbols: $(head -c 400 "$p")"
fi

# --- the profile never changes what the guest sees: smp.rom's two vCPUs
# under --clock virtual run in turns cut at instruction counts; with a
# sample every 997 instructions they must run the same instructions ---
smp=build/guests/smp.rom
digest() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1]));
print(json.dumps([j["insns_by_mode"], j["interrupts"], j["pio"], j["hlt"]], sort_keys=True))' "$1"
}
if [ -f "$smp" ]; then
	for v in plain prof; do
		args=()
		[ $v = prof ] && args=(--profile "$out/smp.txt" --profile-period 997)
		timeout 60 "$ember" run --accel emu --clock virtual --cpus 2 --bios "$smp" \
			--serial "file:$out/smp-$v.out" --stats-json "$out/smp-$v.json" "${args[@]}" \
			</dev/null 2>/dev/null
		echo $? >"$out/smp-$v.rc"
	done
	if [ "$(cat "$out/smp-plain.rc")" = 1 ] && [ "$(cat "$out/smp-prof.rc")" = 1 ] &&
		cmp -s "$out/smp-plain.out" "$out/smp-prof.out" &&
		[ "$(digest "$out/smp-plain.json")" = "$(digest "$out/smp-prof.json")" ] &&
		[ "$(sed -n 's/^# ember guest profile: \([0-9]*\) samples.*/\1/p' "$out/smp.txt")" -gt 0 ]; then
		echo "PASS profile smp.rom --cpus 2 --clock virtual: the same instructions, output and status with --profile"
	else
		echo "FAIL profile smp.rom --cpus 2 --clock virtual: --profile changed the run (status $(cat "$out/smp-plain.rc") vs $(cat "$out/smp-prof.rc"))"
		digest "$out/smp-plain.json" >&2
		digest "$out/smp-prof.json" >&2
	fi
fi

# --- bad input: exit status 2 and one line naming the file or option ---
expect() { # name pattern args...
	local name=$1 pat=$2
	shift 2
	timeout 30 "$ember" run --accel emu --bios "$rom" --serial none "$@" \
		</dev/null >/dev/null 2>"$out/stderr"
	local rc=$? lines
	lines=$(wc -l <"$out/stderr")
	if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -qE -- "$pat" "$out/stderr"; then
		echo "FAIL profile $name: status $rc, $lines lines: $(head -c 300 "$out/stderr")"
	else
		echo "PASS profile $name"
	fi
}
head -c 40 "$elf" >"$out/truncated.elf"
objcopy --strip-all "$elf" "$out/stripped.elf"
# e_shoff (byte 40, 8 bytes) far past the end of the file.
cp "$elf" "$out/badshoff.elf"
printf '\377\377\377\000' | dd of="$out/badshoff.elf" bs=1 seek=44 conv=notrunc status=none
printf 'ffffffff81000000 T _text\nffffffffffffffff B The real System.map is elsewhere\n' >"$out/bad.map"
printf 'ffffffff81000000 D some_data\n' >"$out/data.map"
: >"$out/empty.map"
p=$out/p.txt
expect truncated-elf "^ember: .*truncated.elf: ELF header truncated$" --profile "$p" --symbols "$out/truncated.elf"
expect stripped-elf "^ember: .*stripped.elf: no .symtab" --profile "$p" --symbols "$out/stripped.elf"
expect bad-section-headers "^ember: .*badshoff.elf: ELF section headers past the end" --profile "$p" --symbols "$out/badshoff.elf"
expect bad-map-line "^ember: .*bad.map: line 2: not a System.map line" --profile "$p" --symbols "$out/bad.map"
expect no-code-symbols "^ember: .*data.map: no code symbols" --profile "$p" --symbols "$out/data.map"
expect empty-map "^ember: .*empty.map: not a regular, non-empty file" --profile "$p" --symbols "$out/empty.map"
expect missing-symbols "^ember: --symbols $out/nope: No such file" --profile "$p" --symbols "$out/nope"
expect unwritable-profile "^ember: --profile $out/nodir/p.txt: No such file" --profile "$out/nodir/p.txt"
expect zero-period "^ember: --profile-period 0: must be a positive number" --profile "$p" --profile-period 0
expect symbols-without-profile "^ember: --symbols: needs --profile" --symbols "$elf"
expect profile-on-kvm "^ember: --profile .*: needs --accel emu" --profile "$p" --accel kvm
