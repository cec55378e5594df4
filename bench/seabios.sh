#!/usr/bin/env bash
# bench/seabios.sh - Debian's SeaBIOS booting Debian's kernel from fw_cfg
# (--bios with --kernel: SeaBIOS's POST, then ember's option ROM) under
# ember's emulator (the interpreter, and --emu-mode jit, which translates
# only 64-bit code: the firmware and the kernel's real-mode setup stay
# interpreted) and under QEMU's TCG (-M pc: the same bios.bin, kernel,
# initramfs and command line, QEMU's own loader ROM) in the same run: wall
# seconds from the start to "Booting from ROM..." (reset vector to the kernel
# loader: SeaBIOS's whole POST), to the /init banner and to power-off
# (ember.cmd=true), and the ratios to TCG; then the instructions ember retired
# in each CPU mode (--stats, interpreter's first run).  Part of `make bench`
# (bench/run.sh); runs alone too.  BENCH_REPS_SEABIOS (default 1) sets the
# repetitions (medians).  Timings are never asserted; a boot that fails
# prints FAIL and makes the exit status 1.
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
reps=${BENCH_REPS_SEABIOS:-1}
bios=/usr/share/seabios/bios.bin
for f in build/ember guest/vmlinuz guest/initramfs.cpio.gz "$bios"; do
	[ -e "$f" ] || { echo "SKIP seabios boot bench: $f missing (make, scripts/fetch-guest.sh)"; exit 0; }
done
append='console=ttyS0 quiet panic=-1 ember.cmd=true'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# boot NAME CMD...: run CMD (serial console on stdout, stderr to
# $tmp/NAME.err); print "rom=S init=S end=S": seconds from the start to
# "Booting from ROM", to the /init banner and to the process's exit.
boot() {
	local name=$1; shift
	local t0 t_rom= t_init=
	t0=$(date +%s.%N)
	# Both may come on one line: QEMU's loader ROM starts the kernel before
	# SeaBIOS's serial console has sent the line end (ember's ROM waits for
	# the timer tick that sends it, fw/linuxboot.S).
	while IFS= read -r line; do
		[[ -z $t_rom && $line == *"Booting from ROM"* ]] && t_rom=$(date +%s.%N)
		[[ -z $t_init && $line == *"ember guest: Linux"* ]] && t_init=$(date +%s.%N)
		printf '%s\n' "$line" >>"$tmp/$name.out"
	done < <(timeout 900 "$@" </dev/null 2>"$tmp/$name.err")
	local t1
	t1=$(date +%s.%N)
	if [ -z "$t_rom" ] || [ -z "$t_init" ] || ! grep -q 'ember.cmd exit status: 0' "$tmp/$name.out"; then
		echo "FAIL seabios boot bench $name: no 'Booting from ROM', /init banner or ember.cmd status" >&2
		tail -n 5 "$tmp/$name.out" "$tmp/$name.err" >&2
		failed=1
		return
	fi
	awk -v a="$t0" -v r="$t_rom" -v b="$t_init" -v c="$t1" \
		'BEGIN { printf "rom=%.3f init=%.3f end=%.3f\n", r - a, b - a, c - a }'
}

ember=(build/ember run --accel emu --mem 256M --serial stdio --bios "$bios"
	--kernel guest/vmlinuz --initrd guest/initramfs.cpio.gz --append "$append")
have_qemu=no
command -v qemu-system-x86_64 >/dev/null && have_qemu=yes
[ $have_qemu = no ] && echo "SKIP TCG column: qemu-system-x86_64 not installed"
: >"$tmp/e" && : >"$tmp/j" && : >"$tmp/q"
for ((i = 0; i < reps; i++)); do
	boot "emu-$i" "${ember[@]}" --emu-mode interp --stats >>"$tmp/e"
	boot "jit-$i" "${ember[@]}" --emu-mode jit >>"$tmp/j"
	[ $have_qemu = yes ] && boot "tcg-$i" qemu-system-x86_64 -M pc -accel tcg -m 256 -nodefaults \
		-no-user-config -nographic -serial stdio -monitor none -no-reboot -bios "$bios" \
		-kernel guest/vmlinuz -initrd guest/initramfs.cpio.gz -append "$append" >>"$tmp/q"
done
echo "SeaBIOS + bzImage from fw_cfg, 256 MiB, 1 vCPU; median of $reps (wall seconds from the start):"
printf '%-26s | %8s %8s %8s | %7s %7s\n' "to" emu jit tcg emu/tcg jit/tcg
for row in "rom:'Booting from ROM'" "init:/init banner" "end:power-off"; do
	key=${row%%:*} what=${row#*:}
	e=$(field "$key" <"$tmp/e" | median) j=$(field "$key" <"$tmp/j" | median)
	q=$(field "$key" <"$tmp/q" | median)
	printf '%-26s | %8s %8s %8s | %7s %7s\n' "$what" "$(show "$e")" "$(show "$j")" \
		"$(show "$q")" "$(ratio "$e" "$q")" "$(ratio "$j" "$q")"
done
if [ -s "$tmp/emu-0.err" ]; then
	echo "instructions ember retired by CPU mode (emu, whole run: SeaBIOS, the ROM, Linux):"
	grep -E '^ *(insns |of them big real)' "$tmp/emu-0.err"
fi
exit $failed
