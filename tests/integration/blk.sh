#!/usr/bin/env bash
# blk.sh - virtio-blk and the block backend end to end, the image's bytes as
# the oracle (read on the host with dd/cmp, holes with SEEK_HOLE through
# python3, locks in the kernel's /proc/locks, syscalls by strace):
#  - bad --drive values and bad images: exit status 2 and ONE line naming
#    the option or file;
#  - two embers on one image: the second is refused while the first holds
#    its OFD lock (readers share: two readonly=on run together);
#  - Debian's kernel (the default guest, QEMU-validated commands) reads,
#    copies with conv=fsync (FLUSH), discards, reads its serial, cannot write
#    a readonly=on disk, copies with O_DIRECT on cache=none; then, with the
#    guest told its data is synced, ember is SIGKILLed and the image holds it;
#  - ember's exit paths (the guest stopping the machine, SIGTERM) fdatasync
#    every image in every cache mode.
set -u
cd "$(dirname "$0")/../.."
ember=build/ember
out=$(mktemp -d build/blk-XXXXXX)
pids=()
trap 'kill -9 "${pids[@]}" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$out"' EXIT

# expect NAME STATUS PATTERN CMD...: the exit status and, for 2, exactly one
# stderr line matching PATTERN.
expect() {
	local name=$1 want=$2 pat=$3
	shift 3
	timeout 60 "$@" </dev/null >"$out/stdout" 2>"$out/stderr"
	local rc=$? lines
	lines=$(grep -avc '^ember: note:' "$out/stderr")
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL blk $name: exit status $rc, expected $want ($(head -c 300 "$out/stderr"))"
	elif [ -n "$pat" ] && ! grep -aqE -- "$pat" "$out/stderr"; then
		echo "FAIL blk $name: stderr does not match '$pat': $(head -c 300 "$out/stderr")"
	elif [ "$want" -eq 2 ] && [ "$lines" -ne 1 ]; then
		echo "FAIL blk $name: $lines lines on stderr, expected one: $(head -c 300 "$out/stderr")"
	else
		echo "PASS blk $name"
	fi
}

check() { # NAME CONDITION-STATUS WHAT
	if [ "$2" -eq 0 ]; then echo "PASS blk $1"; else echo "FAIL blk $1: $3"; fi
}

if [ ! -x $ember ]; then
	echo "FAIL blk: $ember is not built (make)"
	exit 0
fi
# exit.rom writes 0 to the test-exit port at once (exit status 1); the
# drives are opened and locked before it runs.
rom=build/bench/exit.rom

# An image whose every 4 KiB block holds its own number (le32) 1024 times.
mkimage() {
	python3 -c "
import sys
with open(sys.argv[1], 'wb') as f:
    for i in range(int(sys.argv[2]) // 4096):
        f.write(i.to_bytes(4, 'little') * 1024)
" "$1" "$2"
}
# bytes FILE OFFSET LENGTH (4 KiB units): the bytes, for cmp.
bytes() { dd if="$1" bs=4096 skip="$2" count="$3" status=none; }
img=$out/disk.img
ro=$out/ro.img
mkimage "$img" $((8 << 20))
mkimage "$ro" $((1 << 20))
cp "$img" "$out/orig.img"
cp "$ro" "$out/ro-orig.img"

# ---- refusals: one line each ----
expect bad-cache 2 "^ember: --drive file=$img,cache=directsync: cache=directsync: must be writeback, none or unsafe" \
	$ember run --bios $rom --drive "file=$img,cache=directsync"
expect bad-format 2 '^ember: --drive .*format=qcow2: only raw images are supported' \
	$ember run --bios $rom --drive "file=$img,format=qcow2"
expect bad-readonly 2 '^ember: --drive .*readonly=2: must be on or off' \
	$ember run --bios $rom --drive "file=$img,readonly=2"
expect unknown-key 2 "^ember: --drive .*unknown key 'aio'" \
	$ember run --bios $rom --drive "file=$img,aio=native"
expect no-file 2 '^ember: --drive readonly=on: needs file=PATH' \
	$ember run --bios $rom --drive readonly=on
expect long-serial 2 '^ember: --drive .*at most 20 characters' \
	$ember run --bios $rom --drive "file=$img,serial=abcdefghijklmnopqrstu"
expect missing-image 2 "^ember: $out/nope.img: No such file or directory" \
	$ember run --accel emu --bios $rom --drive "file=$out/nope.img"
expect directory-image 2 "^ember: $out: is a directory" \
	$ember run --accel emu --bios $rom --drive "file=$out"
: >"$out/empty.img"
expect empty-image 2 "^ember: $out/empty.img: empty image" \
	$ember run --accel emu --bios $rom --drive "file=$out/empty.img"
head -c 100 /dev/zero >"$out/tiny.img"
expect tiny-image 2 "^ember: $out/tiny.img: smaller than 512 bytes" \
	$ember run --accel emu --bios $rom --drive "file=$out/tiny.img"
expect two-drives 1 '' $ember run --accel emu --bios $rom --drive "file=$img" \
	--drive "file=$ro,readonly=on,cache=none"

# ---- the lock: the kernel's lock table, then a second ember ----
# holder TYPE ARGS: an ember with a guest that halts forever (halt.rom) and
# holds the image; returns once /proc/locks shows its OFD lock of TYPE.
holder() {
	local type=$1
	shift
	$ember run --accel emu --serial none --bios build/guests/halt.rom "$@" \
		</dev/null >/dev/null 2>&1 &
	hpid=$!
	pids+=("$hpid")
	local inode i
	inode=$(stat -c %i "$img")
	for i in $(seq 100); do
		grep -qE "OFDLCK +ADVISORY +$type +-?[0-9]+ +[0-9a-f]+:[0-9a-f]+:$inode " /proc/locks && return 0
		sleep 0.1
	done
	echo "FAIL blk lock: no OFD $type lock on $img's inode $inode in /proc/locks"
	return 1
}
if holder WRITE --drive "file=$img"; then
	expect locked-writer 2 "^ember: $img: image is locked: another process has it open \(readonly=on shares" \
		$ember run --accel emu --bios $rom --drive "file=$img"
	expect locked-reader 2 "^ember: $img: image is locked: another process has it open for writing" \
		$ember run --accel emu --bios $rom --drive "file=$img,readonly=on"
fi
{ kill -9 "$hpid" && wait "$hpid"; } 2>/dev/null
if holder READ --drive "file=$img,readonly=on"; then
	expect shared-readers 1 '' $ember run --accel emu --bios $rom --drive "file=$img,readonly=on"
	expect reader-blocks-writer 2 "^ember: $img: image is locked" \
		$ember run --accel emu --bios $rom --drive "file=$img"
fi
{ kill -9 "$hpid" && wait "$hpid"; } 2>/dev/null
expect lock-released 1 '' $ember run --accel emu --bios $rom --drive "file=$img"

# ---- ember's exit paths fdatasync every image, in every cache mode ----
# strace sees the exit's fdatasync (the guest's flushes go through io_uring,
# which it cannot see).  Two ways out: the guest stops the machine (the
# test-exit port; a power-off or a reset ends the same way: vm_run returns,
# vm_destroy), and SIGTERM.
synced() { # STRACE-LOG IMAGE: did ember fdatasync IMAGE successfully?
	grep -qE "fdatasync\([0-9]+<$(realpath "$2")>\) += 0" "$1"
}
if command -v strace >/dev/null; then
	mkimage "$out/a.img" $((1 << 20))
	mkimage "$out/b.img" $((1 << 20))
	mkimage "$out/c.img" $((1 << 20))
	timeout 60 strace -f -qq --seccomp-bpf -e trace=fdatasync -y -o "$out/exit.txt" \
		$ember run --accel emu --bios $rom --drive "file=$out/a.img" \
		--drive "file=$out/b.img,cache=none" --drive "file=$out/c.img,cache=unsafe" \
		</dev/null >/dev/null 2>&1
	rc=$?
	[ $rc -eq 1 ] && synced "$out/exit.txt" "$out/a.img" && synced "$out/exit.txt" "$out/b.img" &&
		synced "$out/exit.txt" "$out/c.img"
	check exit-flush $? "exit status $rc; fdatasync calls seen: $(grep -c fdatasync "$out/exit.txt")"
	strace -f -qq --seccomp-bpf -e trace=fdatasync -y -o "$out/term.txt" \
		$ember run --accel emu --bios build/guests/halt.rom --serial none \
		--drive "file=$out/a.img" </dev/null >/dev/null 2>&1 &
	spid=$!
	pids+=("$spid")
	epid=
	for i in $(seq 100); do
		epid=$(pgrep -P "$spid" -x ember) && grep -q "OFDLCK.*:$(stat -c %i "$out/a.img") " /proc/locks && break
		sleep 0.1
	done
	if [ -n "$epid" ]; then
		kill -TERM "$epid"
	else
		kill -9 "$spid"
	fi
	wait "$spid"
	synced "$out/term.txt" "$out/a.img"
	check sigterm-flush $? "no fdatasync of the image after SIGTERM: $(head -c 200 "$out/term.txt")"
else
	echo "SKIP blk exit-flush: strace is not installed (scripts/install-deps.sh)"
fi

# ---- Debian's kernel on the disks ----
if ! scripts/fetch-guest.sh >"$out/fetch.log" 2>&1; then
	echo "SKIP blk guest: scripts/fetch-guest.sh failed (apt unreachable?): $(tail -1 "$out/fetch.log")"
	exit 0
fi
if [ ! -f guest/vmlinuz ] || ! zcat guest/initramfs.cpio.gz | cpio -t 2>/dev/null | grep -q 'virtio_blk.ko'; then
	echo "SKIP blk guest: the default guest has no virtio_blk module (scripts/fetch-guest.sh)"
	exit 0
fi
append="console=ttyS0 quiet reboot=k panic=-1"
# One boot: what the guest reads, its serial, a copy of blocks 0-255 to
# 1024-1279 with conv=fsync (the guest's fsync is a FLUSH), a discard of
# blocks 512-767, a write to the readonly disk (Linux sees VIRTIO_BLK_F_RO
# and refuses it itself: the device's own IOERR is test_blkreq's), a copy of
# blocks 0-63 to 1800-1863 of a cache=none disk with O_DIRECT both ways, the
# driver unloaded and loaded again (a device reset, then set-up anew) and the
# same blocks read again, then a copy of blocks 0-127 to 1536-1663 followed by
# sync: "SYNCED-42" once sync has returned, and the guest waits.  ember is
# SIGKILLed there, before any exit path could flush.  The script comes on a
# fourth disk, /dev/vdd, padded with newlines to 64 KiB (the kernel hands init
# at most 32 words of its command line), copied to the initramfs first.
cat >"$out/script.sh" <<'EOF'
cat /sys/block/vda/size /sys/block/vda/queue/logical_block_size /sys/block/vdb/ro;
echo serial=$(cat /sys/block/vda/serial);
dd if=/dev/vda bs=4096 skip=5 count=3 2>/dev/null | md5sum;
dd if=/dev/vda of=/dev/vda bs=4096 count=256 seek=1024 conv=fsync 2>/dev/null; echo copy=$?;
blkdiscard -o 2097152 -l 1048576 /dev/vda; echo discard=$?;
dd if=/dev/zero of=/dev/vdb bs=4096 count=1 oflag=direct 2>/dev/null; echo rowrite=$?;
dd if=/dev/vdc of=/dev/vdc bs=4096 count=64 seek=1800 iflag=direct oflag=direct 2>/dev/null; echo direct=$?;
rmmod virtio_blk && modprobe virtio_blk && sleep 1 && echo reprobe=$(dd if=/dev/vda bs=4096 skip=5 count=3 2>/dev/null | md5sum);
dd if=/dev/vda of=/dev/vda bs=4096 count=128 seek=1536 2>/dev/null; sync; echo SYNCED-$((6*7)); sleep 100
EOF
head -c $((65536 - $(stat -c %s "$out/script.sh"))) /dev/zero | tr '\0' '\n' >>"$out/script.sh"
cp "$out/orig.img" "$out/none.img"
coproc EMB { exec $ember run --accel emu --mem 512M --kernel guest/vmlinuz \
	--initrd guest/initramfs.cpio.gz --drive "file=$img,serial=EMBER-SN1" \
	--drive "file=$ro,readonly=on" --drive "file=$out/none.img,cache=none" \
	--drive "file=$out/script.sh,readonly=on" --append "$append ember.cmd=cat /dev/vdd >/t.sh; sh /t.sh" \
	2>"$out/g1.err"; }
epid=$EMB_PID
pids+=("$epid")
killed=no
while IFS= read -r -t 300 line <&"${EMB[0]}"; do
	printf '%s\n' "$line" | tr -d '\r' >>"$out/g1.txt"
	case $line in
	*SYNCED-42*)
		kill -9 "$epid"
		killed=yes
		break
		;;
	esac
done
wait "$epid" 2>/dev/null
log=$(tr -d '\r' <"$out/g1.txt")
want_md5=$(bytes "$out/orig.img" 5 3 | md5sum | cut -d' ' -f1)
if [ $killed != yes ]; then
	echo "FAIL blk guest: no SYNCED-42 on the console (log: $out/g1.txt, kept)"
	tail -20 "$out/g1.txt" >&2
	trap 'kill -9 "${pids[@]}" 2>/dev/null' EXIT
	exit 0
fi
printf '%s\n' "$log" | grep -qx 16384 && printf '%s\n' "$log" | grep -qx 512
check capacity $? "no '16384' sectors / '512' block size lines: $(printf '%s' "$log" | head -c 300)"
printf '%s\n' "$log" | grep -qx 'serial=EMBER-SN1'
check serial $? "the guest read no serial=EMBER-SN1"
printf '%s\n' "$log" | grep -q "^$want_md5 "
check read $? "md5 of blocks 5-7 in the guest differs from the image's ($want_md5)"
printf '%s\n' "$log" | grep -q "^reprobe=$want_md5 "
check reset $? "after rmmod/modprobe virtio_blk: $(grep '^reprobe' "$out/g1.txt")"
printf '%s\n' "$log" | grep -qx copy=0 && cmp -s <(bytes "$out/orig.img" 0 256) <(bytes "$img" 1024 256)
check write-flush $? "blocks 1024-1279 are not the guest's copy of 0-255"
zero=$(python3 -c "
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
data = os.pread(fd, 1 << 20, 2 << 20)
hole = os.lseek(fd, 2 << 20, os.SEEK_HOLE) == 2 << 20
print('zero' if data == bytes(1 << 20) else 'data', 'hole' if hole else 'allocated')
" "$img")
[ "$zero" = "zero hole" ] && printf '%s\n' "$log" | grep -qx discard=0
check discard $? "blocks 512-767 after blkdiscard: $zero"
printf '%s\n' "$log" | grep -qx 1 && printf '%s\n' "$log" | grep -qx 'rowrite=1' && cmp -s "$ro" "$out/ro-orig.img"
check readonly $? "vdb: ro flag, the write's exit status, or the image changed: $(grep -E '^(rowrite|1$)' "$out/g1.txt" | tr '\n' ' ')"
cmp -s <(bytes "$out/orig.img" 0 128) <(bytes "$img" 1536 128)
check sigkill-after-sync $? "blocks 1536-1663 (written, then sync, then SIGKILL) are not on the image"
cmp -s <(bytes "$out/orig.img" 256 256) <(bytes "$img" 256 256) &&
	cmp -s <(bytes "$out/orig.img" 1280 256) <(bytes "$img" 1280 256)
check untouched $? "blocks nobody wrote changed"

printf '%s\n' "$log" | grep -qx direct=0 && cmp -s <(bytes "$out/orig.img" 0 64) <(bytes "$out/none.img" 1800 64)
check cache-none $? "blocks 1800-1863 of the cache=none disk are not the guest's O_DIRECT copy"
