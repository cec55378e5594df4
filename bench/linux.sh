#!/usr/bin/env bash
# bench/linux.sh - Debian's kernel (scripts/fetch-guest.sh) booted to /init
# and to power-off by ember's emulator and by QEMU's TCG (-M pc -cpu max:
# the same kernel, initramfs and command line; -M microvm did not reach
# /init within 200 s on this project's machine) in the same run: the PVH
# vmlinux and the bzImage, 1 and 2 vCPUs.  Prints wall seconds to the /init
# banner and to the end, the ratio to TCG, the guest instructions ember
# retired and the share of the boot its vCPUs spent halted (--stats).  Part
# of `make bench` (bench/run.sh); runs alone too.  Timings are never
# asserted; a boot that fails prints FAIL and makes the exit status 1.
# BENCH_REPS (default 1 here: a boot takes tens of seconds) sets repetitions.
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
reps=${BENCH_REPS_LINUX:-1}
for f in build/ember guest/vmlinux guest/vmlinuz guest/initramfs.cpio.gz; do
	[ -e "$f" ] || { echo "SKIP linux boot bench: $f missing (make, scripts/fetch-guest.sh)"; exit 0; }
done
append='console=ttyS0 quiet panic=-1 ember.cmd=true'
banner='ember guest: Linux'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# boot NAME CMD...: run CMD (a VM whose serial console is its stdout); print
# "init=SECONDS end=SECONDS" measured from the start to the /init banner and
# to the process's exit; the command's stderr goes to $tmp/NAME.err.
boot() {
	local name=$1; shift
	local t0 t_init=
	t0=$(date +%s.%N)
	while IFS= read -r line; do
		case $line in *"$banner"*) [ -z "$t_init" ] && t_init=$(date +%s.%N) ;; esac
		printf '%s\n' "$line" >>"$tmp/$name.out"
	done < <(timeout 600 "$@" </dev/null 2>"$tmp/$name.err")
	local t1
	t1=$(date +%s.%N)
	if [ -z "$t_init" ] || ! grep -q 'ember.cmd exit status: 0' "$tmp/$name.out"; then
		echo "FAIL linux boot bench $name: no /init banner or ember.cmd status" >&2
		tail -5 "$tmp/$name.out" "$tmp/$name.err" >&2
		failed=1
		return
	fi
	awk -v a="$t0" -v b="$t_init" -v c="$t1" 'BEGIN { printf "init=%.3f end=%.3f\n", b - a, c - a }'
}

have_qemu=no
command -v qemu-system-x86_64 >/dev/null && have_qemu=yes
[ $have_qemu = no ] && echo "SKIP TCG column: qemu-system-x86_64 not installed"
printf '%-16s %5s | %9s %9s | %9s %9s | %7s %7s | %14s %8s\n' entry vcpus \
	"emu init" "emu end" "tcg init" "tcg end" "x init" "x end" "insns retired" "halted"
for kernel in vmlinux vmlinuz; do
	entry=$([ $kernel = vmlinux ] && echo "PVH vmlinux" || echo "bzImage")
	for cpus in 1 2; do
		: >"$tmp/e" && : >"$tmp/q"
		for ((i = 0; i < reps; i++)); do
			name=emu-$kernel-$cpus-$i
			boot "$name" build/ember run --accel emu --cpus "$cpus" --mem 512M --stats \
				--serial stdio --kernel "guest/$kernel" --initrd guest/initramfs.cpio.gz \
				--append "$append" >>"$tmp/e"
			if [ $have_qemu = yes ]; then
				boot "tcg-$kernel-$cpus-$i" qemu-system-x86_64 -accel tcg -M pc \
					-cpu max -smp "$cpus" -m 512 -nodefaults -no-user-config -display none \
					-monitor none -serial stdio -no-reboot -kernel "guest/$kernel" \
					-initrd guest/initramfs.cpio.gz -append "$append" >>"$tmp/q"
			fi
		done
		ei=$(field init <"$tmp/e" | median) ee=$(field end <"$tmp/e" | median)
		qi=$(field init <"$tmp/q" | median) qe=$(field end <"$tmp/q" | median)
		err=$tmp/emu-$kernel-$cpus-0.err
		insns=$(grep -E '^ *insns ' "$err" 2>/dev/null | awk '{ s += $NF } END { print s + 0 }')
		ran=$(sed -n 's/^ *guest ran *\([0-9.]*\) ms.*/\1/p' "$err" 2>/dev/null)
		halted=$(sed -n 's/^ *halted *\([0-9.]*\) ms.*/\1/p' "$err" 2>/dev/null)
		share=-
		if [ -n "$ran" ]; then
			share=$(awk -v h="${halted:-0}" -v r="$ran" -v n="$cpus" \
				'BEGIN { printf "%.0f%%", 100 * h / (r * n) }')
		fi
		printf '%-16s %5s | %9s %9s | %9s %9s | %7s %7s | %14s %8s\n' "$entry" "$cpus" \
			"$(show "$ei")" "$(show "$ee")" "$(show "$qi")" "$(show "$qe")" \
			"$(ratio "$ei" "$qi")" "$(ratio "$ee" "$qe")" "$insns" "$share"
	done
done
echo "(seconds of wall time from start; x = ember / TCG; halted: guest time the vCPUs spent in HLT, of vCPUs x run time)"
exit $failed
