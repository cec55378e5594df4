#!/usr/bin/env bash
# cli.sh - ember's command line as a user meets it: every bad option or file
# gives exit status 2 and ONE line naming the option or file; every documented
# exit status (0, odd test-exit, 2, 4, 8) is produced by the case that defines
# it.  Oracles: the README's exit-status table and QEMU's isa-debug-exit rule.
set -u
cd "$(dirname "$0")/../.."
ember=build/ember
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# expect NAME STATUS PATTERN CMD...: exit status and a stderr line matching
# PATTERN; with status 2 stderr must be exactly one line.
expect() {
	local name=$1 want=$2 pat=$3
	shift 3
	timeout 30 "$@" </dev/null >"$out/stdout" 2>"$out/stderr"
	local rc=$?
	local lines
	lines=$(grep -avc '^ember: note:' "$out/stderr")
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL cli $name: exit status $rc, expected $want ($(head -c 300 "$out/stderr"))"
	elif [ -n "$pat" ] && ! grep -aqE -- "$pat" "$out/stderr"; then
		echo "FAIL cli $name: stderr does not match '$pat': $(head -c 300 "$out/stderr")"
	elif [ "$want" -eq 2 ] && [ "$lines" -ne 1 ]; then
		echo "FAIL cli $name: $lines lines on stderr, expected one: $(head -c 300 "$out/stderr")"
	else
		echo "PASS cli $name"
	fi
}

rom=build/guests/reset.rom
printf 'this is not a kernel\n' >"$out/garbage"
: >"$out/empty.rom"

expect no-arguments 2 "^usage: ember run .*see 'ember --help'" $ember
expect unknown-command 2 'frobnicate: unknown command' $ember frobnicate
expect unknown-option 2 '--frob: unknown option' $ember run --frob --bios $rom
expect missing-value 2 '--mem: needs a value' $ember run --bios $rom --mem
expect bad-mem 2 '^ember: --mem 12Q: not a size' $ember run --bios $rom --mem 12Q
expect mem-too-small 2 '^ember: --mem 1K: ' $ember run --bios $rom --mem 1K
expect bad-cpus 2 '^ember: --cpus 0: must be a number from 1 to' $ember run --bios $rom --cpus 0
expect bad-accel 2 '^ember: --accel foo: must be kvm, emu or auto' $ember run --bios $rom --accel foo
expect bad-serial 2 '^ember: --serial tty: must be stdio, none or file:PATH' \
	$ember run --bios $rom --serial tty
expect nothing-to-run 2 'nothing to run' $ember run --mem 64M
expect initrd-without-kernel 2 '^ember: --initrd x: needs --kernel' $ember run --bios $rom --initrd x
expect bios-kernel-not-bzimage 2 "^ember: build/guests/multiboot.elf: not a bzImage" \
	$ember run --accel emu --bios $rom --kernel build/guests/multiboot.elf
expect missing-bios 2 "^ember: $out/nope.rom: No such file" \
	$ember run --accel emu --bios "$out/nope.rom"
expect empty-bios 2 "^ember: $out/empty.rom: " $ember run --accel emu --bios "$out/empty.rom"
expect garbage-kernel 2 "^ember: $out/garbage: " $ember run --accel emu --kernel "$out/garbage"
# No --initrd: the initramfs.cpio.gz beside the kernel is taken (README,
# --initrd); an empty one is refused naming that file.
mkdir "$out/k" && cp build/guests/multiboot.elf "$out/k/" && : >"$out/k/initramfs.cpio.gz"
expect initrd-beside-kernel 2 "^ember: $out/k/initramfs.cpio.gz: initrd is empty" \
	$ember run --accel emu --kernel "$out/k/multiboot.elf"
expect serial-unwritable 2 "/nonexistent/dir/x" \
	$ember run --accel emu --bios $rom --serial file:/nonexistent/dir/x
expect bad-debugcon 2 '^ember: --debugcon foo: must be stdio, stderr, none or file:PATH' \
	$ember run --bios $rom --debugcon foo
expect bad-clock 2 '^ember: --clock wall: must be host or virtual' $ember run --bios $rom --clock wall
expect kvm-clock-virtual 2 '^ember: --clock virtual: only with --accel emu' \
	$ember run --accel kvm --clock virtual --bios $rom
# --net: syntax refused at parse time, resources (ports, tap) when the VM is built.
expect net-bad-kind 2 "^ember: --net usr: must be user, tap or none" $ember run --bios $rom --net usr
expect net-bad-hostfwd 2 "^ember: --net user,hostfwd=tcp:2222-:22: hostfwd=tcp:2222-:22: expected hostfwd=\\[tcp\\|udp\\]:" \
	$ember run --bios $rom --net user,hostfwd=tcp:2222-:22
expect net-bad-port 2 "^ember: --net user,hostfwd=tcp::70000-:22: .*HOSTPORT must be a number from 1 to 65535" \
	$ember run --bios $rom --net user,hostfwd=tcp::70000-:22
expect net-bad-mac 2 "^ember: --net user,mac=52:54:00:12:34: mac=52:54:00:12:34: not a MAC address" \
	$ember run --bios $rom --net user,mac=52:54:00:12:34
expect net-multicast-mac 2 "^ember: --net user,mac=01:00:5e:00:00:01: .*multicast" \
	$ember run --bios $rom --net user,mac=01:00:5e:00:00:01
expect net-twice 2 "^ember: --net none: given twice" $ember run --bios $rom --net user --net none
expect net-tap-no-ifname 2 "^ember: --net tap: tap needs ifname=NAME" $ember run --bios $rom --net tap
# lo is not a tap device: TUNSETIFF refuses it (or /dev/net/tun is absent).
expect net-tap-refused 2 "^ember: --net tap,ifname=lo: " $ember run --accel emu --bios $rom --net tap,ifname=lo
# A port another process listens on.
exec {busy}< <(python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(60)')
busy_pid=$!
read -r -t 20 port <&$busy
expect net-port-in-use 2 "^ember: --net user,hostfwd=tcp:127.0.0.1:$port-:22: .*cannot listen on 127.0.0.1:$port \\(tcp\\): Address already in use" \
	$ember run --accel emu --bios $rom --net "user,hostfwd=tcp:127.0.0.1:$port-:22"
kill $busy_pid 2>/dev/null
exec {busy}<&-

# Exit statuses defined by the guest.
expect test-exit 85 '' $ember run --accel emu --bios $rom --serial none
expect test-exit-cpus2 85 '' $ember run --accel emu --cpus 2 --bios $rom --serial none
expect triple-fault 4 'triple-faulted' $ember run --accel emu --bios build/guests/triple.rom --serial none
if [ -c /dev/kvm ]; then
	if [ -e /sys/module/kvm_pvm ]; then
		echo "SKIP cli triple-fault-kvm: this host's software KVM (PVM) stops with an emulation failure (exit 6) instead of a shutdown exit on a real-mode triple fault"
	else
		expect triple-fault-kvm 4 'triple-faulted' \
			$ember run --accel kvm --bios build/guests/triple.rom --serial none
	fi
	expect test-exit-kvm 85 '' $ember run --accel kvm --bios $rom --serial none
else
	echo "SKIP cli kvm: /dev/kvm is absent on this host"
fi

# --debugcon: bytes written to ports 0xE9 and 0x402 reach the chosen sink.
cat >"$out/dc.S" <<'ASM'
	.code16
start:	movw $0xe9, %dx
	movb $'e', %al
	outb %al, %dx
	movw $0x402, %dx
	movb $'9', %al
	outb %al, %dx
	movb $0, %al
	outb %al, $0xf4
	hlt
	.org 0xfff0
	jmp start
	.org 0x10000
ASM
if gcc -c "$out/dc.S" -o "$out/dc.o" && ld -Ttext=0 --oformat binary -e 0 -o "$out/dc.rom" "$out/dc.o"; then
	for accel in emu kvm; do
		[ "$accel" = kvm ] && [ ! -c /dev/kvm ] && continue
		$ember run --accel $accel --bios "$out/dc.rom" --serial none \
			--debugcon "file:$out/dc.txt" </dev/null 2>/dev/null
		rc=$?
		if [ "$rc" -eq 1 ] && [ "$(cat "$out/dc.txt")" = "e9" ]; then
			echo "PASS cli debugcon-file ($accel)"
		else
			echo "FAIL cli debugcon-file ($accel): status $rc, file holds '$(cat "$out/dc.txt" 2>/dev/null)', expected 'e9'"
		fi
	done
else
	echo "FAIL cli debugcon-file: cannot assemble the test ROM"
fi

expect help 0 '' $ember --help
grep -aqF -- '--accel kvm|emu|auto' "$out/stdout" && echo "PASS cli help-lists-accel" ||
	echo "FAIL cli help-lists-accel: --help does not document --accel"
