#!/usr/bin/env bash
# bench/rootfs.sh - boot of the Debian root disk (scripts/rootfs.sh) to its
# login prompt on ttyS0, ember's emulator (interpreter and translator)
# against QEMU's TCG (-M pc, the same chipset): the same kernel (the PVH vmlinux, BENCH_ROOTFS_KERNEL to
# change it), the default initramfs, a copy of the same image on virtio-blk,
# --net user on virtio-net and the same command line, in the same run.
# Timed on the host from the start of the process to the getty's
# "login: root (automatic login)" line; the VM is then stopped.  Median of
# BENCH_ROOTFS_REPS (default 1: a boot is minutes on the emulator).  Part of
# `make bench` (bench/run.sh); runs alone too.  Prints seconds and the ratio;
# never asserts a timing; exits 1 when a boot does not reach the prompt.
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
kernel=guest/${BENCH_ROOTFS_KERNEL:-vmlinux}
reps=${BENCH_ROOTFS_REPS:-1}
for f in build/ember "$kernel" guest/initramfs.cpio.gz; do
	[ -e "$f" ] || { echo "SKIP rootfs bench: $f missing (make, scripts/fetch-guest.sh)"; exit 0; }
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if ! scripts/rootfs.sh >"$out/rootfs.log" 2>&1; then
	echo "FAIL rootfs bench: scripts/rootfs.sh failed: $(tail -1 "$out/rootfs.log")"
	exit 1
fi
append="root=/dev/vda console=ttyS0 quiet panic=-1"

# login NAME LOG COMMAND...: seconds from the start of COMMAND to the
# autologin line in LOG (its serial console), or nothing after 900 s.
login() {
	local log=$2 t0 t1 pid
	shift 2
	: >"$log"
	t0=$(date +%s.%N)
	"$@" </dev/null >/dev/null 2>"$log.err" &
	pid=$!
	t1=
	for _ in $(seq 9000); do
		if grep -q 'login: root (automatic login)' "$log"; then
			t1=$(date +%s.%N)
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ -n "$t1" ] && awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
}

echo "Debian root disk to its login prompt (${kernel#guest/}, --net user, median of $reps):"
e= j= q= failed=0
for r in $(seq "$reps"); do
	for mode in interp jit; do
		cp --sparse=always guest/rootfs.img "$out/disk.img"
		s=$(login ember "$out/ember.txt" build/ember run --accel emu --emu-mode $mode --mem 1G \
			--serial "file:$out/ember.txt" --kernel "$kernel" --initrd guest/initramfs.cpio.gz \
			--append "$append" --drive "file=$out/disk.img" --net user)
		if [ -z "$s" ]; then
			failed=1
			echo "FAIL rootfs bench ember $mode: no login prompt: $(tr -d '\r' <"$out/ember.txt" | tail -2 | tr '\n' '|')"
		elif [ $mode = interp ]; then e+="$s"$'\n'
		else j+="$s"$'\n'
		fi
	done
	if command -v qemu-system-x86_64 >/dev/null; then
		cp --sparse=always guest/rootfs.img "$out/disk.img"
		s=$(login qemu "$out/qemu.txt" qemu-system-x86_64 -M pc -accel tcg -m 1G -nodefaults \
			-display none -monitor none -serial "file:$out/qemu.txt" -no-reboot \
			-kernel "$kernel" -initrd guest/initramfs.cpio.gz -append "$append" \
			-drive "file=$out/disk.img,if=virtio,format=raw" \
			-netdev user,id=n0 -device virtio-net-pci,netdev=n0 -device virtio-rng-pci)
		if [ -n "$s" ]; then q+="$s"$'\n'; else failed=1; echo "FAIL rootfs bench qemu: no login prompt"; fi
	fi
done
em=$(printf '%s' "$e" | median)
jm=$(printf '%s' "$j" | median)
qm=$(printf '%s' "$q" | median)
printf '  %-30s %10s %10s %10s %10s %10s\n' "" "emu interp" "emu jit" "QEMU TCG" "interp/TCG" "jit/TCG"
printf '  %-30s %10s %10s %10s %10s %10s\n' "boot to the login prompt (s)" "${em:--}" "${jm:--}" "${qm:--}" \
	"$(ratio "$em" "$qm")" "$(ratio "$jm" "$qm")"
exit $failed
