#!/usr/bin/env bash
# trace.sh - --trace, --trace-first and "tracing never changes behaviour" on
# both engines.  Oracles: the CR/EFER write sequence and mode walk that
# tests/guests/reset.S documents (SDM vol. 3A 9.1, 9.9, 9.8.5); the reset
# state (CS F000h base FFFF0000h, IP FFF0h, SDM 9.1.4); KVM's own CPU (the
# host's emulator, single-stepped) against ember's emulator; each run's
# histograms against its own trace lines; guest output without tracing.
set -u
cd "$(dirname "$0")/../.."
ember=build/ember
rom=build/guests/reset.rom
if [ ! -x "$ember" ] || [ ! -f "$rom" ]; then
	echo "SKIP trace: $ember or $rom not built (make)"
	exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
have_kvm=1
[ -c /dev/kvm ] || have_kvm=0

# Where tracefs is not mounted, root can still mount it in a private mount
# namespace for ember alone (the host's mounts stay as they are).
wrap=()
if [ ! -d /sys/kernel/tracing/events/kvm ] && [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
	wrap=(unshare -m sh -c 'mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; exec "$@"' sh)
fi

run() { # accel tracefile extra-args... -> status
	local accel=$1 tf=$2
	shift 2
	timeout 120 "${wrap[@]}" "$ember" run --accel "$accel" --mem 128M --serial none \
		--bios "$rom" --trace-file "$tf" "$@" </dev/null >/dev/null 2>"$tf.err"
}

# The event lines of one kind, key only ("cr_write 0 = 0x11").
keys() { # file event
	awk -v ev="$2" '$2 == ev { sub(/^ *[0-9.]+ +[a-z]+ +/, ""); sub(/ -- .*/, ""); print }' "$1"
}

# --- CR/EFER writes and mode changes of reset.rom, as reset.S documents ---
# Reads: MOV EAX, CR0 in 32-bit code (PE|ET), RDMSR EFER in 64-bit code
# (LME|LMA: the CPU set LMA when paging came on, SDM 9.8.5).
want_reads="cr_read 0 = 0x11
cr_read efer = 0x500"
want_cr="cr_write 0 = 0x11
cr_write 4 = 0x20
cr_write 3 = 0x10000
cr_write efer = 0x100
cr_write 0 = 0x80000011"
# The instruction that caused each mode change, by mnemonic.  ember's
# emulator reports compatibility mode between the CR0.PG write and the far
# jump (SDM 9.8.5: IA-32e mode is active with CS.L=0); KVM's emulator flags
# have no compatibility mode, so it goes from prot32 to long64 at the jump.
want_mode_emu="mode real -> prot16: mov cr0, eax
mode prot16 -> prot32: jmp far
mode prot32 -> compat: mov cr0, eax
mode compat -> long64: jmp far"
want_mode_kvm="mode real -> prot16: mov cr0, eax
mode prot16 -> prot32: jmp far
mode prot32 -> long64: jmp far"
for accel in emu kvm; do
	if [ "$accel" = kvm ] && [ "$have_kvm" = 0 ]; then
		echo "SKIP trace reset.rom cr/mode (kvm): /dev/kvm is absent"
		continue
	fi
	tf=$out/crmode-$accel.txt
	run "$accel" "$tf" --trace cr,mode,msr
	rc=$?
	if [ "$rc" -ne 85 ]; then
		echo "FAIL trace reset.rom cr/mode ($accel): exit status $rc, expected 85"
		cat "$tf.err" >&2
		continue
	fi
	if why=$(grep -o 'tracepoints not read: .*' "$tf.err"); then
		echo "SKIP trace reset.rom cr/mode ($accel): host $why"
		continue
	fi
	got_cr=$(keys "$tf" cr | grep '^cr_write')
	got_reads=$(keys "$tf" cr | grep '^cr_read')
	got_mode=$(awk '$2 == "mode" { m = $0; sub(/^ *[0-9.]+ +mode +/, "", m); k = m; sub(/ -- .*/, "", k);
		i = m; sub(/^.*: /, "", i); split(i, w, " "); t = w[1]; if (w[2] == "far" || w[1] == "mov") t = w[1] " " w[2];
		if (w[1] == "mov") t = t " " w[3]; print k ": " t }' "$tf")
	want_mode=$want_mode_emu
	[ "$accel" = kvm ] && want_mode=$want_mode_kvm
	if [ "$got_cr" != "$want_cr" ]; then
		echo "FAIL trace reset.rom cr writes ($accel): expected the reset.S sequence"
		diff <(echo "$want_cr") <(echo "$got_cr") >&2
	else
		echo "PASS trace reset.rom cr writes ($accel): CR0, CR4, CR3, EFER, CR0 as reset.S documents"
	fi
	if [ "$got_reads" != "$want_reads" ]; then
		echo "FAIL trace reset.rom cr reads ($accel)"
		diff <(echo "$want_reads") <(echo "$got_reads") >&2
	else
		echo "PASS trace reset.rom cr reads ($accel): CR0 = 11h in protected mode, EFER = 500h in long mode"
	fi
	if [ "$got_mode" != "$want_mode" ]; then
		echo "FAIL trace reset.rom mode changes ($accel)"
		diff <(echo "$want_mode") <(echo "$got_mode") >&2
	else
		echo "PASS trace reset.rom mode changes ($accel): each caused by the documented instruction"
	fi
done

# --- exceptions.rom: every delivery, in order, as the guest itself reports it ---
# The guest's transcript (tests/guests/exceptions.expected, which QEMU's TCG
# reproduces) prints "vector V error E" from each handler; the trace must show
# the same deliveries in the same order: exceptions with their error codes
# (0 when the vector has none), INT n as software interrupts.
exp=$(sed -n 's/.*vector \([0-9a-f]*\) error \([0-9a-f]*\).*/\1 \2/p' tests/guests/exceptions.expected |
	while read -r v e; do
		if [ $((16#$v)) -lt 32 ]; then echo "exception $((16#$v)) error $((16#$e))"; else echo "int $((16#$v))"; fi
	done)
timeout 60 "$ember" run --accel emu --mem 128M --serial none --bios build/guests/exceptions.rom \
	--trace exception,irq --trace-file "$out/exc.txt" </dev/null >/dev/null 2>&1
got=$(grep -E '^ *[0-9.]+ (exception|irq) ' "$out/exc.txt" | while read -r _ ev w1 w2 rest; do
	if [ "$ev" = exception ]; then
		e=0
		[[ $rest =~ error\ (0x[0-9a-f]+) ]] && e=$((BASH_REMATCH[1]))
		echo "exception $w2 error $e"
	elif [ "$w1" = int ]; then
		echo "int $((w2))"
	fi
done)
if [ -n "$exp" ] && [ "$got" = "$exp" ]; then
	echo "PASS trace exceptions.rom (emu): $(echo "$got" | wc -l) deliveries match the guest's own report"
else
	echo "FAIL trace exceptions.rom (emu): deliveries differ from tests/guests/exceptions.expected"
	diff <(echo "$exp") <(echo "$got") >&2
fi

# --- the histogram of every event kind matches the trace lines ---
for accel in emu kvm; do
	[ "$accel" = kvm ] && [ "$have_kvm" = 0 ] && continue
	tf=$out/all-$accel.txt
	run "$accel" "$tf" --trace all
	rc=$?
	bad=$(awk '
		/^histogram / { ev = $2; sub(/:$/, "", ev); total[ev] = $3; inh = 1; next }
		inh && /^  / {
			line = substr($0, 3); n = split(line, p, ": ");
			key = p[1]; for (i = 2; i < n; i++) key = key ": " p[i];
			split(p[n], c, " "); hc[ev SUBSEP key] = c[1]; pct[ev SUBSEP key] = c[2]; next }
		/^ *[0-9]+\.[0-9]+ / { inh = 0; ev = $2; k = $0; sub(/^ *[0-9.]+ +[a-z]+ +/, "", k);
			sub(/ -- .*/, "", k); tc[ev SUBSEP k]++; tt[ev]++; next }
		END {
			for (x in tc) if (hc[x] != tc[x]) { split(x, q, SUBSEP); print q[1] " \"" q[2] "\": trace " tc[x] ", histogram " hc[x] }
			for (x in hc) if (!(x in tc)) { split(x, q, SUBSEP); print q[1] " \"" q[2] "\": in the histogram only" }
			for (e in tt) if (total[e] != tt[e]) print e ": trace " tt[e] " events, histogram total " total[e]
			for (x in hc) { split(x, q, SUBSEP); want = sprintf("(%.2f%%)", 100 * hc[x] / total[q[1]]);
				if (pct[x] != want) print q[1] " \"" q[2] "\": percent " pct[x] ", expected " want }
		}' "$tf")
	events=$(grep -c '^ *[0-9]*\.[0-9]* ' "$tf")
	if [ "$rc" -ne 85 ]; then
		echo "FAIL trace histograms ($accel): exit status $rc with --trace all, expected 85"
	elif [ -n "$bad" ] || [ "$events" -lt 100 ]; then
		echo "FAIL trace histograms ($accel): $events events; mismatches:"
		echo "$bad" | head -20 >&2
	else
		echo "PASS trace histograms ($accel): $events events, every key's count and percent match"
	fi
done

# --- --trace-first: the reset vector, and KVM's CPU against ember's ---
n=1900 # reset.rom's first REP STOSD comes later (KVM single-steps it per chunk)
tf=$out/first-emu.txt
run emu "$tf" --trace-first $n
first=$(head -1 "$tf")
if [[ $first != "first 0: real es=0000/0 cs=f000/ffff0000 "*" rip=fff0 linear=fffffff0 physical=fffffff0 bytes e9 "*": jmp "* ]]; then
	echo "FAIL trace-first reset vector (emu): got '$first'"
else
	echo "PASS trace-first reset vector (emu): CS F000h base FFFF0000h IP FFF0h, fetch at FFFFFFF0h"
fi
if [ "$have_kvm" = 1 ]; then
	run kvm "$out/first-kvm.txt" --trace-first $n
	if [ "$(wc -l <"$out/first-kvm.txt")" -ne $n ]; then
		echo "FAIL trace-first (kvm): $(wc -l <"$out/first-kvm.txt") lines, expected $n"
		cat "$out/first-kvm.txt.err" >&2
	elif ! diff "$tf" "$out/first-kvm.txt" >&2; then
		echo "FAIL trace-first: KVM's single steps differ from ember's emulator (diff in the log)"
	else
		echo "PASS trace-first: $n instructions, segments and addresses identical under KVM single-step and emu"
	fi
fi

# --- big real mode in --stats: unreal.rom (unreal.S) clears PE with 4 GiB
# limits in DS/ES/FS/GS and stays in real mode to the end, so every
# real-mode instruction --trace-first shows after its last protected-mode
# one runs in big real mode, and none of reset.rom's does ---
ur=build/guests/unreal.rom
if [ -f "$ur" ]; then
	timeout 120 "$ember" run --accel emu --mem 128M --serial none --bios "$ur" --trace-first 100000 \
		--stats </dev/null >/dev/null 2>"$out/unreal.err"
	# The last line traced, its OUT to the test-exit port, stops the
	# machine and never retires (--stats counts retired instructions).
	want=$(awk '$1 == "first" { n++; if ($3 != "real") { last = n; big = 0 } else if (last) big++ }
		END { print big - 1 }' "$out/unreal.err")
	grep '^first' "$out/unreal.err" | tail -1 | grep -q 'out 0xF4, al' || want="(last line not the test-exit OUT)"
	got=$(sed -n 's/^ *of them big real *\([0-9]*\).*/\1/p' "$out/unreal.err")
	run emu "$out/reset-big.txt" --stats
	if [ "$want" -gt 0 ] && [ "$got" = "$want" ] && ! grep -q 'big real' "$out/reset-big.txt.err"; then
		echo "PASS trace big real (emu): unreal.rom's $want real-mode instructions after PE=0 with 4 GiB limits, reset.rom none"
	else
		echo "FAIL trace big real (emu): --stats says '$got', --trace-first counts $want (reset.rom: $(grep 'big real' "$out/reset-big.txt.err"))"
	fi
fi

# --- AT&T syntax and option errors ---
run emu "$out/att.txt" --trace insn --trace-syntax att
if grep -q 'bytes b0 01: movb? \$0x01, %al$' "$out/att.txt" ||
	grep -qE 'bytes b0 01: movb? \$0x01, %al' "$out/att.txt"; then
	echo "PASS trace-syntax att: mov al, 1 prints as AT&T"
else
	echo "FAIL trace-syntax att: no AT&T 'mov \$0x01, %al' line"
	grep 'bytes b0 01' "$out/att.txt" | head -2 >&2
fi
"$ember" run --bios "$rom" --trace cr,bogus >/dev/null 2>"$out/bad.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "unknown event 'bogus'" "$out/bad.err" && [ "$(wc -l <"$out/bad.err")" -eq 1 ]; then
	echo "PASS trace bad event: exit 2 and one line naming it"
else
	echo "FAIL trace bad event: status $rc, stderr: $(cat "$out/bad.err")"
fi

# --- tracing never changes what the guest sees ---
for accel in emu kvm; do
	[ "$accel" = kvm ] && [ "$have_kvm" = 0 ] && continue
	while IFS='|' read -r name image status append initrd; do
		case $name in '#'* | '') continue ;; esac
		img=build/guests/$image
		args=(run --accel "$accel" --mem 128M)
		case $image in
		*.rom) args+=(--bios "$img") ;;
		*) args+=(--kernel "$img" --append "$append") ;;
		esac
		[ -n "$initrd" ] && args+=(--initrd "$initrd")
		timeout 120 "$ember" "${args[@]}" --serial "file:$out/$name.plain" </dev/null \
			>/dev/null 2>&1
		rc1=$?
		timeout 120 "$ember" "${args[@]}" --serial "file:$out/$name.traced" --trace all \
			--trace-file "$out/$name.trace" --trace-first 500 --stats --stats-json \
			"$out/$name.json" --timeline "$out/$name.tl.json" </dev/null >/dev/null 2>&1
		rc2=$?
		if [ "$rc1" -ne "$rc2" ]; then
			echo "FAIL trace transparent $name ($accel): status $rc1 plain, $rc2 traced"
		elif ! cmp -s "$out/$name.plain" "$out/$name.traced"; then
			echo "FAIL trace transparent $name ($accel): serial output differs when traced"
			diff "$out/$name.plain" "$out/$name.traced" | head >&2
		else
			echo "PASS trace transparent $name ($accel): status $rc1 and serial output identical with every event traced"
		fi
	done <tests/guests/guests.list
done

# --- without tracefs: one line says why and how; the guest runs the same ---
if [ "$have_kvm" = 1 ] && command -v unshare >/dev/null && [ "$(id -u)" -eq 0 ]; then
	unshare -m sh -c 'umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug 2>/dev/null;
		[ -d /sys/kernel/tracing/events/kvm ] && exit 99;
		exec timeout 60 "$0" run --accel kvm --mem 128M --serial none --bios "$1" --trace cr \
			--trace-file "$2" </dev/null >/dev/null 2>"$2.err"' "$ember" "$rom" "$out/notrace.txt"
	rc=$?
	notes=$(grep -c 'host kvm: tracepoints not read' "$out/notrace.txt.err")
	if [ "$rc" -eq 99 ]; then
		echo "SKIP trace without tracefs: cannot hide tracefs in a private mount namespace here"
	elif [ "$rc" -eq 85 ] && [ "$notes" -eq 1 ] && grep -q 'mount -t tracefs' "$out/notrace.txt.err"; then
		echo "PASS trace without tracefs: status 85, one line saying how to enable the host tracepoints"
	else
		echo "FAIL trace without tracefs: status $rc, $notes note lines: $(cat "$out/notrace.txt.err")"
	fi
else
	echo "SKIP trace without tracefs: needs /dev/kvm, unshare and root"
fi
