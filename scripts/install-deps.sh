#!/usr/bin/env bash
# scripts/install-deps.sh - install the Debian packages ember builds, tests and
# benchmarks with (see README "Dependencies" for why each is there).
# Idempotent: calls apt-get only for what is missing.
set -eu
pkgs=(build-essential liblzma-dev zlib1g-dev cpio xz-utils)
# qemu-system-x86: QEMU TCG, the independent implementation that proves the
# test guests and the default guest's initramfs (tests/integration).
pkgs+=(qemu-system-x86)
# libzydis-dev: Zydis, the independent decoder tools/zydis-lencheck checks
# x86_insn_length against.  clang + libclang-rt-14-dev: libFuzzer for fuzz/.
pkgs+=(libzydis-dev clang libclang-rt-14-dev)
# python3: tests/integration/console.sh drives ember through a pseudo-terminal.
pkgs+=(python3)
# libzydis-dev (also): instruction text in --trace insn/mode and --trace-first;
# libjson-c-dev: --stats-json output and the tests that parse it back.
pkgs+=(libjson-c-dev)
# chromium: tests/integration/trace_timeline.sh loads a --timeline file in a
# headless browser (the test SKIPs without it).
pkgs+=(chromium)
# acpica-tools: iasl and acpiexec, ACPICA's disassembler and interpreter, the
# independent oracle tests/unit/test_acpi.c hands ember's ACPI tables to.
pkgs+=(acpica-tools)
# libslirp-dev: --net user, the user-mode TCP/IP stack (QEMU's slirp as a
# library) that turns the guest's connections into host sockets.
pkgs+=(libslirp-dev)
# liburing-dev: io_uring for the block backend (src/block/iothread.c): a
# drive's reads, writes and flushes in flight together, off the vCPU thread.
pkgs+=(liburing-dev)
# strace: tests/integration/blk.sh sees ember fdatasync its disk images on
# the way out (a guest power-off).
pkgs+=(strace)
# seabios: the firmware tests/integration/seabios.sh boots (qemu-system-x86
# pulls it in too); grub-pc-bin: GRUB's BIOS platform, from which
# scripts/grub-disk.sh makes the boot disk of that test (grub-mkimage, no
# mounting); e2fsprogs: mke2fs -d for its ext2 partition.
pkgs+=(seabios grub-pc-bin e2fsprogs)
# mmdebstrap: scripts/rootfs.sh builds the Debian root disk (`make rootfs`)
# from Debian's packages; openssh-client: its key pair and the test's ssh.
pkgs+=(mmdebstrap openssh-client)
pkgs+=("$@")
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	sudo=sudo
else
	sudo=
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
