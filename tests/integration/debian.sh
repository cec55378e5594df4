#!/usr/bin/env bash
# debian.sh - the default guest (scripts/fetch-guest.sh: Debian's kernel and
# busybox-static with scripts/initramfs/init) boots and runs ember.cmd=.
# QEMU's TCG boots it first, from the bzImage and from the extracted vmlinux
# (PVH entry), which proves the guest itself; then ember boots the bzImage
# with --accel auto (KVM on hardware virtualization, the emulator elsewhere)
# and the vmlinux twice on the emulator under --clock virtual (interpreter,
# then translator), checking what the guest reports (CPUs, CPU flags, ACPI
# tables, interrupts, warnings) and that the two boots are identical; then
# two vCPUs on the translator.
set -u
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if ! scripts/fetch-guest.sh >"$out/fetch.log" 2>&1; then
	echo "SKIP debian: scripts/fetch-guest.sh failed (apt unreachable?): $(tail -1 "$out/fetch.log")"
	exit 0
fi
krel=$(cd guest/.cache/kernel/boot && ls vmlinuz-* | sed 's/^vmlinuz-//')
# The command also counts the MSI-X vectors of virtio-rng's queue that took
# interrupts (the kernel reads the hwrng as the driver registers): 1 on
# QEMU's virtio-rng-pci, which is the oracle for ember's.
cmd='echo hello from ember; cat /proc/cmdline | wc -w; grep -cE "[1-9][0-9]* +PCI-MSI.*virtio0-input" /proc/interrupts; exit 3'
# cryptomgr.notests: the crypto manager's self-tests are 55% of a boot's
# instructions (README, "Profiling the guest"); they run on one boot only,
# the two-vCPU one at the end, whose warning check sees any that fails.
append="console=ttyS0 quiet reboot=k panic=-1 cryptomgr.notests ember.cmd=$cmd"

# check NAME STATUS EXPECTED_STATUS LOG: the banner, the command's output
# (21 words on the command line, one MSI-X vector of virtio0-input with
# interrupts) and the status line, in this order; the
# line naming the modules /init loaded depends on the machine's devices.
check() {
	local name=$1 rc=$2 want=$3 log=$4
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL debian $name: exit status $rc, expected $want"
		tail -20 "$log" >&2
	elif ! tr -d '\r' <"$log" | grep -v -e '^\[' -e '^ember guest: modules: ' |
		diff -u <(printf '%s\n' "ember guest: Linux $krel" "hello from ember" 21 1 \
			"ember.cmd exit status: 3") - >&2; then
		echo "FAIL debian $name: console output differs (diff in the log)"
	else
		echo "PASS debian $name: banner 'Linux $krel', ember.cmd output (virtio-rng's MSI-X vector took interrupts), exit status line"
	fi
}

if command -v qemu-system-x86_64 >/dev/null; then
	# virtio-rng as on ember (always there): /init loads Debian's modules for it.
	for k in vmlinuz vmlinux; do
		timeout 120 qemu-system-x86_64 -accel tcg -m 512 -nodefaults -display none \
			-monitor none -serial "file:$out/qemu-$k.txt" -no-reboot -device virtio-rng-pci \
			-kernel "guest/$k" -initrd guest/initramfs.cpio.gz -append "$append" \
			</dev/null 2>"$out/qemu-$k.err"
		check "qemu tcg ($k)" $? 0 "$out/qemu-$k.txt"
	done
	# Without ember.cmd=: the shell on the console; type once it greets.
	coproc QEMU { timeout 120 qemu-system-x86_64 -accel tcg -m 512 -nodefaults \
		-display none -monitor none -serial stdio -no-reboot -kernel guest/vmlinux \
		-initrd guest/initramfs.cpio.gz -append "console=ttyS0 quiet reboot=k panic=-1 cryptomgr.notests" 2>&1; }
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
# --accel auto: KVM on hardware virtualization, ember's emulator elsewhere
# (PVM, no KVM); the bzImage, so its decompressor runs on that engine.
hw_kvm=no
if [ -c /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && ! grep -q '^kvm_pvm ' /proc/modules; then
	hw_kvm=yes
fi
t0=$(date +%s.%N)
timeout 300 build/ember run --accel auto --mem 512M --serial "file:$out/ember.txt" \
	--kernel guest/vmlinuz --initrd guest/initramfs.cpio.gz --append "$append" \
	</dev/null >/dev/null 2>"$out/ember.err"
rc=$?
t1=$(date +%s.%N)
touch "$out/ember.txt"
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
check "ember bzImage (accel auto, hardware kvm: $hw_kvm, $secs s)" "$rc" 0 "$out/ember.txt"
# The modules /init loaded for virtio-rng: QEMU's device (transitional, the
# same modern interface) is the oracle for ember's.
mods() { tr -d '\r' <"$1" 2>/dev/null | grep '^ember guest: modules: ' | sed 's/^ember guest: modules: //'; }
if [ ! -f "$out/qemu-vmlinuz.txt" ]; then
	echo "SKIP debian ember modules: no QEMU run to compare with (qemu-system-x86_64 not installed)"
elif [ -n "$(mods "$out/ember.txt")" ] && [ "$(mods "$out/ember.txt")" = "$(mods "$out/qemu-vmlinuz.txt")" ]; then
	echo "PASS debian ember modules: /init loaded what it loads on QEMU: $(mods "$out/ember.txt")"
else
	echo "FAIL debian ember modules: ember '$(mods "$out/ember.txt")', QEMU '$(mods "$out/qemu-vmlinuz.txt")'"
fi

# The emulator through the PVH entry, twice under --clock virtual, on the
# interpreter and on the translator (time from instructions retired: both
# boots must print the same bytes and retire the same number of
# instructions, which the translator's exact budgets make so), with what the guest reports
# about the machine: CPUs, CPU flags, ACPI tables, interrupts; loglevel=5
# prints the kernel's warnings and errors (and nothing milder).  Without
# the virtio-rng driver: its answers come from a host thread at host-timed
# points, so with it two runs differ by a few thousand instructions.
report='echo cpus $(nproc); grep -m1 ^flags /proc/cpuinfo; grep . /sys/devices/system/cpu/vulnerabilities/*; echo tables $(ls /sys/firmware/acpi/tables); grep -E "LOC|ttyS0|acpi" /proc/interrupts; cd /sys/bus/pci/devices; grep -m5 . */vendor */device */class */irq */resource'
for i in 1 2; do
	t0=$(date +%s.%N)
	# The first boot on the interpreter, the second on the translator.
	mode=$([ "$i" -eq 1 ] && echo interp || echo jit)
	timeout 300 build/ember run --accel emu --emu-mode $mode --clock virtual --mem 512M --stats \
		--serial "file:$out/pvh$i.txt" --kernel guest/vmlinux --initrd guest/initramfs.cpio.gz \
		--append "console=ttyS0 loglevel=5 panic=-1 cryptomgr.notests modprobe.blacklist=virtio_rng ember.cmd=$report" \
		</dev/null >/dev/null 2>"$out/pvh$i.err"
	rc=$?
	t1=$(date +%s.%N)
	pvh_secs[$i]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	[ "$i" -eq 1 ] && rc1=$rc
done
rc=$rc1
cp "$out/pvh1.txt" "$out/pvh.txt"
cp "$out/pvh1.err" "$out/pvh.err"
log=$(tr -d '\r' <"$out/pvh.txt")
if [ "$rc" -ne 0 ] || ! grep -q 'power-off: ACPI S5' "$out/pvh.err"; then
	echo "FAIL debian emu pvh: exit status $rc, expected 0 from the ACPI S5 power-off"
	tail -20 "$out/pvh.txt" "$out/pvh.err" >&2
else
	echo "PASS debian emu pvh: /init ran ember.cmd and powered off through ACPI S5 (interpreter ${pvh_secs[1]} s, translator ${pvh_secs[2]} s)"
fi
if [ "$(printf '%s\n' "$log" | sed -n 's/^cpus //p')" = 1 ]; then
	echo "PASS debian emu pvh nproc: 1"
else
	echo "FAIL debian emu pvh nproc: the guest counted '$(printf '%s\n' "$log" | sed -n 's/^cpus //p')' CPUs, expected 1"
fi
tables=$(printf '%s\n' "$log" | sed -n 's/^tables //p')
if [ "$tables" = "APIC DSDT FACP FACS data dynamic" ]; then
	echo "PASS debian emu pvh acpi: /sys/firmware/acpi/tables holds ember's APIC DSDT FACP FACS"
else
	echo "FAIL debian emu pvh acpi: /sys/firmware/acpi/tables holds '$tables'"
fi
# Timer and serial interrupts as Linux routed them: the local APIC timer
# counted, COM1 and the SCI on the IOAPIC.
loc=$(printf '%s\n' "$log" | awk '$1 == "LOC:" { print $2 }')
if [ "${loc:-0}" -gt 0 ] && printf '%s\n' "$log" | grep -qE '^ *4: +[0-9]+ +IO-APIC +4-edge +ttyS0' &&
	printf '%s\n' "$log" | grep -qE '^ *9: +[0-9]+ +IO-APIC +9-fasteoi +acpi'; then
	echo "PASS debian emu pvh interrupts: $loc LAPIC timer interrupts, ttyS0 and the SCI on the IOAPIC"
else
	echo "FAIL debian emu pvh interrupts: /proc/interrupts lacks the LAPIC timer or IOAPIC routes:"
	printf '%s\n' "$log" | grep -E 'LOC|ttyS0|acpi' >&2
fi
# /proc/cpuinfo flags against ember's CPUID: every flag Linux derives from
# the CPUID leaves ember sets must be there, and the platform's own.
flags=" $(printf '%s\n' "$log" | sed -n 's/^flags[^:]*: //p') "
missing=
for f in fpu tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat mmx fxsr sse sse2 syscall nx lm \
	pni ssse3 cx16 sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer xsave hypervisor \
	arat tsc_known_freq xtopology arch_capabilities; do
	case $flags in *" $f "*) ;; *) missing="$missing $f" ;; esac
done
if [ -z "$missing" ]; then
	echo "PASS debian emu pvh cpuinfo: the flags of ember's CPUID"
else
	echo "FAIL debian emu pvh cpuinfo: missing$missing"
fi
# The guest's own verdict on transient-execution bugs, from ember's
# IA32_ARCH_CAPABILITIES: not affected by any but Spectre v1/v2 (which no
# MSR bit rules out), so Linux runs without page-table isolation.
vuln=$(printf '%s\n' "$log" | sed -n 's|^/sys/devices/system/cpu/vulnerabilities/||p')
affected=$(printf '%s\n' "$vuln" | grep -v -e '^spectre_v[12]:' -e ':Not affected$')
if printf '%s\n' "$vuln" | grep -qx 'meltdown:Not affected' && [ -z "$affected" ]; then
	echo "PASS debian emu pvh vulnerabilities: $(printf '%s\n' "$vuln" | grep -c ':Not affected$') not affected (meltdown: no PTI), only Spectre v1/v2 mitigated"
else
	echo "FAIL debian emu pvh vulnerabilities: the guest reports:"
	printf '%s\n' "$vuln" >&2
fi
# Kernel warnings and errors: loglevel=5 shows only those.  Allowed: the
# power-off line (KERN_EMERG by design), and the i440FX's lack of ECAM
# (no MCFG), which QEMU's -M pc prints too.
allowed=(-e 'reboot: Power down'
	-e "acpi PNP0A03:00: fail to add MMCONFIG information, can't access extended PCI configuration space under this bridge.")
warn=$(printf '%s\n' "$log" | grep '^\[' | sed 's/^\[[ 0-9.]*\] //' | grep -vxF "${allowed[@]}")
if [ -n "$warn" ]; then
	echo "FAIL debian emu pvh warnings: the kernel warned:"
	printf '%s\n' "$warn" | head -20
else
	echo "PASS debian emu pvh warnings: none at loglevel 5 but i440FX's missing MMCONFIG"
fi
# The PCI bus as Linux enumerated it (lspci's view, from sysfs; unused BARs
# left out): the i440FX host bridge and PIIX3 ISA bridge (Intel's IDs and
# class codes), virtio-rng (virtio 1.2 4.1.2: 1AF4:1040 + device type 4) on
# slot 2 with INTA# on GSI 18 (_PRT: 16 + slot + pin) and its BARs as ember
# placed them at the start of the PCI memory window: BAR 1 (32-bit, the
# MSI-X table), BAR 4 (64-bit, the virtio structures; Linux's flags 0x140204).
pci=$(printf '%s\n' "$log" | grep -E '^0000:00:..\../(vendor|device|class|irq|resource):' |
	grep -v '/resource:0x0000000000000000 0x0000000000000000 0x0000000000000000$')
want_pci='0000:00:00.0/vendor:0x8086
0000:00:01.0/vendor:0x8086
0000:00:02.0/vendor:0x1af4
0000:00:00.0/device:0x1237
0000:00:01.0/device:0x7000
0000:00:02.0/device:0x1044
0000:00:00.0/class:0x060000
0000:00:01.0/class:0x060100
0000:00:02.0/class:0xff0000
0000:00:00.0/irq:0
0000:00:01.0/irq:0
0000:00:02.0/irq:18
0000:00:02.0/resource:0x00000000c0004000 0x00000000c0004fff 0x0000000000040200
0000:00:02.0/resource:0x00000000c0000000 0x00000000c0003fff 0x0000000000140204'
if [ "$pci" = "$want_pci" ]; then
	echo "PASS debian emu pvh pci: 00:00.0 i440FX, 00:01.0 PIIX3, 00:02.0 virtio-rng (IRQ 18, BARs 1 and 4)"
else
	echo "FAIL debian emu pvh pci: the guest's /sys/bus/pci/devices differ:"
	printf '%s\n' "$pci" >&2
fi

n1=$(grep -E '^ *insns ' "$out/pvh1.err" | awk '{ s += $NF } END { print s + 0 }')
n2=$(grep -E '^ *insns ' "$out/pvh2.err" | awk '{ s += $NF } END { print s + 0 }')
if ! cmp -s "$out/pvh1.txt" "$out/pvh2.txt"; then
	echo "FAIL debian emu clock-virtual: the interpreter's and the translator's boots printed different bytes"
	diff "$out/pvh1.txt" "$out/pvh2.txt" | head -10 >&2
elif [ "$n1" -eq 0 ] || [ "$n1" -ne "$n2" ]; then
	echo "FAIL debian emu clock-virtual: instructions retired $n1 vs $n2"
else
	echo "PASS debian emu clock-virtual: interpreter and translator, identical console output, $n1 instructions each"
fi

# Two vCPUs (one host thread each, --clock host) on the translator (each
# CPU's code cache, invalidations from the other thread): the guest counts
# both, each takes local APIC timer interrupts, and the kernel does not warn,
# not even about a crypto self-test (RSA, DH, ECC big-number arithmetic, the
# hashes and ciphers in C and SSE: they fail loudly on a wrong result).
# pci=nomsi: virtio-rng on INTA#, the _PRT's GSI 18 (level, active low)
# through the IOAPIC; 64 bytes read from /dev/hwrng come from the host.
smpreport='echo cpus $(nproc); grep -E "LOC|virtio" /proc/interrupts; echo rng $(cat /sys/class/misc/hw_random/rng_current) $(head -c64 /dev/hwrng|wc -c)'
t0=$(date +%s.%N)
timeout 300 build/ember run --accel emu --emu-mode jit --cpus 2 --mem 512M --stats \
	--serial "file:$out/smp.txt" \
	--kernel guest/vmlinux --initrd guest/initramfs.cpio.gz \
	--append "console=ttyS0 loglevel=5 panic=-1 pci=nomsi ember.cmd=$smpreport" \
	</dev/null >/dev/null 2>"$out/smp.err"
rc=$?
t1=$(date +%s.%N)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
log=$(tr -d '\r' <"$out/smp.txt")
cpus=$(printf '%s\n' "$log" | sed -n 's/^cpus //p')
loc=$(printf '%s\n' "$log" | awk '$1 == "LOC:" { print ($2 > 0 && $3 > 0) ? "both" : $2 "," $3 }')
warn=$(printf '%s\n' "$log" | grep '^\[' | sed 's/^\[[ 0-9.]*\] //' | grep -vxF "${allowed[@]}")
if [ "$rc" -ne 0 ] || [ "$cpus" != 2 ] || [ "$loc" != both ] || [ -n "$warn" ]; then
	echo "FAIL debian emu smp: status $rc, nproc '$cpus', LAPIC timer interrupts per CPU '$loc', warnings: $(printf '%s' "$warn" | head -3 | tr '\n' '|')"
else
	echo "PASS debian emu smp: --cpus 2 --emu-mode jit: nproc 2, LAPIC timer interrupts on both CPUs, no warnings ($secs s)"
fi
intx=$(printf '%s\n' "$log" | awk '/IO-APIC +18-fasteoi +virtio0$/ { print $2 + $3 }')
if [ "${intx:-0}" -gt 0 ] && printf '%s\n' "$log" | grep -qx 'rng virtio_rng.0 64'; then
	echo "PASS debian emu smp virtio-rng intx: /dev/hwrng is virtio_rng.0, 64 bytes read, $intx interrupts on IO-APIC 18-fasteoi"
else
	echo "FAIL debian emu smp virtio-rng intx: $(printf '%s\n' "$log" | grep -E '^rng|virtio' | tr '\n' '|')"
fi
