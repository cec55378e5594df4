#!/usr/bin/env bash
# guests_ember.sh - run every test guest (tests/guests/guests.list) under
# `ember run --accel kvm`, `--accel emu` and `--accel emu --emu-mode jit`
# (the translator: "emu-jit") and compare the COM1 transcript
# and exit status with tests/guests/NAME.expected, the transcripts QEMU's TCG
# produces too (guests_qemu.sh proves them; NAME.qemu.expected notes where
# QEMU differs).  SKIPs, with the reason, what this host or build cannot run:
# under KVM, a guest that raw KVM (build/guests/kvmprobe) cannot run either.
# A guest both engines (or both emulator modes) pass must end with the same
# registers on both.
set -u
cd "$(dirname "$0")/../.."
ember=build/ember
if [ ! -x "$ember" ]; then
	echo "SKIP guests_ember: $ember not built (make)"
	exit 0
fi
out=$(mktemp -d)

# Software KVM (PVM) runs guest CPL0 code in the host kernel's instruction
# emulator, which lacks some of what these guests do (measured with kvmprobe).
pvm_known() { # NAME -> why PVM stops it, where known
	case $1 in
	exceptions | irq)
		echo "this host's software KVM (PVM) cannot emulate a protected-mode IRET at CPL0 (KVM_EXIT_INTERNAL_ERROR, emulation failure)" ;;
	paging)
		echo "this host's software KVM (PVM) refuses 32-bit paging (CR0.PG without CR4.PAE raises #GP)" ;;
	long)
		echo "this host's software KVM (PVM) cannot emulate INT3/INT n outside real mode (KVM_EXIT_INTERNAL_ERROR, emulation failure)" ;;
	esac
}

# host_kvm_fails_too NAME IMAGE STATUS: when ember's KVM run went wrong, run
# the ROM on raw KVM (build/guests/kvmprobe, no ember code); if that stops
# with the same status and transcript, and that transcript is the start of
# the expected one, the host's KVM is the limit: SKIP.
host_kvm_fails_too() {
	local name=$1 img=$2 rc=$3 prc why
	case $img in *.rom) ;; *) return 1 ;; esac
	[ -x build/guests/kvmprobe ] || return 1
	build/guests/kvmprobe "$img" 60 >"$out/$name.probe" 2>"$out/$name.probe.err"
	prc=$?
	if [ "$prc" -eq "$rc" ] && cmp -s "$out/$name.probe" "$out/$name.txt"; then
		# What ran before the stop must still be right: every line but the
		# last (where it stopped, or the guest's report of the fault).
		sed '$d' "$out/$name.txt" >"$out/$name.head"
		if ! head -n "$(wc -l <"$out/$name.head")" "tests/guests/$name.expected" |
			cmp -s - "$out/$name.head"; then
			return 1
		fi
		why=$(pvm_known "$name")
		echo "SKIP guest $name (kvm): ${why:-the KVM of this host stops it}; raw KVM without ember" \
			"(kvmprobe) stops the same way: status $prc after '$(tail -1 "$out/$name.probe")'" \
			"(the output up to there matches)"
		return 0
	fi
	return 1
}
trap 'rm -rf "$out"' EXIT
passed=
for accel in kvm emu emu-jit; do
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
		args=(run --accel "${accel%-jit}" --mem 128M --stats --serial "file:$out/$name.txt")
		case $accel in emu) args+=(--emu-mode interp) ;; emu-jit) args+=(--emu-mode jit) ;; esac
		case $image in
		*.rom) args+=(--bios "$img") ;;
		*) args+=(--kernel "$img" --append "$append") ;;
		esac
		[ -n "$initrd" ] && args+=(--initrd "$initrd")
		rm -f "$out/$name.txt"
		timeout 120 "$ember" "${args[@]}" </dev/null >"$out/$name.stdout" 2>"$out/$name.err"
		rc=$?
		cp "$out/$name.err" "$out/$name.$accel.err"
		exp=tests/guests/$name.expected
		touch "$out/$name.txt"
		if [ "$accel" = kvm ] && { [ "$rc" -ne "$status" ] || ! cmp -s "$exp" "$out/$name.txt"; } &&
			host_kvm_fails_too "$name" "$img" "$rc"; then
			continue
		fi
		if [ "$rc" -ne "$status" ]; then
			echo "FAIL guest $name ($accel): exit status $rc, expected $status"
			cat "$out/$name.err" "$out/$name.txt" >&2
		elif ! diff -u "$exp" "$out/$name.txt" >&2; then
			echo "FAIL guest $name ($accel): transcript differs from $exp (diff in the log)"
		else
			echo "PASS guest $name ($accel): status $rc, transcript matches $exp"
			passed+=" $name.$accel "
		fi
	done <tests/guests/guests.list
done

# Where two engines ran a guest to its end, they must also agree on the
# final vCPU state (--stats register dump): a differential test of the two
# (KVM against the emulator, the emulator's interpreter against its translator).
while IFS='|' read -r name _; do
	case $name in '#'* | '') continue ;; esac
	for pair in "kvm emu" "emu emu-jit"; do
		set -- $pair
		case $passed in *" $name.$1 "*) ;; *) continue ;; esac
		case $passed in *" $name.$2 "*) ;; *) continue ;; esac
		for accel in "$1" "$2"; do
			awk '/vCPU 0 registers/ { on = 1; next } on && /^   / { print; next } { on = 0 }' \
				"$out/$name.$accel.err" >"$out/$name.$accel.regs"
		done
		if [ ! -s "$out/$name.$1.regs" ]; then
			echo "SKIP guest $name ($1 vs $2): ember --stats printed no register dump"
		elif diff -u "$out/$name.$1.regs" "$out/$name.$2.regs" >&2; then
			echo "PASS guest $name ($1 vs $2): identical final registers"
		else
			echo "FAIL guest $name ($1 vs $2): final registers differ (diff in the log)"
		fi
	done
done <tests/guests/guests.list
