#!/usr/bin/env bash
# guests_ember.sh - run every test guest (tests/guests/guests.list) under
# `ember run --accel kvm` and `--accel emu` and compare the COM1 transcript
# and exit status with tests/guests/NAME.expected, the transcripts QEMU's TCG
# produces too (guests_qemu.sh proves them; NAME.qemu.expected notes where
# QEMU differs).  SKIPs, with the reason, what this host or build cannot run.
set -u
cd "$(dirname "$0")/../.."
ember=build/ember
if [ ! -x "$ember" ]; then
	echo "SKIP guests_ember: $ember not built (make)"
	exit 0
fi
if ! "$ember" --help 2>&1 | grep -q -- '--accel'; then
	echo "SKIP guests_ember: 'ember run' is not on main yet"
	exit 0
fi
# Software KVM (PVM) runs guest CPL0 code in the host kernel's instruction
# emulator, which lacks some of what these guests do.  A guest listed here is
# still run; only its known failure signature turns into a SKIP.
pvm=0
[ -e /sys/module/kvm_pvm ] && pvm=1
pvm_known() { # name rc errfile -> prints the reason if this is the known failure
	case $1 in
	exceptions | irq)
		[ "$2" -eq 6 ] && grep -q 'emulation failure' "$3" &&
			echo "this host's software KVM (PVM) cannot emulate a protected-mode IRET at CPL0 (KVM_EXIT_INTERNAL_ERROR, emulation failure)" ;;
	paging)
		grep -q 'unexpected exception 0000000d' "$4" &&
			echo "this host's software KVM (PVM) refuses 32-bit paging (CR0.PG without CR4.PAE raises #GP)" ;;
	esac
}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for accel in kvm emu; do
	if [ "$accel" = kvm ] && [ ! -c /dev/kvm ]; then
		echo "SKIP guests_ember (kvm): /dev/kvm is absent on this host"
		continue
	fi
	while IFS='|' read -r name image status append initrd; do
		case $name in '#'* | '') continue ;; esac
		img=build/guests/$image
		if [ ! -f "$img" ]; then
			echo "FAIL guest $name ($accel): $img missing, run make"
			continue
		fi
		args=(run --accel "$accel" --mem 128M --serial "file:$out/$name.txt")
		case $image in
		*.rom) args+=(--bios "$img") ;;
		*) args+=(--kernel "$img" --append "$append") ;;
		esac
		[ -n "$initrd" ] && args+=(--initrd "$initrd")
		rm -f "$out/$name.txt"
		timeout 120 "$ember" "${args[@]}" </dev/null >"$out/$name.stdout" 2>"$out/$name.err"
		rc=$?
		if [ "$rc" -eq 8 ] && grep -q 'not part of this build' "$out/$name.err"; then
			echo "SKIP guest $name ($accel): the $accel engine is not on main yet"
			continue
		fi
		exp=tests/guests/$name.expected
		touch "$out/$name.txt"
		if [ "$accel" = kvm ] && [ "$pvm" = 1 ] && [ "$rc" -ne "$status" ] &&
			why=$(pvm_known "$name" "$rc" "$out/$name.err" "$out/$name.txt") && [ -n "$why" ]; then
			echo "SKIP guest $name ($accel): $why"
		elif [ "$rc" -ne "$status" ]; then
			echo "FAIL guest $name ($accel): exit status $rc, expected $status"
			cat "$out/$name.err" "$out/$name.txt" >&2
		elif ! diff -u "$exp" "$out/$name.txt" >&2; then
			echo "FAIL guest $name ($accel): transcript differs from $exp (diff in the log)"
		else
			echo "PASS guest $name ($accel): status $rc, transcript matches $exp"
		fi
	done <tests/guests/guests.list
done
