#!/usr/bin/env bash
# bench/work64.sh - the emulator's speed workloads in the same run: the four
# 64-bit loops of tools/emu-bench.c as a ROM (bench/work64.rom) under
# `ember run --accel emu` (interpreter, and translator: --emu-mode jit) and
# QEMU's TCG, and the same bytes natively on the
# host CPU (bench/work64.c); prints M instructions/s and ratios.  Part of
# `make bench` (bench/run.sh); runs alone too.  Where /dev/kvm works, also
# the ROM under `ember run --accel kvm`, whose work runs at CPL3: natively
# even on a host whose KVM emulates CPL0.  Timings are never asserted.
# A wrong result (the three disagree) or a wrong instruction count (ember's
# --stats against the static count) prints FAIL and makes the exit status 1.
# BENCH_REPS (default 5): measurements per engine and workload (median).
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
B=build/bench
reps=${BENCH_REPS:-5}
for f in "$B/work64" "$B/work64.rom" "$B/measure"; do
	[ -e "$f" ] || { echo "bench: $f missing: run make" >&2; exit 2; }
done
names=(compute checksum memcpy callret ssememcpy ssememset fpdouble fpmix)
titles=("compute (alu/load/store/branch)" "byte checksum" "memcpy loop (8-byte moves)" "call/ret"
	"SSE2 memcpy (16-byte moves)" "SSE2 memset (16-byte stores)" "scalar double (mulsd addsd divsd)"
	"x87 and SSE mixed (fsqrt, mulsd)")
# Loop count of one call (0: emu-bench's own).  compute runs a tenth of
# emu-bench's 20,000,000 iterations, 18 M instructions a call, so that the
# number of calls can fit each engine's speed.
counts=(2000000 0 0 0 0 0 1000000 0)
# How long the measured calls should take: long enough to dwarf the noise of
# start-up (a QEMU process varies by several ms), short enough for `make bench`.
declare -A target_ms=([emu]=500 [jit]=500 [tcg]=500 [native]=200 [kvm]=200)
tcg=(qemu-system-x86_64 -accel tcg -machine pc -m 128 -nodefaults -display none
	-monitor none -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 -bios)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL $*"; failed=1; }

engines=()
# emu: the emulator's interpreter; jit: its translator (--emu-mode jit).
if [ -x build/ember ]; then engines+=(emu jit); else echo "SKIP ember emu columns: build/ember missing (make)"; fi
if "$B/work64" run "$B/work64.rom" compute 1 1 >/dev/null 2>"$tmp/err"; then
	engines+=(native)
else
	echo "SKIP native column: $(head -1 "$tmp/err")"
fi
if [ ! -c /dev/kvm ]; then
	echo "SKIP KVM CPL3 column: /dev/kvm is absent"
elif [ ! -x build/ember ]; then
	echo "SKIP KVM CPL3 column: build/ember missing (make)"
else
	"$B/work64" patch "$B/work64.rom" "$tmp/probe.rom" compute 1 1 >/dev/null
	if timeout 60 build/ember run --accel kvm --mem 128M --serial stdio --bios "$tmp/probe.rom" 2>"$tmp/err" |
		grep -q '^work64: result '; then
		engines+=(kvm)
	else
		echo "SKIP KVM CPL3 column: ember --accel kvm did not run work64.rom: $(grep -v '^ember: note' "$tmp/err" | head -1)"
	fi
fi
if command -v qemu-system-x86_64 >/dev/null; then
	engines+=(tcg)
else
	echo "SKIP QEMU TCG column: qemu-system-x86_64 not installed (scripts/install-deps.sh)"
fi
has() { [[ " ${engines[*]} " == *" $1 "* ]]; }

# once ENGINE W CALLS: run program W CALLS times; sets ms (CPU time of the
# ember or QEMU process, or of the native calls alone), res (the
# result digest), n (ember: the long-mode instructions it counted) and insns
# (the instructions of the calls, counted statically by bench/work64.c).
once() {
	local rom=$tmp/work64.rom
	insns=$("$B/work64" patch "$B/work64.rom" "$rom" "${names[$2]}" "${counts[$2]}" "$3" | field insns)
	n= ms=
	case $1 in
	emu | jit | kvm)
		timeout 120 "$B/measure" build/ember run --accel "${1/jit/emu}" \
			--emu-mode "$([ "$1" = jit ] && echo jit || echo interp)" --mem 128M \
			--serial stdio --stats --bios "$rom" >"$tmp/out" 2>"$tmp/err"
		ms=$(field cpu_ms <"$tmp/err")
		n=$(sed -n 's/^ *insns long64 *\([0-9]*\).*/\1/p' "$tmp/err")
		;;
	tcg)
		timeout 120 "$B/measure" "${tcg[@]}" "$rom" >"$tmp/out" 2>"$tmp/err"
		ms=$(field cpu_ms <"$tmp/err")
		;;
	native)
		timeout 120 "$B/work64" run "$B/work64.rom" "${names[$2]}" "${counts[$2]}" "$3" \
			>"$tmp/out" 2>"$tmp/err"
		ms=$(field ns <"$tmp/err")
		[ -n "$ms" ] && ms=$(awk -v ns="$ms" 'BEGIN { printf "%.6f", ns / 1e6 }')
		;;
	esac
	res=$(result "$tmp/out")
}

# loop ENGINE W CALLS: sets t, the time of the calls alone (ember and QEMU:
# the run with CALLS less the same ROM with none), res and insns; checks
# ember's instruction count against the static one.
loop() {
	local n0 ms0
	if [ "$1" != native ]; then
		once "$1" "$2" 0
		n0=$n ms0=$ms
	fi
	once "$1" "$2" "$3"
	t=
	if [ -z "$res" ] || [ -z "$ms" ]; then
		fail "work64 ${names[$2]} ($1, $3 calls): no result: $(grep -v '^ ' "$tmp/err" | head -2 | tr '\n' ' ')"
		return
	fi
	if [ "$1" = native ]; then
		t=$ms
	elif [ -n "$ms0" ]; then
		t=$(awk -v a="$ms" -v b="$ms0" 'BEGIN { print a - b }')
	fi
	if [ "$1" != kvm ] && [ -n "$n" ] && [ -n "$n0" ] && [ $((n - n0)) -ne "$insns" ]; then
		fail "work64 ${names[$2]} ($1, $3 calls): ember counted $((n - n0)) instructions, the program has $insns"
	fi
}

# Size the number of calls for each engine and workload (4x steps until the
# calls take half the target), and keep the 1-call results, which every
# engine must agree on.
declare -A calls res1 resn
for ((w = 0; w < ${#names[@]}; w++)); do
	for e in "${engines[@]}"; do
		r=1
		while :; do
			loop "$e" $w $r
			[ $r -eq 1 ] && res1[$e,$w]=$res
			[ -z "$t" ] && break
			awk -v t="$t" -v g="${target_ms[$e]}" 'BEGIN { exit !(t >= g / 2) }' && break
			[ $r -ge 100000 ] && break
			r=$((r * 4))
		done
		[ -n "$t" ] && calls[$e,$w]=$(awk -v r=$r -v t="$t" -v g="${target_ms[$e]}" \
			'BEGIN { c = int(r * g / (t > 0 ? t : 1) + 0.5); print c < 1 ? 1 : c }')
	done
done

for ((i = 0; i < reps; i++)); do
	for ((w = 0; w < ${#names[@]}; w++)); do
		for e in "${engines[@]}"; do
			[ -n "${calls[$e,$w]:-}" ] || continue
			loop "$e" $w "${calls[$e,$w]}"
			[ -n "$t" ] || continue
			if [ -n "${resn[$e,$w]:-}" ] && [ "${resn[$e,$w]}" != "$res" ]; then
				fail "work64 ${names[w]} ($e): result $res, earlier ${resn[$e,$w]} for the same calls"
			fi
			resn[$e,$w]=$res
			awk -v n="$insns" -v t="$t" 'BEGIN { if (t > 0) printf "%.3f\n", n / t / 1e3 }' \
				>>"$tmp/rate-$e-$w"
		done
	done
done

# Every engine must compute what the host CPU computes: at one call, and at
# the number of calls each emulator was measured with.
for ((w = 0; w < ${#names[@]}; w++)); do
	ref= refname=
	for e in native emu jit kvm tcg; do
		has $e && [ -n "${res1[$e,$w]:-}" ] || continue
		if [ -z "$ref" ]; then
			ref=${res1[$e,$w]} refname=$e
		elif [ "${res1[$e,$w]}" != "$ref" ]; then
			fail "work64 ${names[w]}: result after 1 call: $e ${res1[$e,$w]}, $refname $ref"
		fi
	done
	has native || continue
	for e in emu jit kvm tcg; do
		[ -n "${resn[$e,$w]:-}" ] || continue
		"$B/work64" run "$B/work64.rom" "${names[w]}" "${counts[w]}" "${calls[$e,$w]}" \
			>"$tmp/out" 2>/dev/null
		r=$(result "$tmp/out")
		[ "$r" = "${resn[$e,$w]}" ] ||
			fail "work64 ${names[w]}: result after ${calls[$e,$w]} calls: $e ${resn[$e,$w]}, native $r"
	done
done

rate() { [ -f "$tmp/rate-$1-$2" ] && median <"$tmp/rate-$1-$2"; }
# frac A B: A/B as "1/N" below 1, else "N.NNx"; "-" when either is missing.
frac() {
	if [ -n "$1" ] && [ -n "$2" ]; then
		awk -v a="$1" -v b="$2" 'BEGIN { if (a >= b) printf "%.2fx", a / b;
			else printf (b / a < 10 ? "1/%.1f" : "1/%.0f"), b / a }'
	else
		echo -
	fi
}
mips() { [ -n "$1" ] && printf '%.1f' "$1" || echo -; }
row() { printf '| %-32s | %9s | %9s | %9s | %10s | %9s | %9s | %7s | %7s | %-14s |\n' "$@"; }
echo "The emulator's speed workloads (bench/work64.rom, tools/emu-bench.c's loops), median of $reps,"
echo "M instructions/s:"
row "workload" "ember emu" "emu jit" "native" "emu/native" "KVM CPL3" "QEMU TCG" "emu/TCG" "jit/TCG" "target"
row "--------------------------------" "---------" "---------" "---------" "----------" "---------" "---------" "-------" "-------" "--------------"
for ((w = 0; w < ${#names[@]}; w++)); do
	m=$(rate emu $w) jm=$(rate jit $w) nat=$(rate native $w) k=$(rate kvm $w) q=$(rate tcg $w)
	tgt=
	[ $w -eq 0 ] && tgt=">= 1/40 native"
	row "${titles[w]}" "$(mips "$m")" "$(mips "$jm")" "$(mips "$nat")" "$(frac "$m" "$nat")" "$(mips "$k")" \
		"$(mips "$q")" "$(frac "$m" "$q")" "$(frac "$jm" "$q")" "$tgt"
done
m=$(rate emu 0) nat=$(rate native 0)
if [ -n "$m" ] && [ -n "$nat" ]; then
	awk -v a="$m" -v b="$nat" 'BEGIN { printf "Target (printed, not asserted): emu >= 1/40 of native on compute: %s (1/%.0f)\n", (a * 40 >= b ? "met" : "not met"), b / a }'
fi
echo "Instructions a call, and the calls each engine was timed on:"
for ((w = 0; w < ${#names[@]}; w++)); do
	line=$("$B/work64" patch "$B/work64.rom" "$tmp/work64.rom" "${names[w]}" "${counts[w]}" 1 | field insns)
	line=$(printf '  %-9s %10s;' "${names[w]}" "$line")
	for e in "${engines[@]}"; do line+=" $e ${calls[$e,$w]:--}"; done
	echo "$line"
done
echo "Rates from CPU time (the machine may be shared: wall time would count other load):"
echo "ember (emu, KVM) and QEMU TCG = instructions / (process CPU of N calls - of the same ROM"
echo "with 0); native = instructions / the calls' own CPU time, the same bytes as a host function."
echo "The emulator alone, in process: make emu-bench."
[ $failed -eq 0 ] && echo "work64 results: ${engines[*]} agree on every workload; ember's instruction counts match"
exit $failed
