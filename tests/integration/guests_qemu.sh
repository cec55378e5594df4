#!/usr/bin/env bash
# guests_qemu.sh - run every test guest (tests/guests/guests.list) under QEMU's
# TCG, an independent implementation, and compare the COM1 transcript and the
# exit status with tests/guests/NAME[.qemu].expected: this proves the guests.
set -u
cd "$(dirname "$0")/../.."
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "SKIP guests_qemu: qemu-system-x86_64 not installed (scripts/install-deps.sh)"
	exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
while IFS='|' read -r name image status append initrd; do
	case $name in '#'* | '') continue ;; esac
	img=build/guests/$image
	if [ ! -f "$img" ]; then
		echo "FAIL guest $name (qemu): $img missing, run make"
		continue
	fi
	args=(-accel tcg -machine pc -m 128 -nodefaults -display none -monitor none
		-serial "file:$out/$name.txt" -no-reboot
		-device isa-debug-exit,iobase=0xf4,iosize=4 -device pc-testdev)
	case $image in
	*.rom) args+=(-bios "$img") ;;
	*) args+=(-kernel "$img" -append "$append") ;;
	esac
	[ -n "$initrd" ] && args+=(-initrd "$initrd")
	timeout 30 qemu-system-x86_64 "${args[@]}" </dev/null 2>"$out/$name.err"
	rc=$?
	exp=tests/guests/$name.qemu.expected
	[ -f "$exp" ] || exp=tests/guests/$name.expected
	if [ "$rc" -ne "$status" ]; then
		echo "FAIL guest $name (qemu): exit status $rc, expected $status"
		cat "$out/$name.err" "$out/$name.txt" >&2
	elif ! diff -u "$exp" "$out/$name.txt" >&2; then
		echo "FAIL guest $name (qemu): transcript differs from $exp (diff in the log)"
	else
		echo "PASS guest $name (qemu): status $rc, transcript matches $exp"
	fi
done <tests/guests/guests.list
