#!/usr/bin/env bash
# seabios.sh - Debian's SeaBIOS on ember's PC (i440FX, PAM shadow RAM,
# fw_cfg) under the emulator: to its boot menu on COM1 (ESC at "Press ESC
# for boot menu."), with what its debug port says about the machine (fw_cfg
# and its DMA interface found, ember's ACPI tables taken through the
# table-loader, the memory below 4 GiB ending at --mem, as SeaBIOS reports
# it on QEMU's pc machine) and --trace-first from the reset vector to its
# first protected-mode code; then --bios with --kernel: SeaBIOS runs ember's
# option ROM, which loads Debian's kernel and initramfs by fw_cfg DMA and
# starts it by the 16-bit boot protocol, to ember.cmd, and Linux finds
# ember's ACPI tables where SeaBIOS put them, with intact checksums.
set -u
cd "$(dirname "$0")/../.."
bios=/usr/share/seabios/bios.bin
if [ ! -f "$bios" ]; then
	echo "SKIP seabios: $bios missing (Debian's seabios package, scripts/install-deps.sh)"
	exit 0
fi
if [ ! -x build/ember ]; then
	echo "FAIL seabios: build/ember is not built (make)"
	exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# 1. The boot menu: answer the prompt with ESC, quit with Ctrl-A X once
# the menu is up.
coproc EMBER { timeout 60 build/ember run --accel emu --mem 256M --bios "$bios" \
	--debugcon "file:$out/menu.dbg" --trace-first 26 --trace mode --trace-file "$out/menu.trace" 2>&1; }
epid=$EMBER_PID
exec {ein}<&"${EMBER[0]}" {eout}>&"${EMBER[1]}"
menu=no
while IFS= read -r -t 50 line <&"$ein"; do
	printf '%s\n' "$line" >>"$out/menu.txt"
	case $line in
	*"Press ESC for boot menu"*) sleep 0.2; printf '\033' >&"$eout" ;;
	*"Select boot device:"*) menu=yes; printf '\001x' >&"$eout" ;;
	esac
done
wait "$epid"
rc=$?
exec {ein}<&- {eout}>&-
if grep -q 'SeaBIOS (version' "$out/menu.txt" && [ "$menu" = yes ] && [ "$rc" -eq 0 ]; then
	echo "PASS seabios menu: banner on COM1, ESC opens 'Select boot device:', Ctrl-A X quits"
else
	echo "FAIL seabios menu: menu seen: $menu, exit status $rc"
	tail -20 "$out/menu.txt" "$out/menu.dbg" >&2
fi
# The reset vector through SeaBIOS (its romlayout.S is the oracle): the
# first fetch at FFFFFFF0h with CS F000h based at FFFF0000h, a far jump to
# F000:E05B (entry_post) that reloads the CS base to F0000h, and the first
# protected-mode entry: MOV CR0 (PE on, still a 16-bit CS: prot16), then a
# far jump to the 32-bit flat code segment 08h.
t0=$(grep -m1 '^first 0:' "$out/menu.trace")
t1=$(grep -m1 '^first 1:' "$out/menu.trace")
m1=$(grep -m1 ' mode  *mode ' "$out/menu.trace")
m2=$(grep -m2 ' mode  *mode ' "$out/menu.trace" | tail -1)
if [[ $t0 == *"real "*"cs=f000/ffff0000 "*"rip=fff0 linear=fffffff0 physical=fffffff0 "*"jmp far 0xF000:0xE05B" ]] &&
	[[ $t1 == *"cs=f000/f0000 "*"rip=e05b linear=fe05b "* ]] &&
	[[ $m1 == *"mode real -> prot16 -- cs base 0xf0000 "*": mov cr0, "* ]] &&
	[[ $m2 == *"mode prot16 -> prot32 -- cs base 0xf0000 "*": jmp far 0x0008:"* ]]; then
	echo "PASS seabios trace-first: fetch at FFFFFFF0h, far jump to F000:E05B, MOV CR0 then a far jump to 32-bit code"
else
	echo "FAIL seabios trace-first: got '$t0' '$t1' '$m1' '$m2'"
fi

# 2. --bios with --kernel: the guest (scripts/fetch-guest.sh) to ember.cmd.
if ! scripts/fetch-guest.sh >"$out/fetch.log" 2>&1; then
	echo "SKIP seabios kernel: scripts/fetch-guest.sh failed (apt unreachable?): $(tail -1 "$out/fetch.log")"
	exit 0
fi
krel=$(cd guest/.cache/kernel/boot && ls vmlinuz-* | sed 's/^vmlinuz-//')
cmd='dmesg | grep -ci "[i]ncorrect checksum\|[i]nvalid checksum"; dmesg | sed -n "s/.*ACPI: \([A-Z]*\) 0x.*EMBER.*/\1/p" | sort | tr "\n" " "; echo; exit 3'
# Under --clock virtual (a run repeats exactly): SeaBIOS's serial console
# keeps the last character of "Booting from ROM..." and the line end after
# it in RAM until the next INT 10h or timer tick; ember's option ROM waits
# for one tick before starting the kernel.  Without that wait this boot
# lost them every time ("Booting from ROM..ember guest"); under the host
# clock it depended on whether a PIT tick fell in the ~50 ms between the
# message and Linux's first BIOS call (the UART had never seen the bytes).
timeout 300 build/ember run --accel emu --clock virtual --mem 256M --bios "$bios" --kernel guest/vmlinuz \
	--initrd guest/initramfs.cpio.gz --serial "file:$out/kernel.txt" --debugcon "file:$out/kernel.dbg" \
	--append "console=ttyS0 quiet reboot=k panic=-1 acpi_force_table_verification ember.cmd=$cmd" </dev/null
rc=$?
# /init's line naming the modules it loaded depends on the machine's devices
# (debian.sh checks it against QEMU); it is not this test's business.
log=$(tr -d '\r' <"$out/kernel.txt" | grep -v -e '^\[' -e '^ember guest: modules: ' | sed 's/\x1b[^A-Za-z]*[A-Za-z]//g')
# Linux verifies every table SeaBIOS installed (acpi_force_table_verification:
# a bad checksum is reported and the table refused) and finds the RSDP,
# XSDT, FADT, DSDT and MADT with ember's OEM ID.
want=$(printf '%s\n' "SeaBIOS (version" "Booting from ROM..." "ember guest: Linux $krel" 0 \
	"APIC DSDT FACP RSDP XSDT " "ember.cmd exit status: 3")
got=$(printf '%s\n' "$log" | grep -v '^$' | sed 's/^\(SeaBIOS (version\).*/\1/')
if [ "$rc" -eq 0 ] && [ "$got" = "$want" ]; then
	echo "PASS seabios kernel: SeaBIOS -> ember's option ROM -> Linux $krel -> ember.cmd; ACPI via table-loader intact"
else
	echo "FAIL seabios kernel: exit status $rc; console differs:"
	diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") >&2
fi
missing=
for want in 'Found QEMU fw_cfg' 'QEMU fw_cfg DMA interface supported' 'Moving pm_base to 0x600' \
	'sercon: using ioport 0x3f8' 'PCI: init bdf=00:00.0 id=8086:1237'; do
	grep -qF "$want" "$out/kernel.dbg" || missing="$missing '$want'"
done
# The last e820 entry below 4 GiB that SeaBIOS reports (RAM, or the
# reserved block it keeps at the top of RAM) ends at --mem, 256 MiB.
top=0
for end in $(sed -n 's/^ *[0-9]*: [0-9a-f]* - \([0-9a-f]*\) = [12] .*/\1/p' "$out/kernel.dbg"); do
	((16#$end > 0x100000 && 16#$end < 0xF0000000)) && top=$((16#$end))
done
top=$(printf '%x' "$top")
if [ -z "$missing" ] && [ "$top" = 10000000 ]; then
	echo "PASS seabios debug: fw_cfg with DMA, table-loader (pm_base 0x600), sercon on COM1, i440FX, RAM to 256 MiB"
else
	echo "FAIL seabios debug: missing:$missing; memory below 4 GiB ends at 0x$top, want 0x10000000"
	grep -A9 'e820 map' "$out/kernel.dbg" >&2
fi

# 3. A disk with a boot loader: GRUB (Debian's grub-pc-bin, image made
# without mounting by scripts/grub-disk.sh) on a virtio-blk disk, booted by
# SeaBIOS through its virtio driver and INT 13h, loading Linux and the
# initramfs from ext2.
if ! command -v grub-mkimage >/dev/null || [ ! -f /usr/lib/grub/i386-pc/boot.img ]; then
	echo "SKIP seabios grub: grub-pc-bin is not installed (scripts/install-deps.sh)"
	exit 0
fi
if ! scripts/grub-disk.sh "$out/disk.img" guest/vmlinuz guest/initramfs.cpio.gz \
	"console=ttyS0 quiet reboot=k panic=-1 ember.cmd=echo booted by grub; exit 5" 2>"$out/grub.err"; then
	echo "FAIL seabios grub: scripts/grub-disk.sh failed: $(tail -1 "$out/grub.err")"
	exit 0
fi
timeout 600 build/ember run --accel emu --mem 256M --bios "$bios" \
	--drive "file=$out/disk.img,format=raw,readonly=on" --serial "file:$out/grub.txt" </dev/null
rc=$?
log=$(tr -d '\r' <"$out/grub.txt" | grep -v -e '^\[' -e '^ember guest: modules: ' | sed 's/\x1b[^A-Za-z]*[A-Za-z]//g' | grep -v '^$')
want=$(printf '%s\n' "Booting from Hard Disk..." "GRUB loading..." "Welcome to GRUB!" \
	"GRUB: loading Linux from (hd0,msdos1)" "ember guest: Linux $krel" "booted by grub" \
	"ember.cmd exit status: 5")
got=$(printf '%s\n' "$log" | grep -v -e '^SeaBIOS (version' -e '^Press ESC for boot menu')
if [ "$rc" -eq 0 ] && [ "$got" = "$want" ]; then
	echo "PASS seabios grub: SeaBIOS -> virtio-blk -> GRUB (MBR, core.img, ext2) -> Linux $krel -> ember.cmd"
else
	echo "FAIL seabios grub: exit status $rc; console differs:"
	diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") >&2
fi
