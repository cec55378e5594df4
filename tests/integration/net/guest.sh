#!/bin/sh
# tests/integration/net/guest.sh PORT - the guest's half of net.sh, packed
# into an initramfs overlay as /net-test/guest.sh and run by ember.cmd=:
# bring up eth0 (virtio_net; DHCP from the user network), fetch
# http://10.0.2.2:PORT/blob from the host and print its SHA-256, then serve
# the same bytes with busybox httpd on port 8080 for the host to fetch
# through hostfwd, until the host connects to port 8081 to say it is done.
port=$1
say() { echo "net-test: $*"; }
# Debian's modules, unless the initramfs's /init loaded them already.
if [ ! -e /sys/class/net/eth0 ] && ! modprobe virtio_net 2>/dev/null; then
	for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
		failover net_failover virtio_net; do
		insmod /net-test/$m.ko || say "insmod $m failed"
	done
fi
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if ! ip -4 addr show eth0 2>/dev/null | grep -q inet; then
	ip link set eth0 up
	udhcpc -i eth0 -n -q -t 5 -s /net-test/udhcpc.sh >/dev/null 2>&1 || say "udhcpc failed"
fi
say "eth0 $(ip -4 -o addr show eth0 | awk '{ print $4 }') via $(ip route | awk '/^default/ { print $3 }')"
t0=$(cut -d' ' -f1 /proc/uptime)
if wget -q -O /tmp/blob "http://10.0.2.2:$port/blob"; then
	t1=$(cut -d' ' -f1 /proc/uptime)
	say "fetched $(sha256sum /tmp/blob | cut -d' ' -f1) $(wc -c </tmp/blob) bytes in $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"
else
	say "wget failed"
fi
mkdir -p /tmp/www && mv /tmp/blob /tmp/www/blob 2>/dev/null
httpd -p 8080 -h /tmp/www
say "serving"
timeout 300 nc -l -p 8081 >/dev/null
say "served"
