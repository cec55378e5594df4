#!/usr/bin/env bash
# scripts/fetch-guest.sh [DIR] - build ember's default guest in DIR (default
# guest/) from Debian packages: DIR/vmlinuz (Debian's bzImage), DIR/vmlinux
# (the same kernel uncompressed, an ELF with a PVH entry) and
# DIR/initramfs.cpio.gz (busybox-static, scripts/initramfs/ and the kernel
# package's own modules for virtio over PCI and ext4).
# Not an installer: nothing is installed on the host (apt-get download +
# dpkg-deb -x into DIR/.cache).  Rebuilds only when the package versions or
# the scripts change (DIR/.stamp).  Follows the x86 boot protocol 2.08+ for
# finding the compressed payload (setup_sects, payload_offset/length).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=${1:-guest}
for tool in apt-get dpkg-deb cpio xz gzip objcopy; do
	command -v "$tool" >/dev/null ||
		{ echo "fetch-guest: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
mkdir -p "$dir/.cache"
dir=$(cd "$dir" && pwd)
cache=$dir/.cache

# Which packages: linux-image-amd64 is a metapackage; its Depends names the
# real kernel package (linux-image-6.1.0-NN-amd64).  Two apt-cache calls.
kernel_pkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'; }
kpkg=$(kernel_pkg)
if [ -z "$kpkg" ]; then
	echo "fetch-guest: apt lists are empty, running apt-get update"
	apt-get update -qq
	kpkg=$(kernel_pkg)
fi
if [ -z "$kpkg" ]; then
	echo "fetch-guest: cannot resolve linux-image-amd64 to a kernel package (apt-cache depends)" >&2
	exit 1
fi
policy=$(apt-cache policy "$kpkg" busybox-static)
candidate() { printf '%s\n' "$policy" | awk -v p="$1:" '$0 == p { f = 1 } f && /Candidate:/ { print $2; exit }'; }
kver=$(candidate "$kpkg")
bver=$(candidate busybox-static)
if [ -z "$kver" ] || [ "$kver" = "(none)" ] || [ -z "$bver" ] || [ "$bver" = "(none)" ]; then
	echo "fetch-guest: apt has no candidate for $kpkg or busybox-static" >&2
	exit 1
fi

# The stamp: package versions and the scripts that shape the output.
extract=fallback
if [ -x "$root/build/ember" ]; then
	case $("$root/build/ember" extract-vmlinux 2>&1 || true) in
	*"usage: ember extract-vmlinux"*) extract=ember ;;
	esac
fi
stamp="$kpkg $kver busybox-static $bver extract=$extract
$(sha256sum "$root/scripts/fetch-guest.sh" "$root"/scripts/initramfs/* | awk '{ print $1 }')"
if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ] &&
	[ -f "$dir/vmlinuz" ] && [ -f "$dir/vmlinux" ] && [ -f "$dir/initramfs.cpio.gz" ]; then
	echo "fetch-guest: $dir is up to date ($kpkg $kver, busybox $bver)"
	exit 0
fi

# fetch PKG VERSION: download PKG's .deb into the cache unless it is there.
fetch() {
	local deb
	for deb in "$cache/$1"_*.deb; do
		[ -f "$deb" ] && [ "$(dpkg-deb -f "$deb" Version)" = "$2" ] && return 0
		rm -f "$deb"
	done
	echo "fetch-guest: downloading $1 $2"
	(cd "$cache" && apt-get download -qq "$1" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
	ls "$cache/$1"_*.deb >/dev/null 2>&1 || { echo "fetch-guest: apt-get download $1 failed" >&2; exit 1; }
}
fetch "$kpkg" "$kver"
fetch busybox-static "$bver"
rm -rf "$cache/kernel" "$cache/busybox"
dpkg-deb -x "$cache/$kpkg"_*.deb "$cache/kernel"
dpkg-deb -x "$cache"/busybox-static_*.deb "$cache/busybox"

vmlinuz=$(ls "$cache"/kernel/boot/vmlinuz-*)
krel=${vmlinuz##*/vmlinuz-}
cp "$vmlinuz" "$dir/vmlinuz"
echo "fetch-guest: $dir/vmlinuz: Linux $krel"

# vmlinux: ember's own extractor when it is built; otherwise the same steps
# in shell: the payload sits at (setup_sects + 1) * 512 + payload_offset.
rm -f "$dir/vmlinux"
if [ "$extract" = ember ]; then
	"$root/build/ember" extract-vmlinux "$dir/vmlinuz" "$dir/vmlinux"
else
	le32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
	setup_sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$dir/vmlinuz" | tr -d ' ')
	[ "$setup_sects" -eq 0 ] && setup_sects=4
	off=$(((setup_sects + 1) * 512 + $(le32 "$dir/vmlinuz" $((0x248)))))
	len=$(le32 "$dir/vmlinuz" $((0x24c)))
	magic=$(od -An -tx1 -j "$off" -N6 "$dir/vmlinuz" | tr -d ' ')
	case $magic in
	fd377a585a00) dec="xz -dc --single-stream" ;; # size_append follows
	1f8b*) dec="gzip -dc" ;;
	28b52ffd*) dec="zstd -dc" ;;
	*) echo "fetch-guest: unknown kernel compression (magic $magic)" >&2; exit 1 ;;
	esac
	dd if="$dir/vmlinuz" bs=64K iflag=skip_bytes,count_bytes skip="$off" count="$len" status=none |
		$dec >"$dir/vmlinux"
fi
echo "fetch-guest: $dir/vmlinux: $(stat -c %s "$dir/vmlinux") bytes, extracted with $extract"

# initramfs: busybox and its applet links, /init, /dev/console (root only:
# without it the kernel starts /init without a console; /init copes).
stage=$cache/initramfs
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc,mnt}
cp "$cache/busybox/bin/busybox" "$stage/bin/busybox"
for applet in $("$stage/bin/busybox" --list-full); do
	[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done
install -m 0755 "$root/scripts/initramfs/init" "$stage/init"
mkdir -p "$stage/etc/udhcpc"
install -m 0755 "$root/scripts/initramfs/udhcpc.script" "$stage/etc/udhcpc/default.script"

# Modules: what the guest needs to drive virtio over PCI (disk, NIC, rng)
# and to mount ext4, with everything they depend on, from the same kernel
# package.  Its tree has no modules.dep (the package's postinst runs
# depmod), so busybox's depmod writes one; the closure follows it and each
# module's softdep= (ext4's "pre: crypto-crc32c", resolved through
# modules.alias).  A wanted name the kernel has built in is skipped.
want="virtio_pci virtio_blk virtio_net virtio_rng ext4"
kmods=$cache/kernel/lib/modules/$krel
"$cache/busybox/bin/busybox" depmod -b "$cache/kernel" "$krel"
declare -A modpath=() taken=()
while IFS=: read -r path _; do
	name=${path##*/}
	name=${name%%.ko*}
	modpath[${name//-/_}]=$path
done <"$kmods/modules.dep"
modfield() { # MODULE FIELD: a .modinfo field of a module file
	objcopy -O binary --only-section=.modinfo "$kmods/$1" "$cache/modinfo" &&
		tr '\0' '\n' <"$cache/modinfo" | sed -n "s/^$2=//p"
}
queue=($want)
while [ ${#queue[@]} -gt 0 ]; do
	raw=${queue[0]}
	name=${raw//-/_}
	queue=("${queue[@]:1}")
	[ -n "${taken[$name]:-}" ] && continue
	path=${modpath[$name]:-}
	if [ -z "$path" ]; then
		if grep -q "/${name}.ko" "$kmods/modules.builtin" ||
			grep -q "/${name//_/-}.ko" "$kmods/modules.builtin"; then
			continue
		fi
		# An alias (a softdep such as crypto-crc32c): every module providing it.
		provided=$(awk -v a="$raw" '$1 == "alias" && $2 == a { print $3 }' "$kmods/modules.alias")
		[ -z "$provided" ] &&
			{ echo "fetch-guest: $raw is neither a module nor built into $kpkg" >&2; exit 1; }
		queue+=($provided)
		continue
	fi
	taken[$name]=$path
	for dep in $(sed -n "s|^$path:||p" "$kmods/modules.dep"); do
		dep=${dep##*/}
		queue+=("${dep%%.ko*}")
	done
	queue+=($(modfield "$path" softdep | tr ' ' '\n' | grep -v ':$' || true))
done
# Compressed modules (.ko.xz, .ko.zst, .ko.gz) go in decompressed: busybox
# modprobe hands the kernel the bytes it reads, and the signature Debian
# appends is on the uncompressed module.
for path in "${taken[@]}"; do
	mkdir -p "$stage/lib/modules/$krel/${path%/*}"
	case $path in
	*.ko) cp "$kmods/$path" "$stage/lib/modules/$krel/$path" ;;
	*.ko.xz) xz -dc "$kmods/$path" >"$stage/lib/modules/$krel/${path%.xz}" ;;
	*.ko.gz) gzip -dc "$kmods/$path" >"$stage/lib/modules/$krel/${path%.gz}" ;;
	*.ko.zst) zstd -qdc "$kmods/$path" >"$stage/lib/modules/$krel/${path%.zst}" ;;
	*) echo "fetch-guest: $path: unknown module format" >&2; exit 1 ;;
	esac
done
cp "$kmods/modules.builtin" "$kmods/modules.order" "$stage/lib/modules/$krel/"
"$stage/bin/busybox" depmod -b "$stage" "$krel"
mods=$(printf '%s\n' "${!taken[@]}" | LC_ALL=C sort | tr '\n' ' ')
echo "fetch-guest: modules from $kpkg: $mods"
if [ "$(id -u)" -eq 0 ]; then
	mknod -m 600 "$stage/dev/console" c 5 1
fi
find "$stage" -exec touch -h -d @0 {} + # same inputs, same archive
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9n >"$dir/initramfs.cpio.gz"
echo "fetch-guest: $dir/initramfs.cpio.gz: busybox $bver, ${#taken[@]} modules, $(stat -c %s "$dir/initramfs.cpio.gz") bytes"
printf '%s\n' "$stamp" >"$dir/.stamp"
