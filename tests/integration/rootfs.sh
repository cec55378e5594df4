#!/usr/bin/env bash
# rootfs.sh - the Debian root disk (scripts/rootfs.sh) boots on ember
# through the default initramfs (root=/dev/vda: Debian's virtio and ext4
# modules, then switch_root to systemd) to the root shell on ttyS0, ssh
# reaches it by key through --net user's host forward, and poweroff from the
# shell ends ember with status 0 (systemd's shutdown, then ACPI S5).  The
# boot gets its own copy of the image.  If ember fails, QEMU's TCG boots the
# same disk the same way: the oracle that says whose fault it is.
set -u
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if ! scripts/fetch-guest.sh >"$out/fetch.log" 2>&1; then
	echo "SKIP rootfs: scripts/fetch-guest.sh failed (apt unreachable?): $(tail -1 "$out/fetch.log")"
	exit 0
fi
# The image is built once and kept (guest/.rootfs-stamp): minutes on a
# clean clone, a second afterwards.  Only a repository that cannot be
# reached is a host limit; any other failure of the build is a failure.
t0=$SECONDS
if ! scripts/rootfs.sh >"$out/rootfs.log" 2>&1; then
	if grep -qE 'Failed to fetch|Temporary failure resolving|Could not resolve|Unable to connect|Network is unreachable' "$out/rootfs.log"; then
		echo "SKIP rootfs: the Debian repositories are unreachable: $(grep -m1 -E 'Failed to fetch|resolv|connect|unreachable' "$out/rootfs.log")"
	else
		echo "FAIL rootfs build: scripts/rootfs.sh failed: $(tail -1 "$out/rootfs.log")"
		tail -20 "$out/rootfs.log" >&2
	fi
	exit 0
fi
echo "PASS rootfs build: $(tail -1 "$out/rootfs.log" | sed 's/^rootfs: //') ($((SECONDS - t0)) s)"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# boot NAME COMMAND...: run the VM (its serial console on stdio), wait for
# the autologin shell, run a command in it, ssh in, power off.  $port is the
# host port forwarded to the guest's 22.
boot() {
	local name=$1 log=$out/${1// /-}.txt file=$out/${1// /-}
	shift
	: >"$log"
	local t0 t1 line shell=no ssh=no sent=0 pid rc
	boot_ok=no
	t0=$(date +%s.%N)
	coproc VM { exec timeout 900 "$@" 2>&1; }
	local start=$SECONDS
	pid=$VM_PID
	exec {vin}<&"${VM[0]}" {vout}>&"${VM[1]}"
	# The prompt has no newline: after the autologin line, type the command
	# until its output comes back (login may flush what came too early).
	while :; do
		if IFS= read -r -t 5 line <&"$vin"; then
			printf '%s\n' "$line" >>"$log"
		elif [ $? -le 128 ]; then
			break # end of output: the VM is gone
		fi
		case $line in
		*"rootfs-42 "*)
			[ "$shell" = no ] && t1=$(date +%s.%N)
			shell=yes
			;;
		esac
		if [ "$shell" = no ] && [ $((SECONDS - start)) -gt 600 ]; then
			echo "rootfs.sh: no shell after 600 s, stopping the VM" >>"$log"
			kill "$pid" 2>/dev/null
		fi
		if [ "$shell" = no ] && grep -q 'root (automatic login)' "$log" && [ "$sent" -lt 30 ]; then
			printf 'echo rootfs-$((40 + 2)) $(cat /etc/debian_version) $(findmnt -no SOURCE,FSTYPE /)\n' >&"$vout"
			sent=$((sent + 1))
			line=
		fi
		if [ "$shell" = yes ] && [ "$ssh" = no ]; then
			for i in $(seq 20); do
				if ssh -i guest/rootfs_key -p "$port" -o BatchMode=yes -o ConnectTimeout=10 \
					-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
					root@127.0.0.1 'echo ssh-$((6 * 7)) $(hostname) $(ip -4 -o addr show scope global | awk "{ print \$2, \$4 }")' \
					>"$file.ssh" 2>&1 </dev/null && grep -q '^ssh-42 ember .* 10\.0\.2\.15/24' "$file.ssh"; then
					ssh=yes
					break
				fi
				sleep 2
			done
			printf 'poweroff\n' >&"$vout"
		fi
	done
	wait "$pid"
	rc=$?
	exec {vin}<&- {vout}>&-
	local secs
	secs=$(awk -v a="$t0" -v b="${t1:-$t0}" 'BEGIN { printf "%.1f", b - a }')
	local said
	said=$(tr -d '\r' <"$log" | sed -n 's/.*\(rootfs-42 .*\)/\1/p' | head -1)
	if [ "$shell" = yes ]; then
		echo "PASS rootfs $name shell: the root shell on ttyS0 in $secs s: $said"
	else
		echo "FAIL rootfs $name shell: no root shell on the serial console (exit status $rc)"
		tr -d '\r' <"$log" | tail -25 >&2
		return
	fi
	if [ "$ssh" = yes ]; then
		echo "PASS rootfs $name ssh: ssh -p $port root@127.0.0.1 by key reached host 'ember' with networkd's DHCP lease from slirp: $(head -1 "$file.ssh")"
	else
		echo "FAIL rootfs $name ssh: ssh -p $port by key failed: $(tail -1 "$file.ssh")"
	fi
	if [ "$rc" -eq 0 ]; then
		echo "PASS rootfs $name poweroff: systemd's shutdown ended the VM with exit status 0"
		[ "$ssh" = yes ] && boot_ok=yes
	else
		echo "FAIL rootfs $name poweroff: exit status $rc"
		tr -d '\r' <"$log" | tail -10 >&2
	fi
}

# cryptomgr.notests: the kernel's crypto self-tests are half of its boot on
# the emulator and nothing this test is about.
append="root=/dev/vda console=ttyS0 quiet panic=-1 cryptomgr.notests"
if [ ! -x build/ember ]; then
	echo "FAIL rootfs ember: build/ember is not built (make)"
	exit 0
fi
# ember as README shows it: no --initrd (the initramfs beside the kernel),
# the default 256 MiB, a forward from every host address (QEMU's
# "tcp::PORT-:22"), the default engine (KVM where it runs guest kernels
# natively, else the emulator);
# the PVH vmlinux rather than the bzImage, whose decompressor costs the
# emulator a minute more and proves nothing new here (debian.sh boots it).
cp --sparse=always guest/rootfs.img "$out/ember.img"
port=$(free_port)
boot "ember" build/ember run --kernel guest/vmlinux --drive "file=$out/ember.img" \
	--net "user,hostfwd=tcp::$port-:22" --append "$append"
rm -f "$out/ember.img"
[ "$boot_ok" = yes ] && exit 0

# ember failed: QEMU's TCG boots the same disk the same way, which tells a
# fault of the disk or the initramfs from one of ember's.
if command -v qemu-system-x86_64 >/dev/null; then
	cp --sparse=always guest/rootfs.img "$out/qemu.img"
	port=$(free_port)
	boot "qemu tcg" qemu-system-x86_64 -M pc -accel tcg -m 1G -nodefaults -display none \
		-monitor none -serial stdio -no-reboot -kernel guest/vmlinux \
		-initrd guest/initramfs.cpio.gz -append "$append" \
		-drive "file=$out/qemu.img,if=virtio,format=raw" \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=n0
else
	echo "SKIP rootfs qemu: qemu-system-x86_64 not installed (scripts/install-deps.sh)"
fi
