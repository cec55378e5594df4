# tests/integration/net/lib.sh - the host's half of a --net user run, shared
# by tests/integration/net.sh and bench/net.sh (sourced; $out is a scratch
# directory, the caller's EXIT trap kills $net_pids and removes $out).
#   net_initrd          $out/initrd: the default initramfs + the guest's
#                       script (net/guest.sh) and Debian's virtio_net modules
#   net_http BYTES      a random $out/www/blob of BYTES, its SHA-256 in
#                       $net_want, served on 127.0.0.1:$net_hport
#   net_free_port       two consecutive TCP ports free on 127.0.0.1 now: the first
#   net_run NAME FPORT CMD...
#                       boot CMD (its serial console in $out/NAME.txt),
#                       fetch http://127.0.0.1:FPORT/blob (hostfwd to the
#                       guest's httpd on 8080) once the guest serves, then
#                       connect to FPORT+1 (its 8081) to end; sets net_rc, net_lease,
#                       net_fetched ("SHA BYTES bytes in SECONDS s") and
#                       net_got ("SHA BYTES SECONDS")
net_pids=()

net_initrd() {
	local stage=$out/overlay/net-test m
	mkdir -p "$stage"
	cp tests/integration/net/guest.sh tests/integration/net/udhcpc.sh "$stage/"
	# The kernel unpacks concatenated archives in order; the modules serve
	# an initramfs whose /init does not load them itself.
	local mods
	mods=$(echo guest/.cache/kernel/lib/modules/*/kernel)
	for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev \
		drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci net/core/failover \
		drivers/net/net_failover drivers/net/virtio_net; do
		cp "$mods/$m.ko" "$stage/" 2>/dev/null
	done
	(cd "$out/overlay" && find . -mindepth 1 | cpio -o -H newc -R 0:0 --quiet) | gzip >"$out/overlay.gz"
	cat guest/initramfs.cpio.gz "$out/overlay.gz" >"$out/initrd"
}

net_http() {
	mkdir -p "$out/www"
	head -c "$1" /dev/urandom >"$out/www/blob"
	net_want=$(sha256sum "$out/www/blob" | cut -d' ' -f1)
	python3 -u -m http.server --bind 127.0.0.1 --directory "$out/www" 0 >"$out/http.log" 2>&1 &
	net_pids+=($!)
	net_hport=
	for _ in $(seq 50); do
		net_hport=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$out/http.log" | head -1)
		[ -n "$net_hport" ] && return 0
		sleep 0.1
	done
	return 1
}

net_free_port() {
	python3 - <<'PY'
import socket
for _ in range(100):
    a, b = socket.socket(), socket.socket()
    a.bind(("127.0.0.1", 0))
    try:
        b.bind(("127.0.0.1", a.getsockname()[1] + 1))
    except OSError:
        continue
    print(a.getsockname()[1])
    break
PY
}

# Fetch /blob from the guest's httpd, then say done on the next port.
# A refused or empty fetch (httpd not listening yet) is retried.
net_read_fwd() {
	python3 - "$1" <<'PY'
import hashlib, socket, sys, time, urllib.request
port = int(sys.argv[1])
for attempt in range(20):
    h, n, t0 = hashlib.sha256(), 0, time.time()
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/blob" % port, timeout=120) as r:
            while True:
                d = r.read(65536)
                if not d:
                    break
                h.update(d)
                n += len(d)
    except OSError:
        pass
    t = time.time() - t0
    if n:
        break
    time.sleep(0.5)
try:
    socket.create_connection(("127.0.0.1", port + 1), timeout=30).close()
except OSError:
    pass
print(h.hexdigest(), n, "%.3f" % t)
PY
}

net_run() {
	local name=$1 fport=$2
	shift 2
	local log=$out/$name.txt
	: >"$log"
	"$@" </dev/null >"$out/$name.out" 2>&1 &
	local vm=$!
	net_pids+=($vm)
	local served=no
	for _ in $(seq 1200); do
		grep -q 'net-test: serving' "$log" && { served=yes; break; }
		kill -0 $vm 2>/dev/null || break
		sleep 0.25
	done
	net_got=
	[ $served = yes ] && net_got=$(net_read_fwd "$fport")
	wait $vm
	net_rc=$?
	net_lease=$(tr -d '\r' <"$log" | sed -n 's/^net-test: eth0 //p')
	net_fetched=$(tr -d '\r' <"$log" | sed -n 's/^net-test: fetched //p')
}
