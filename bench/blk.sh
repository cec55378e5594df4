#!/usr/bin/env bash
# bench/blk.sh - disk throughput and IOPS inside Debian's kernel (the default
# guest) on ember's emulator and on QEMU's TCG (-M pc -cpu max, as
# bench/linux.sh), in the same run: the same kernel, the same initramfs with
# bench/blkio.c appended (a static O_DIRECT tool, one request at a time), the
# same raw image and command line (-drive file=IMG,if=virtio,format=raw;
# ember's default cache=writeback is QEMU's too).  Sequential 1 MiB and
# random 4 KiB reads and writes, BLK_SECS (default 3) seconds each.  Part of
# `make bench`; runs alone too.  Never asserts a figure; a run that fails
# prints FAIL and makes the exit status 1.
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
secs=${BLK_SECS:-3}
for f in build/ember build/bench/blkio guest/vmlinuz guest/initramfs.cpio.gz; do
	[ -e "$f" ] || { echo "SKIP disk bench: $f missing (make, scripts/fetch-guest.sh)"; exit 0; }
done
if ! zcat guest/initramfs.cpio.gz | cpio -t 2>/dev/null | grep -q 'virtio_blk.ko'; then
	echo "SKIP disk bench: the default guest has no virtio_blk module (scripts/fetch-guest.sh)"
	exit 0
fi
tmp=$(mktemp -d build/blkbench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# The tool as /bin/blkio in a second archive after the default initramfs
# (the kernel unpacks concatenated archives in order; after a gzip'd one it
# wants another compressed one).
mkdir -p "$tmp/root/bin"
cp build/bench/blkio "$tmp/root/bin/"
(cd "$tmp/root" && find . | cpio -o -H newc --quiet) | gzip >"$tmp/extra.cpio.gz"
cat guest/initramfs.cpio.gz "$tmp/extra.cpio.gz" >"$tmp/initrd"
# 128 MiB of data that is not zeroes (holes would flatter reads).
head -c $((128 << 20)) /dev/urandom >"$tmp/disk.img"

cmd=""
for w in "seqread 1048576" "seqwrite 1048576" "randread 4096" "randwrite 4096"; do
	set -- $w
	cmd+="blkio /dev/vda $1 $secs $2; "
done
append="console=ttyS0 quiet reboot=k panic=-1 ember.cmd=$cmd"
failed=0
# run NAME CMD...: the guest's blkio lines into $tmp/NAME.
run() {
	local name=$1
	shift
	timeout 900 "$@" </dev/null 2>"$tmp/$name.err" | tr -d '\r' | grep '^blkio: ' >"$tmp/$name"
	if [ "$(wc -l <"$tmp/$name")" -ne 4 ]; then
		echo "FAIL disk bench $name: $(wc -l <"$tmp/$name") of 4 blkio lines" >&2
		tail -5 "$tmp/$name.err" >&2
		failed=1
	fi
}
run emu build/ember run --accel emu --emu-mode interp --mem 512M --serial stdio --kernel guest/vmlinuz \
	--initrd "$tmp/initrd" --drive "file=$tmp/disk.img,if=virtio,format=raw" --append "$append"
have_qemu=no
if command -v qemu-system-x86_64 >/dev/null; then
	have_qemu=yes
	run tcg qemu-system-x86_64 -accel tcg -M pc -cpu max -m 512 -nodefaults -no-user-config \
		-display none -monitor none -serial stdio -no-reboot -kernel guest/vmlinuz \
		-initrd "$tmp/initrd" -drive "file=$tmp/disk.img,if=virtio,format=raw" -append "$append"
else
	echo "SKIP TCG column: qemu-system-x86_64 not installed"
fi
# get NAME OP KEY: KEY= of OP's line.
get() { [ -f "$tmp/$1" ] && grep "op=$2 " "$tmp/$1" | field "$3"; }
printf '%-22s | %10s | %10s | %7s\n' "guest disk I/O, O_DIRECT" "ember emu" "QEMU TCG" "x"
for op in seqread seqwrite randread randwrite; do
	key=MBps unit="MB/s"
	case $op in rand*) key=iops unit=IOPS ;; esac
	e=$(get emu $op $key) q=$(get tcg $op $key)
	printf '%-22s | %10s | %10s | %7s\n' "$op ($unit)" "${e:--}" "${q:--}" "$(ratio "$e" "$q")"
done
echo "(sequential: 1 MiB requests; random: 4 KiB; one at a time, ${secs} s each, writes end"
echo " with fdatasync; 128 MiB raw image in the host's page cache; x = ember / TCG, higher is better)"
exit $failed
