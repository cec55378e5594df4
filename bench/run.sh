#!/usr/bin/env bash
# bench/run.sh - ember's benchmarks (`make bench`), each measured in the same
# run against peers: bench/rawkvm.c (the smallest KVM program running the
# same ROM), QEMU with KVM and QEMU's TCG; then bench/work64.sh, the
# emulator's speed workloads against the host CPU and TCG, and
# bench/linux.sh, Debian's boot on the emulator against TCG, bench/net.sh,
# throughput through --net user against TCG's -netdev user, bench/blk.sh,
# disk throughput and IOPS in that guest against TCG, and bench/seabios.sh,
# SeaBIOS booting that kernel from fw_cfg against TCG -M pc, and
# bench/rootfs.sh, the Debian root disk's boot to its login prompt against
# TCG.  Prints tables
# of medians and ratios.  Never asserts a timing: targets are printed for the
# reader, not checked; exits 1 when work64.sh finds a wrong result or a
# Linux boot fails.
# BENCH_REPS (default 5) sets the repetitions per measurement.
set -u
cd "$(dirname "$0")/.."
B=build/bench
reps=${BENCH_REPS:-5}
pio_exits=50001 # bench/pio.S: PIO_COUNT writes to port 80h + the exit write
emu_exits=$((64 * 50000 + 1)) # bench/pio64.S
for f in "$B/rawkvm" "$B/measure" "$B/exit.rom" "$B/pio.rom" "$B/pio64.rom"; do
	[ -e "$f" ] || { echo "bench: $f missing: run make" >&2; exit 2; }
done

. bench/lib.sh

host=$(grep -qwE 'vmx|svm' /proc/cpuinfo && echo "hardware KVM" || echo "software KVM (PVM: no vmx/svm)")
if [ ! -c /dev/kvm ]; then
	echo "SKIP KVM benchmarks: /dev/kvm is absent"
	bench/work64.sh
	w=$?
	bench/linux.sh || w=1
	bench/net.sh || w=1
	bench/blk.sh || w=1
	bench/seabios.sh || w=1
	bench/rootfs.sh || w=1
	exit $w
fi
echo "ember benchmarks: median of $reps runs; host: $host, $(nproc) CPUs"

ember_ok=no
if [ -x build/ember ] && build/ember --help 2>&1 | grep -q -- '--accel'; then
	ember_ok=yes
fi
ember_run=(build/ember run --accel kvm --mem 128M --serial none --stats --bios)
emu_run=(build/ember run --accel emu --emu-mode interp --mem 128M --serial none --stats --bios)
tcg_run=(qemu-system-x86_64 -accel tcg -machine pc -m 128 -nodefaults -display none
	-monitor none -serial none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 -bios)
qemu_ok=no
qemu_run=(qemu-system-x86_64 -accel kvm -cpu host,-arch-capabilities -machine pc -m 128
	-nodefaults -display none -monitor none -serial none -no-reboot
	-device isa-debug-exit,iobase=0xf4,iosize=4 -bios)
command -v qemu-system-x86_64 >/dev/null && "${qemu_run[@]}" "$B/exit.rom" 2>/dev/null
[ $? -eq 1 ] && qemu_ok=yes

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# sample NAME CMD...: run CMD under measure, append measure's and the
# command's own key=value output to $tmp/NAME.
sample() {
	local name=$1; shift
	"$B/measure" "$@" >"$tmp/out" 2>"$tmp/err"
	tr '\n' ' ' <"$tmp/out" >>"$tmp/$name"
	# ember --stats: "start to first run X ms wall, Y ms CPU", "guest ran Z ms"
	sed -n 's/.*start to first run \([0-9.]*\) ms wall, \([0-9.]*\) ms CPU.*/first_run_wall_ms=\1 first_run_cpu_ms=\2/p;
		s/.*guest ran *\([0-9.]*\) ms.*/guest_ms=\1/p' "$tmp/err" | tr '\n' ' ' >>"$tmp/$name"
	grep 'wall_ms=' "$tmp/err" | tail -1 >>"$tmp/$name"
}
for ((i = 0; i < reps; i++)); do
	sample raw_exit "$B/rawkvm" "$B/exit.rom"
	sample raw_pio "$B/rawkvm" "$B/pio.rom"
	if [ $ember_ok = yes ]; then
		sample ember_exit "${ember_run[@]}" "$B/exit.rom"
		sample ember_pio "${ember_run[@]}" "$B/pio.rom"
		sample emu_exit "${emu_run[@]}" "$B/exit.rom"
		sample emu_pio "${emu_run[@]}" "$B/pio64.rom"
	fi
	if command -v qemu-system-x86_64 >/dev/null; then
		sample tcg_exit "${tcg_run[@]}" "$B/exit.rom"
		sample tcg_pio "${tcg_run[@]}" "$B/pio64.rom"
	fi
	if [ $qemu_ok = yes ]; then
		sample qemu_exit "${qemu_run[@]}" "$B/exit.rom"
		sample qemu_pio "${qemu_run[@]}" "$B/pio.rom"
	fi
done
# med NAME KEY: the median of KEY over NAME's samples.
med() { [ -f "$tmp/$1" ] && while read -r l; do echo "$l" | field "$2"; done <"$tmp/$1" | median; }

row() { printf '| %-44s | %9s | %9s | %7s | %9s | %-9s |\n' "$@"; }
row "metric" "ember" "raw KVM" "ratio" "QEMU/KVM" "target"
row "--------------------------------------------" "---------" "---------" "-------" "---------" "---------"

e=$(med ember_exit wall_ms) r=$(med raw_exit wall_ms) q=$(med qemu_exit wall_ms)
row "process run, ROM that exits at once (ms)" "$(show "$e")" "$(show "$r")" "$(ratio "$e" "$r")" "$(show "$q")" ""
e=$(med ember_exit first_run_wall_ms) r=$(med raw_exit first_run_wall_ms)
row "start to first KVM_RUN, wall (ms)" "$(show "$e")" "$(show "$r")" "$(ratio "$e" "$r")" "" "<= 5"
e=$(med ember_exit first_run_cpu_ms) r=$(med raw_exit first_run_cpu_ms)
row "start to first KVM_RUN, process CPU (ms)" "$(show "$e")" "$(show "$r")" "$(ratio "$e" "$r")" "" "<= 5"
e=$(med ember_exit maxrss_kib) r=$(med raw_exit maxrss_kib) q=$(med qemu_exit maxrss_kib)
mib() { [ -n "$1" ] && awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }' || echo -; }
row "peak RSS, ROM that exits at once (MiB)" "$(mib "$e")" "$(mib "$r")" "$(ratio "$e" "$r")" "$(mib "$q")" ""
d=; [ -n "$e" ] && [ -n "$r" ] && d=$((e - r))
row "  ember's RSS beyond raw KVM's (MiB)" "$(mib "$d")" "" "" "" "<= 5"
e=$(med ember_pio guest_ms) r=$(med raw_pio ns_per_exit)
[ -n "$e" ] && e=$(awk -v ms="$e" -v n=$pio_exits 'BEGIN { printf "%.3f", ms * 1000 / n }')
[ -n "$r" ] && r=$(awk -v ns="$r" 'BEGIN { printf "%.3f", ns / 1000 }')
q=
if [ $qemu_ok = yes ]; then
	qp=$(med qemu_pio wall_ms) qe=$(med qemu_exit wall_ms)
	q=$(awk -v p="$qp" -v x="$qe" -v n=$pio_exits 'BEGIN { printf "%.3f", (p - x) * 1000 / n }')
fi
row "port-I/O exit round trip, real mode (us)" "$(show "$e")" "$(show "$r")" "$(ratio "$e" "$r")" "$(show "$q")" "<= 1.10x"
echo
echo "The emulator engine against QEMU's TCG (same ROMs; no KVM involved):"
row "metric" "ember emu" "QEMU TCG" "ratio" "" ""
row "--------------------------------------------" "---------" "---------" "-------" "" ""
e=$(med emu_exit wall_ms) q=$(med tcg_exit wall_ms)
row "process run, ROM that exits at once (ms)" "$(show "$e")" "$(show "$q")" "$(ratio "$e" "$q")" "" ""
e=$(med emu_exit maxrss_kib) q=$(med tcg_exit maxrss_kib)
row "peak RSS, ROM that exits at once (MiB)" "$(mib "$e")" "$(mib "$q")" "$(ratio "$e" "$q")" "" ""
e=$(med emu_pio wall_ms) x=$(med emu_exit wall_ms) qp=$(med tcg_pio wall_ms) qe=$(med tcg_exit wall_ms)
per() { [ -n "$1" ] && [ -n "$2" ] && awk -v p="$1" -v x="$2" -v n=$emu_exits 'BEGIN { printf "%.3f", (p - x) * 1000 / n }'; }
e=$(per "$e" "$x") q=$(per "$qp" "$qe")
row "port-I/O loop iteration, real mode (us)" "$(show "$e")" "$(show "$q")" "$(ratio "$e" "$q")" "" ""
echo
if grep -qwE 'vmx|svm' /proc/cpuinfo && ! grep -q '^kvm_pvm ' /proc/modules; then
	# Boot the default guest to /init and power off (ember.cmd=true).
	if [ -f guest/vmlinux ] && [ -f guest/initramfs.cpio.gz ] && [ $ember_ok = yes ]; then
		boot=(-kernel guest/vmlinux -initrd guest/initramfs.cpio.gz
			-append "console=ttyS0 quiet reboot=k panic=-1 ember.cmd=true")
		for ((i = 0; i < reps; i++)); do
			sample ember_boot build/ember run --accel kvm --mem 512M --serial none \
				"${boot[@]/#-/--}"
			command -v qemu-system-x86_64 >/dev/null &&
				sample qemu_boot qemu-system-x86_64 -M microvm -accel kvm -cpu host -m 512 \
					-nodefaults -no-user-config -display none -serial none -no-reboot "${boot[@]}"
		done
		e=$(med ember_boot wall_ms) q=$(med qemu_boot wall_ms)
		row "boot to /init and power off, vmlinux (ms)" "$(show "$e")" "" "" "$(show "$q")" ""
		echo "  (QEMU column: -M microvm with KVM)"
	else
		echo "SKIP boot to /init: needs guest/ (make guest) and 'ember run'"
	fi
else
	echo "SKIP boot to /init (default guest vs QEMU microvm): KVM here is software (PVM),"
	echo "     guest kernel code is emulated at ~1.5M insn/s; needs hardware virtualization"
fi
[ $ember_ok = yes ] || echo "SKIP ember columns: 'ember run' is not on main yet"
[ $qemu_ok = yes ] || echo "SKIP QEMU/KVM column: qemu-system-x86_64 with -accel kvm did not run here"
echo "Notes: ember's first-run times come from --stats (vm_create to the first KVM_RUN),"
echo "raw KVM's from main() to the first KVM_RUN; process CPU includes exec and loading."
echo "Round trip = the guest's run time / $pio_exits exits (QEMU: (pio - exit) process wall / exits);"
echo "it includes the in-kernel emulation of the loop's instructions, the same for every column."
echo "Emulator rows: (pio64 - exit) process wall / $emu_exits, i.e. one OUT + LOOP iteration each."
echo
bench/work64.sh
w=$?
echo
bench/linux.sh || w=1
echo
bench/net.sh || w=1
echo
bench/blk.sh || w=1
echo
bench/seabios.sh || w=1
echo
bench/rootfs.sh || w=1
exit $w
