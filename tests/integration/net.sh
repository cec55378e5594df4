#!/usr/bin/env bash
# net.sh - --net user both ways with Debian's kernel and virtio_net: one boot
# in which the guest takes a DHCP lease from the user network, fetches a
# file from an HTTP server on the host's 127.0.0.1 (as 10.0.2.2) and
# checks it, then serves the same bytes on port 8080, which the host reads
# through hostfwd and checks.  QEMU's TCG with -netdev user runs the same
# guest first: the oracle for the guest's half (tests/integration/net/).
set -u
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$out"' EXIT

if ! scripts/fetch-guest.sh >"$out/fetch.log" 2>&1; then
	echo "SKIP net: scripts/fetch-guest.sh failed (apt unreachable?): $(tail -1 "$out/fetch.log")"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "SKIP net: python3 is not installed (scripts/install-deps.sh)"
	exit 0
fi

# The test's overlay, appended to the default initramfs (the kernel unpacks
# concatenated archives in order): the guest's script and, for an initramfs
# without them, Debian's virtio_net module and its dependencies.
stage=$out/overlay/net-test
mkdir -p "$stage"
cp tests/integration/net/guest.sh tests/integration/net/udhcpc.sh "$stage/"
mods=$(echo guest/.cache/kernel/lib/modules/*/kernel)
for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev \
	drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci net/core/failover \
	drivers/net/net_failover drivers/net/virtio_net; do
	cp "$mods/$m.ko" "$stage/" 2>/dev/null
done
(cd "$out/overlay" && find . -mindepth 1 | cpio -o -H newc -R 0:0 --quiet) | gzip >"$out/overlay.gz"
cat guest/initramfs.cpio.gz "$out/overlay.gz" >"$out/initrd"

# The host's HTTP server on a port the kernel picks.
mkdir -p "$out/www"
head -c $((512 * 1024)) /dev/urandom >"$out/www/blob"
want=$(sha256sum "$out/www/blob" | cut -d' ' -f1)
python3 -u -m http.server --bind 127.0.0.1 --directory "$out/www" 0 >"$out/http.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	hport=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$out/http.log" | head -1)
	[ -n "$hport" ] && break
	sleep 0.1
done
if [ -z "$hport" ]; then
	echo "FAIL net: the host's HTTP server did not start: $(head -3 "$out/http.log")"
	exit 0
fi
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# read_fwd PORT: connect and read to EOF; "SHA256 BYTES SECONDS".  The
# guest prints "serving" just before nc listens: retry an empty read.
read_fwd() {
	python3 - "$1" <<'PY'
import hashlib, socket, sys, time
for attempt in range(20):
    h, n, t0 = hashlib.sha256(), 0, time.time()
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=120)
        while True:
            d = s.recv(65536)
            if not d:
                break
            h.update(d)
            n += len(d)
    except OSError:
        pass
    if n:
        break
    time.sleep(0.5)
print(h.hexdigest(), n, "%.3f" % (time.time() - t0))
PY
}

append="console=ttyS0 quiet reboot=k panic=-1 ember.cmd=sh /net-test/guest.sh $hport"

# run NAME FWDPORT CMD...: boot, read the forwarded port once the guest
# serves, check the guest's lease, its fetch and the bytes read.
run() {
	local name=$1 fport=$2
	shift 2
	local log=$out/$name.txt
	: >"$log"
	"$@" </dev/null >"$out/$name.out" 2>&1 &
	local vm=$!
	pids+=($vm)
	local served=no
	for _ in $(seq 1200); do
		grep -q 'net-test: serving' "$log" && { served=yes; break; }
		kill -0 $vm 2>/dev/null || break
		sleep 0.25
	done
	local got=
	[ $served = yes ] && got=$(read_fwd "$fport")
	wait $vm
	local rc=$?
	local lease fetched
	lease=$(tr -d '\r' <"$log" | sed -n 's/^net-test: eth0 //p')
	fetched=$(tr -d '\r' <"$log" | sed -n 's/^net-test: fetched //p')
	if [ "$lease" = "10.0.2.15/24 via 10.0.2.2" ]; then
		echo "PASS net $name dhcp: eth0 $lease"
	else
		echo "FAIL net $name dhcp: eth0 '$lease', expected 10.0.2.15/24 via 10.0.2.2 (status $rc)"
		tr -d '\r' <"$log" | tail -15 >&2
	fi
	if [ "${fetched%% *}" = "$want" ]; then
		echo "PASS net $name host -> guest: the guest fetched http://10.0.2.2:$hport/blob, SHA-256 matches (${fetched#* })"
	else
		echo "FAIL net $name host -> guest: the guest fetched '$fetched', expected SHA-256 $want"
	fi
	if [ "${got%% *}" = "$want" ]; then
		echo "PASS net $name guest -> host: hostfwd 127.0.0.1:$fport read the guest's bytes, SHA-256 matches (${got#* } s)"
	else
		echo "FAIL net $name guest -> host: read '$got' through hostfwd port $fport, expected SHA-256 $want"
	fi
	[ "$rc" -eq 0 ] || echo "FAIL net $name: exit status $rc"
}

if [ "${NET_QEMU:-yes}" = yes ] && command -v qemu-system-x86_64 >/dev/null; then
	fport=$(free_port)
	run qemu "$fport" timeout 300 qemu-system-x86_64 -accel tcg -m 512 -nodefaults -display none \
		-monitor none -serial "file:$out/qemu.txt" -no-reboot \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$fport-:8080" -device virtio-net-pci,netdev=n0 \
		-kernel guest/vmlinuz -initrd "$out/initrd" -append "$append"
fi
if [ -x build/ember ]; then
	fport=$(free_port)
	run ember "$fport" timeout 300 build/ember run --accel emu --mem 512M \
		--serial "file:$out/ember.txt" --net "user,hostfwd=tcp:127.0.0.1:$fport-:8080" \
		--kernel guest/vmlinux --initrd "$out/initrd" --append "$append"
fi
