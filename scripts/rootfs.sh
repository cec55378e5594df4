#!/usr/bin/env bash
# scripts/rootfs.sh [DIR] - build DIR/rootfs.img (default guest/): a Debian
# root disk for the default guest's kernel, from Debian's packages.
#   - mmdebstrap of the host's Debian release from the Debian repositories
#     this host's apt already uses (apt-cache policy, origin Debian), with
#     systemd, udev, dbus, openssh-server and iproute2;
#   - a serial getty on ttyS0 logged in as root (agetty --autologin), no
#     root password; ssh as root by key only: DIR/rootfs_key(.pub), made
#     here once, and the public keys of whoever builds it (~/.ssh/id_*.pub)
#     are root's authorized keys;
#   - systemd-networkd: DHCP on every en*/eth* NIC (slirp: 10.0.2.15,
#     DNS 10.0.2.3), hostname "ember";
#   - an ext4 image of ROOTFS_SIZE (default 2G, sparse) written by
#     mke2fs -d from the tree: nothing is mounted.
# The kernel's virtio and ext4 drivers are modules: boot it with the default
# initramfs and root=/dev/vda (README "The Debian root disk").  Rebuilds only
# when the package versions, the repositories, the key or this script change
# (DIR/.rootfs-stamp).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=${1:-guest}
size=${ROOTFS_SIZE:-2G}
for tool in mmdebstrap mke2fs ssh-keygen apt-cache tar; do
	command -v "$tool" >/dev/null ||
		{ echo "rootfs: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# Debian's own repositories as apt sees them, whichever file declares them:
# apt-cache policy names each index (URI, suite/component) and its origin.
repos() {
	apt-cache policy | awk '
		$1 ~ /^[0-9]+$/ && $2 ~ /^[a-z]+:\/\// { uri = $2; sc = $3; next }
		uri != "" && /release / && /o=Debian,/ && /b=amd64/ {
			n = split(sc, p, "/")
			if (n == 2) print "deb " uri " " p[1] " " p[2]
		}
		{ uri = "" }' | LC_ALL=C sort -u
}
sources=$(repos)
if [ -z "$sources" ]; then
	echo "rootfs: apt knows no Debian repository, running apt-get update"
	apt-get update -qq
	sources=$(repos)
fi
[ -n "$sources" ] || { echo "rootfs: apt knows no Debian repository (apt-cache policy)" >&2; exit 1; }
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
include=systemd-sysv,udev,dbus,openssh-server,iproute2

[ -f "$dir/rootfs_key" ] ||
	ssh-keygen -q -t ed25519 -N '' -C "ember rootfs key" -f "$dir/rootfs_key"
chmod 600 "$dir/rootfs_key"
# root's authorized keys: this key, so tests need nothing else, and the
# builder's own, so a plain `ssh -p 2222 root@127.0.0.1` logs in.
keys=$(cat "$dir/rootfs_key.pub" "$HOME"/.ssh/id_*.pub 2>/dev/null || true)

# The stamp: the candidate versions of what is asked for (the rest follows
# from them and the repositories), the repositories, this script, the keys.
stamp="$suite $size
$sources
$(apt-cache policy ${include//,/ } | awk '/^[^ ]/ { p = $1 } /Candidate:/ { print p, $2 }')
$(sha256sum "$root/scripts/rootfs.sh" | awk '{ print $1 }')
$(printf '%s\n' "$keys" | sha256sum | awk '{ print $1 }')"
if [ -f "$dir/.rootfs-stamp" ] && [ "$(cat "$dir/.rootfs-stamp")" = "$stamp" ] &&
	[ -f "$dir/rootfs.img" ]; then
	echo "rootfs: $dir/rootfs.img is up to date"
	exit 0
fi

work=$(mktemp -d "$dir/.rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/tree"
# The image's own configuration, copied in by mmdebstrap's customize hook.
conf=$work/conf
mkdir -p "$conf/etc/systemd/system/serial-getty@ttyS0.service.d" "$conf/etc/systemd/network" \
	"$conf/root/.ssh"
printf '%s\n' "$sources" >"$conf/sources.list"
echo ember >"$conf/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tember\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
	>"$conf/etc/hosts"
printf '/dev/vda\t/\text4\terrors=remount-ro\t0\t1\n' >"$conf/etc/fstab"
echo 'nameserver 10.0.2.3' >"$conf/etc/resolv.conf"
cat >"$conf/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<'EOF'
# ember: the serial console is logged in as root.
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 %I $TERM
EOF
cat >"$conf/etc/systemd/network/80-ember-dhcp.network" <<'EOF'
# ember: DHCP on the virtio NIC (slirp answers 10.0.2.15).
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
EOF
# The disk carries no kernel modules (the initramfs loads what the disk and
# NIC need): systemd's units that only load a module have nothing to do.
for m in configfs dm_mod drm efi_pstore fuse loop; do
	ln -s /dev/null "$conf/etc/systemd/system/modprobe@$m.service"
done
printf '%s\n' "$keys" >"$conf/root/.ssh/authorized_keys"
chmod 700 "$conf/root/.ssh"
chmod 600 "$conf/root/.ssh/authorized_keys"

t0=$(date +%s)
echo "rootfs: mmdebstrap $suite ($include) from: $(printf '%s' "$sources" | tr '\n' ';')"
# eatmydata (mmdebstrap's hook: dpkg without fsync, the package removed
# again at the end) and no manuals, documentation or translations: the
# install is dpkg's writes, and nothing here reads those files.
mmdebstrap --quiet --mode="${ROOTFS_MODE:-auto}" --variant=apt --include="$include" \
	--hook-dir=/usr/share/mmdebstrap/hooks/eatmydata \
	--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
	--customize-hook="tar -C '$conf' --exclude=./sources.list -c . | tar -C \"\$1\" -x --no-same-owner --no-overwrite-dir" \
	--customize-hook="cp '$conf/sources.list' \"\$1/etc/apt/sources.list\"" \
	--customize-hook='chroot "$1" systemctl enable systemd-networkd' \
	"$suite" "$work/tree" - <"$conf/sources.list"
t1=$(date +%s)
rm -f "$work/rootfs.img"
mke2fs -q -t ext4 -L ember-root -d "$work/tree" "$work/rootfs.img" "$size"
mv "$work/rootfs.img" "$dir/rootfs.img"
t2=$(date +%s)
printf '%s\n' "$stamp" >"$dir/.rootfs-stamp"
echo "rootfs: $dir/rootfs.img: $(du -sh --apparent-size "$dir/rootfs.img" | cut -f1) ext4," \
	"$(du -sh "$dir/rootfs.img" | cut -f1) used; mmdebstrap $((t1 - t0)) s, mke2fs $((t2 - t1)) s"
