#!/usr/bin/env bash
# bench/linux.sh - Debian's kernel (scripts/fetch-guest.sh) under ember's
# emulator (the interpreter and the translator, --emu-mode jit) and under QEMU's TCG (-M microvm -cpu max: the same kernel,
# initramfs and command line, plus tsc_early_khz for TCG, below) in the same
# run.  1. Boot to the /init banner and to power-off, the PVH vmlinux and the
# bzImage, 1 and 2 vCPUs: wall seconds, the ratios to TCG, the guest
# instructions ember retired, the share of the boot its vCPUs spent halted,
# and memory: each process's peak RSS and ember's own resident memory beyond
# the guest pages touched (--stats).  2. A user-space workload in the guest
# (bench/guestwork.sh, appended to the initramfs as a second archive):
# BENCH_GUEST_MIB (default 64) MiB of text made in tmpfs, then busybox
# sha256sum and gzip over it, timed inside the guest and as wall time; the
# guest's sha256 must be the host's and both engines' gzip output the same.
# microvm has no HPET and no ACPI PM timer: when the host preempts TCG during
# Linux's PIT calibration of the TSC (a loaded machine), the kernel finds no
# reference, marks the TSC unstable and hangs in APIC set-up; tsc_early_khz
# (the host's TSC rate, which is TCG's guest TSC) skips that calibration, as
# ember's CPUID leaf 0x15 does for ember.  Part of `make bench`
# (bench/run.sh); runs alone too.  Timings are never asserted; a boot that
# fails or a wrong digest prints FAIL and makes the exit status 1.
# BENCH_REPS_LINUX (default 1: a boot takes tens of seconds) sets repetitions.
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
reps=${BENCH_REPS_LINUX:-1}
mib=${BENCH_GUEST_MIB:-64}
for f in build/ember build/bench/measure guest/vmlinux guest/vmlinuz guest/initramfs.cpio.gz; do
	[ -e "$f" ] || { echo "SKIP linux boot bench: $f missing (make, scripts/fetch-guest.sh)"; exit 0; }
done
append='console=ttyS0 quiet panic=-1'
banner='ember guest: Linux'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
tsc_khz=$(build/bench/measure --tsc-khz)

# boot NAME CMD...: run CMD (a VM whose serial console is its stdout) under
# bench/measure; print "init=SECONDS end=SECONDS rss=MIB" measured from the
# start to the /init banner and to the process's exit, and its peak RSS; the
# console goes to $tmp/NAME.out, stderr to $tmp/NAME.err.
boot() {
	local name=$1; shift
	local t0 t_init=
	t0=$(date +%s.%N)
	while IFS= read -r line; do
		case $line in *"$banner"*) [ -z "$t_init" ] && t_init=$(date +%s.%N) ;; esac
		printf '%s\n' "$line" >>"$tmp/$name.out"
	done < <(timeout 1800 build/bench/measure "$@" </dev/null 2>"$tmp/$name.err")
	local t1
	t1=$(date +%s.%N)
	if [ -z "$t_init" ] || ! grep -q 'ember.cmd exit status: 0' "$tmp/$name.out"; then
		echo "FAIL linux boot bench $name: no /init banner or ember.cmd status" >&2
		tail -5 "$tmp/$name.out" "$tmp/$name.err" >&2
		failed=1
		return
	fi
	local kib
	kib=$(field maxrss_kib <"$tmp/$name.err")
	awk -v a="$t0" -v b="$t_init" -v c="$t1" -v k="${kib:-0}" \
		'BEGIN { printf "init=%.3f end=%.3f rss=%.1f\n", b - a, c - a, k / 1024 }'
}
# ember's emulator and QEMU's TCG peer, before their per-run arguments.
ember=(build/ember run --accel emu --mem 512M --stats --serial stdio)
tcg=(qemu-system-x86_64 -accel tcg -M microvm -cpu max -m 512 -nodefaults -no-user-config
	-display none -monitor none -serial stdio -no-reboot)
# tcg_append APPEND: APPEND ends with ember.cmd=, which must stay last, so
# tsc_early_khz goes before it.
tcg_append() { printf '%s' "${1/ember.cmd=/tsc_early_khz=$tsc_khz ember.cmd=}"; }
# own NAME: ember's resident MiB beyond the guest memory, from --stats.
own() { sed -n "s/.*ember's own \([0-9.]*\).*/\1/p" "$tmp/$1.err" 2>/dev/null; }

have_qemu=no
command -v qemu-system-x86_64 >/dev/null && have_qemu=yes
[ $have_qemu = no ] && echo "SKIP TCG column: qemu-system-x86_64 not installed"
echo "Boot to power-off (ember.cmd=true); host TSC $tsc_khz kHz:"
printf '%-12s %5s | %8s %8s | %8s %8s | %8s %8s | %6s %6s %6s | %13s %6s | %7s %7s %7s %7s\n' \
	entry vcpus "emu init" "emu end" "jit init" "jit end" "tcg init" "tcg end" "x init" "x end" \
	"xjit" "insns retired" "halted" "emu RSS" "own" "jit RSS" "tcg RSS"
for kernel in vmlinux vmlinuz; do
	entry=$([ $kernel = vmlinux ] && echo "PVH vmlinux" || echo "bzImage")
	for cpus in 1 2; do
		: >"$tmp/e" && : >"$tmp/j" && : >"$tmp/q"
		for ((i = 0; i < reps; i++)); do
			name=emu-$kernel-$cpus-$i
			boot "$name" "${ember[@]}" --emu-mode interp --cpus "$cpus" --kernel "guest/$kernel" \
				--initrd guest/initramfs.cpio.gz --append "$append ember.cmd=true" >>"$tmp/e"
			boot "jit-$kernel-$cpus-$i" "${ember[@]}" --emu-mode jit --cpus "$cpus" \
				--kernel "guest/$kernel" --initrd guest/initramfs.cpio.gz \
				--append "$append ember.cmd=true" >>"$tmp/j"
			[ $have_qemu = yes ] && boot "tcg-$kernel-$cpus-$i" "${tcg[@]}" -smp "$cpus" \
				-kernel "guest/$kernel" -initrd guest/initramfs.cpio.gz \
				-append "$(tcg_append "$append ember.cmd=true")" >>"$tmp/q"
		done
		ei=$(field init <"$tmp/e" | median) ee=$(field end <"$tmp/e" | median)
		ji=$(field init <"$tmp/j" | median) je=$(field end <"$tmp/j" | median)
		qi=$(field init <"$tmp/q" | median) qe=$(field end <"$tmp/q" | median)
		er=$(field rss <"$tmp/e" | median) qr=$(field rss <"$tmp/q" | median)
		jr=$(field rss <"$tmp/j" | median)
		err=$tmp/emu-$kernel-$cpus-0.err
		insns=$(grep -E '^ *insns ' "$err" 2>/dev/null | awk '{ s += $NF } END { printf "%.0f\n", s }')
		ran=$(sed -n 's/^ *guest ran *\([0-9.]*\) ms.*/\1/p' "$err" 2>/dev/null)
		halted=$(sed -n 's/^ *halted *\([0-9.]*\) ms.*/\1/p' "$err" 2>/dev/null)
		share=-
		if [ -n "$ran" ]; then
			share=$(awk -v h="${halted:-0}" -v r="$ran" -v n="$cpus" \
				'BEGIN { printf "%.0f%%", 100 * h / (r * n) }')
		fi
		printf '%-12s %5s | %8s %8s | %8s %8s | %8s %8s | %6s %6s %6s | %13s %6s | %7s %7s %7s %7s\n' \
			"$entry" "$cpus" "$(show "$ei")" "$(show "$ee")" "$(show "$ji")" "$(show "$je")" \
			"$(show "$qi")" "$(show "$qe")" "$(ratio "$ei" "$qi")" "$(ratio "$ee" "$qe")" \
			"$(ratio "$je" "$qe")" "$insns" "$share" "${er:--}" "$(own "emu-$kernel-$cpus-0")" \
			"${jr:--}" "${qr:--}"
	done
done
echo "(seconds of wall time from start; emu: the interpreter, jit: the translator (--emu-mode jit);"
echo " x = emu / TCG to the banner and to the end, xjit = jit / TCG to the end; halted: guest time the vCPUs spent in HLT,"
echo " of vCPUs x run time; RSS: peak resident MiB of the process; own: ember's resident MiB"
echo " beyond the guest pages touched, at power-off)"

# The user-space workload: the same initramfs plus /guestwork.sh.
mkdir "$tmp/extra"
cp bench/guestwork.sh "$tmp/extra/guestwork.sh"
(cd "$tmp/extra" && echo guestwork.sh | cpio -o -H newc 2>/dev/null | gzip -1) >"$tmp/extra.cpio.gz"
cat guest/initramfs.cpio.gz "$tmp/extra.cpio.gz" >"$tmp/initrd.gz"
seq 1 140000 >"$tmp/seed"
n=$((mib * 1048576 / $(wc -c <"$tmp/seed") + 1))
want=$(for ((i = 0; i < n; i++)); do cat "$tmp/seed"; done | head -c $((mib * 1048576)) | sha256sum)
want=${want%% *}
work="$append ember.cmd=sh /guestwork.sh $mib"
: >"$tmp/wq"
boot work-emu "${ember[@]}" --emu-mode interp --kernel guest/vmlinux --initrd "$tmp/initrd.gz" --append "$work" >"$tmp/we"
boot work-jit "${ember[@]}" --emu-mode jit --kernel guest/vmlinux --initrd "$tmp/initrd.gz" \
	--append "$work" >"$tmp/wj"
[ $have_qemu = yes ] && boot work-tcg "${tcg[@]}" -kernel guest/vmlinux -initrd "$tmp/initrd.gz" \
	-append "$(tcg_append "$work")" >"$tmp/wq"
# step NAME STEP [COLUMN]: a guestwork line's field (2: seconds), or empty.
step() { tr -d '\r' <"$tmp/$1.out" 2>/dev/null | awk -v s="$2" -v c="${3:-3}" '$1 == "guestwork:" && $2 == s { print $c }'; }
echo
echo "User space in the guest: busybox over $mib MiB in tmpfs (PVH vmlinux, 1 vCPU; seconds):"
row='%-34s | %9s | %9s | %9s | %7s %7s\n'
printf "$row" step "ember emu" "ember jit" "QEMU TCG" "x emu" "x jit"
for s in make sha256sum gzip; do
	e=$(step work-emu $s) j=$(step work-jit $s) q=$(step work-tcg $s)
	printf "$row" "$s (guest time)" "${e:--}" "${j:--}" "${q:--}" "$(ratio "$e" "$q")" "$(ratio "$j" "$q")"
done
e=$(field end <"$tmp/we") j=$(field end <"$tmp/wj") q=$(field end <"$tmp/wq")
printf "$row" "boot, all three, power-off (wall)" "$(show "$e")" "$(show "$j")" "$(show "$q")" \
	"$(ratio "$e" "$q")" "$(ratio "$j" "$q")"
e=$(field rss <"$tmp/we") j=$(field rss <"$tmp/wj") q=$(field rss <"$tmp/wq")
printf "$row" "peak RSS (MiB)" "${e:--}" "${j:--}" "${q:--}" "$(ratio "$e" "$q")" "$(ratio "$j" "$q")"
printf "$row" "ember's own resident (MiB)" "$(own work-emu)" "$(own work-jit)" "" "" ""
for eng in emu jit tcg; do
	[ -s "$tmp/work-$eng.out" ] || continue
	got=$(step "work-$eng" sha256sum 4)
	if [ "$got" != "$want" ]; then
		echo "FAIL guestwork $eng: sha256 '$got', the host computes $want"
		failed=1
	fi
done
if [ -s "$tmp/work-tcg.out" ] &&
	[ "$(step work-emu gzip 4)/$(step work-emu gzip 5)" != "$(step work-tcg gzip 4)/$(step work-tcg gzip 5)" ]; then
	echo "FAIL guestwork: gzip output differs: ember $(step work-emu gzip 4) bytes, TCG $(step work-tcg gzip 4)"
	failed=1
fi
if [ -s "$tmp/work-jit.out" ] &&
	[ "$(step work-emu gzip 4)/$(step work-emu gzip 5)" != "$(step work-jit gzip 4)/$(step work-jit gzip 5)" ]; then
	echo "FAIL guestwork: gzip output differs: interpreter $(step work-emu gzip 4) bytes, translator $(step work-jit gzip 4)"
	failed=1
fi
exit $failed
