#!/usr/bin/env bash
# debian.sh - the default guest (scripts/fetch-guest.sh: Debian's kernel and
# busybox-static with scripts/initramfs/init) boots and runs ember.cmd=.
# QEMU's TCG boots it first, from the bzImage and from the extracted vmlinux
# (PVH entry), which proves the guest itself; then ember boots it where it
# can: KVM on hardware virtualization, or an emulator engine that boots Linux.
set -u
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if ! scripts/fetch-guest.sh >"$out/fetch.log" 2>&1; then
	echo "SKIP debian: scripts/fetch-guest.sh failed (apt unreachable?): $(tail -1 "$out/fetch.log")"
	exit 0
fi
krel=$(cd guest/.cache/kernel/boot && ls vmlinuz-* | sed 's/^vmlinuz-//')
cmd='echo hello from ember; cat /proc/cmdline | wc -w; exit 3'
append="console=ttyS0 quiet reboot=k panic=-1 ember.cmd=$cmd"

# check NAME STATUS EXPECTED_STATUS LOG: the banner, the command's output
# (15 words on the command line) and the status line, in this order.
check() {
	local name=$1 rc=$2 want=$3 log=$4
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL debian $name: exit status $rc, expected $want"
		tail -20 "$log" >&2
	elif ! tr -d '\r' <"$log" | grep -v '^\[' |
		diff -u <(printf '%s\n' "ember guest: Linux $krel" "hello from ember" 15 \
			"ember.cmd exit status: 3") - >&2; then
		echo "FAIL debian $name: console output differs (diff in the log)"
	else
		echo "PASS debian $name: banner 'Linux $krel', ember.cmd output, exit status line"
	fi
}

if command -v qemu-system-x86_64 >/dev/null; then
	for k in vmlinuz vmlinux; do
		timeout 120 qemu-system-x86_64 -accel tcg -m 512 -nodefaults -display none \
			-monitor none -serial "file:$out/qemu-$k.txt" -no-reboot \
			-kernel "guest/$k" -initrd guest/initramfs.cpio.gz -append "$append" \
			</dev/null 2>"$out/qemu-$k.err"
		check "qemu tcg ($k)" $? 0 "$out/qemu-$k.txt"
	done
	# Without ember.cmd=: the shell on the console; type once it greets.
	coproc QEMU { timeout 120 qemu-system-x86_64 -accel tcg -m 512 -nodefaults \
		-display none -monitor none -serial stdio -no-reboot -kernel guest/vmlinux \
		-initrd guest/initramfs.cpio.gz -append "console=ttyS0 quiet reboot=k panic=-1" 2>&1; }
	qpid=$QEMU_PID
	exec {qin}<&"${QEMU[0]}" {qout}>&"${QEMU[1]}"
	shell=no
	while IFS= read -r -t 100 line <&"$qin"; do
		printf '%s\n' "$line" >>"$out/qemu-shell.txt"
		case $line in
		*"list of built-in commands"*) printf 'echo shell-$((40 + 2))\nexit\n' >&"$qout" ;;
		*shell-42*) shell=yes ;;
		esac
	done
	wait "$qpid"
	rc=$?
	exec {qin}<&- {qout}>&-
	if [ "$shell" = yes ] && [ "$rc" -eq 0 ]; then
		echo "PASS debian qemu tcg (shell): no ember.cmd= gives a shell; its exit powers off"
	else
		echo "FAIL debian qemu tcg (shell): shell output seen: $shell, exit status $rc"
		tail -20 "$out/qemu-shell.txt" >&2
	fi
else
	echo "SKIP debian qemu: qemu-system-x86_64 not installed (scripts/install-deps.sh)"
fi

if [ ! -x build/ember ]; then
	echo "FAIL debian ember: build/ember is not built (make)"
	exit 0
fi
hw_kvm=no
if [ -c /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && ! grep -q '^kvm_pvm ' /proc/modules; then
	hw_kvm=yes
fi
timeout 300 build/ember run --accel auto --mem 512M --serial "file:$out/ember.txt" \
	--kernel guest/vmlinuz --initrd guest/initramfs.cpio.gz --append "$append" \
	</dev/null >/dev/null 2>"$out/ember.err"
rc=$?
if [ "$rc" -eq 8 ]; then
	if [ "$hw_kvm" = no ]; then
		echo "SKIP debian ember: no hardware virtualization here (KVM is software: PVM, no vmx/svm; it emulates guest kernel code at ~1.5M insn/s) and --accel emu cannot boot Linux yet"
	else
		echo "FAIL debian ember: ember refused a host with hardware KVM: $(head -1 "$out/ember.err")"
	fi
	exit 0
fi
touch "$out/ember.txt"
check "ember (accel auto, hardware kvm: $hw_kvm)" "$rc" 0 "$out/ember.txt"
