#!/usr/bin/env bash
# bench_rom.sh - the emulator speed workloads of `make bench` (bench/work64.rom,
# tools/emu-bench.c's four loops), a few calls each with a small loop count,
# under `ember run --accel emu`, checked against QEMU's TCG (an independent
# implementation), the host CPU running the same bytes (bench/work64) and,
# where /dev/kvm works, the whole ROM under KVM (its work runs at CPL3, natively
# even on a software KVM): every result digest must agree, and ember's --stats count of long-mode
# instructions must grow by the instructions the calls run (counted from the
# disassembly, bench/work64.S).  So the benchmark cannot measure a loop that
# computes the wrong thing, or no loop.
set -u
cd "$(dirname "$0")/../.."
. bench/lib.sh # result, field
B=build/bench
for f in build/ember "$B/work64" "$B/work64.rom"; do
	[ -e "$f" ] || { echo "FAIL bench_rom: $f missing, run make"; exit 0; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
calls=3 count=1000

qemu=yes native=yes kvm=yes
if ! command -v qemu-system-x86_64 >/dev/null; then
	qemu=no
	echo "SKIP bench_rom (QEMU TCG): qemu-system-x86_64 not installed (scripts/install-deps.sh)"
fi
if ! "$B/work64" run "$B/work64.rom" compute 1 1 >/dev/null 2>"$tmp/err"; then
	native=no
	echo "SKIP bench_rom (host CPU): $(head -1 "$tmp/err")"
fi
"$B/work64" patch "$B/work64.rom" "$tmp/probe.rom" compute 1 1 >/dev/null
if [ ! -c /dev/kvm ]; then
	kvm=no
	echo "SKIP bench_rom (KVM): /dev/kvm is absent"
elif ! timeout 60 build/ember run --accel kvm --mem 128M --serial stdio --bios "$tmp/probe.rom" \
	2>"$tmp/err" | grep -q '^work64: result '; then
	kvm=no
	echo "SKIP bench_rom (KVM): ember --accel kvm did not run work64.rom: $(grep -v '^ember: note' "$tmp/err" | head -1)"
fi
if [ $qemu = no ] && [ $native = no ] && [ $kvm = no ]; then
	exit 0
fi

for w in compute checksum memcpy callret ssememcpy ssememset fpdouble fpmix; do
	# ember: the ROM with no call, then with $calls; their instruction counts.
	for r in 0 $calls; do
		insns=$("$B/work64" patch "$B/work64.rom" "$tmp/$w-$r.rom" $w $count $r | field insns)
		timeout 60 build/ember run --accel emu --mem 128M --serial stdio --stats \
			--bios "$tmp/$w-$r.rom" >"$tmp/emu-$r.out" 2>"$tmp/emu-$r.err"
	done
	n0=$(sed -n 's/^ *insns long64 *\([0-9]*\)$/\1/p' "$tmp/emu-0.err")
	n=$(sed -n 's/^ *insns long64 *\([0-9]*\)$/\1/p' "$tmp/emu-$calls.err")
	emu=$(result "$tmp/emu-$calls.out")
	why=
	if [ -z "$emu" ]; then
		why="ember printed no result: $(grep -m1 -v '^ ' "$tmp/emu-$calls.err")"
	elif [ -z "$n" ] || [ -z "$n0" ] || [ $((n - n0)) -ne "$insns" ]; then
		why="ember counted $((${n:-0} - ${n0:-0})) long-mode instructions for $calls calls, the program runs $insns"
	fi
	oracles=()
	if [ $qemu = yes ]; then
		timeout 60 qemu-system-x86_64 -accel tcg -machine pc -m 128 -nodefaults -display none \
			-monitor none -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 \
			-bios "$tmp/$w-$calls.rom" >"$tmp/tcg.out" 2>&1 </dev/null
		tcg=$(result "$tmp/tcg.out")
		[ -z "$why" ] && [ "$tcg" != "$emu" ] && why="ember emu $emu, QEMU TCG ${tcg:-no result}"
		oracles+=("QEMU TCG")
	fi
	if [ $native = yes ]; then
		"$B/work64" run "$B/work64.rom" $w $count $calls >"$tmp/native.out" 2>"$tmp/native.err"
		host=$(result "$tmp/native.out")
		[ -z "$why" ] && [ "$host" != "$emu" ] && why="ember emu $emu, host CPU ${host:-no result}"
		oracles+=("the host CPU")
	fi
	if [ $kvm = yes ]; then
		timeout 60 build/ember run --accel kvm --mem 128M --serial stdio \
			--bios "$tmp/$w-$calls.rom" >"$tmp/kvm.out" 2>/dev/null
		k=$(result "$tmp/kvm.out")
		[ -z "$why" ] && [ "$k" != "$emu" ] && why="ember emu $emu, KVM ${k:-no result}"
		oracles+=("KVM")
	fi
	if [ -n "$why" ]; then
		echo "FAIL bench_rom $w: $why"
	else
		echo "PASS bench_rom $w: ember emu agrees with $(IFS=,; echo "${oracles[*]}" | sed 's/,/, /g') (result $emu), and counted the $insns instructions of $calls calls"
	fi
done
