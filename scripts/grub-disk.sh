#!/usr/bin/env bash
# scripts/grub-disk.sh OUT KERNEL INITRD CMDLINE - a BIOS-bootable raw disk
# image made from Debian's GRUB (grub-pc-bin) without mounting anything: an
# MBR with GRUB's boot.img, GRUB's core.img in the gap after it (sectors
# 1..), and one ext2 partition from 1 MiB built by mke2fs -d, holding the
# kernel and initrd.  core.img carries its config: root (hd0,msdos1), the
# kernel with CMDLINE, the initrd, boot.  What grub-bios-setup would patch
# is patched here: boot.img's first core sector (offset 0x5C, already 1)
# and diskboot.img's block list (start sector 2, the rest of core.img).
# Follows GRUB 2.06's i386-pc boot.img/diskboot.img layout (boot.h).
set -eu
out=$1 kernel=$2 initrd=$3 cmdline=$4
lib=/usr/lib/grub/i386-pc
for f in "$lib/boot.img" "$lib/diskboot.img"; do
	[ -f "$f" ] || { echo "grub-disk: $f missing (apt-get install grub-pc-bin)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/boot"
cp "$kernel" "$tmp/root/boot/vmlinuz"
cp "$initrd" "$tmp/root/boot/initrd"
cat >"$tmp/early.cfg" <<CFG
set root=(hd0,msdos1)
echo "GRUB: loading Linux from (hd0,msdos1)"
linux /boot/vmlinuz $cmdline
initrd /boot/initrd
boot
CFG
grub-mkimage -O i386-pc -o "$tmp/core.img" -c "$tmp/early.cfg" -p /boot/grub \
	biosdisk part_msdos ext2 linux echo
core_sectors=$(( ($(stat -c %s "$tmp/core.img") + 511) / 512 ))
[ "$core_sectors" -lt 2047 ] || { echo "grub-disk: core.img too big" >&2; exit 1; }
# The partition: ext2 with the files, sized to them plus room.
kib=$(( $(du -sk "$tmp/root" | cut -f1) + 4096 ))
mke2fs -q -t ext2 -L ember-boot -d "$tmp/root" "$tmp/part.img" "${kib}k" >/dev/null
rm -f "$out"
truncate -s $((1024 * 1024 + kib * 1024)) "$out"
# One primary partition, bootable, type 83h, LBA 2048 on (CHS fields
# FE FF FF: "use the LBA ones"), then the 55AA signature.
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
printf "\\x80\\xfe\\xff\\xff\\x83\\xfe\\xff\\xff$(le32 2048)$(le32 $((kib * 2)))" |
	dd of="$out" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$out" bs=1 seek=510 conv=notrunc status=none
dd if="$tmp/part.img" of="$out" bs=1M seek=1 conv=notrunc status=none
# MBR code (440 bytes) from boot.img; the partition table stays.
dd if="$lib/boot.img" of="$out" bs=440 count=1 conv=notrunc status=none
# core.img at sector 1, its block list: the sectors after the first.
dd if="$tmp/core.img" of="$out" bs=512 seek=1 conv=notrunc status=none
printf "$(printf '\\x%02x\\x%02x' $(((core_sectors - 1) & 255)) $(((core_sectors - 1) >> 8)))" |
	dd of="$out" bs=1 seek=$((512 + 0x1F4 + 8)) conv=notrunc status=none
