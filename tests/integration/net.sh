#!/usr/bin/env bash
# net.sh - --net user both ways with Debian's kernel and virtio_net, in one
# boot: the guest takes a DHCP lease from the user network, fetches a file
# from an HTTP server on the host's 127.0.0.1 (as 10.0.2.2) and checks it,
# then serves the same bytes on port 8080, which the host reads through
# hostfwd and checks.  If ember fails, QEMU's TCG with -netdev user runs
# the same guest, to tell the guest's half (tests/integration/net/) from
# ember's.  NET_QEMU=yes runs it always.
set -u
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
. tests/integration/net/lib.sh
trap 'kill "${net_pids[@]}" 2>/dev/null; rm -rf "$out"' EXIT

if ! scripts/fetch-guest.sh >"$out/fetch.log" 2>&1; then
	echo "SKIP net: scripts/fetch-guest.sh failed (apt unreachable?): $(tail -1 "$out/fetch.log")"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "SKIP net: python3 is not installed (scripts/install-deps.sh)"
	exit 0
fi
net_initrd
if ! net_http $((512 * 1024)); then
	echo "FAIL net: the host's HTTP server did not start: $(head -3 "$out/http.log")"
	exit 0
fi
append="console=ttyS0 quiet reboot=k panic=-1 ember.cmd=sh /net-test/guest.sh $net_hport"

# check NAME FPORT: the lease, the fetch and the bytes read (net_run's).
check() {
	local name=$1 fport=$2
	if [ "$net_lease" = "10.0.2.15/24 via 10.0.2.2" ]; then
		echo "PASS net $name dhcp: eth0 $net_lease"
	else
		echo "FAIL net $name dhcp: eth0 '$net_lease', expected 10.0.2.15/24 via 10.0.2.2 (status $net_rc)"
		tr -d '\r' <"$out/$name.txt" | tail -15 >&2
	fi
	if [ "${net_fetched%% *}" = "$net_want" ]; then
		echo "PASS net $name host -> guest: the guest fetched http://10.0.2.2:$net_hport/blob, SHA-256 matches (${net_fetched#* })"
	else
		echo "FAIL net $name host -> guest: the guest fetched '$net_fetched', expected SHA-256 $net_want"
	fi
	if [ "${net_got%% *}" = "$net_want" ]; then
		echo "PASS net $name guest -> host: http://127.0.0.1:$fport/blob (hostfwd to the guest's httpd) gave the guest's bytes, SHA-256 matches (${net_got#* } s)"
	else
		echo "FAIL net $name guest -> host: read '$net_got' through hostfwd port $fport, expected SHA-256 $net_want"
	fi
	[ "$net_rc" -eq 0 ] || echo "FAIL net $name: exit status $net_rc"
}

if [ ! -x build/ember ]; then
	echo "FAIL net ember: build/ember is not built (make)"
	exit 0
fi
fport=$(net_free_port)
net_run ember "$fport" timeout 300 build/ember run --accel emu --mem 512M \
	--serial "file:$out/ember.txt" --net "user,hostfwd=tcp:127.0.0.1:$fport-:8080,hostfwd=tcp:127.0.0.1:$((fport + 1))-:8081" \
	--kernel guest/vmlinux --initrd "$out/initrd" --append "$append"
check ember "$fport" | tee "$out/ember.result"
# The checks' oracle is the host's own data; QEMU's TCG (-netdev user)
# runs the same guest only when ember failed, to tell a guest-side fault
# from ember's (about 30 s that a passing run does not spend).
if grep -q '^FAIL' "$out/ember.result" || [ "${NET_QEMU:-}" = yes ]; then
	if command -v qemu-system-x86_64 >/dev/null; then
		fport=$(net_free_port)
		net_run qemu "$fport" timeout 300 qemu-system-x86_64 -accel tcg -m 512 -nodefaults \
			-display none -monitor none -serial "file:$out/qemu.txt" -no-reboot \
			-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$fport-:8080,hostfwd=tcp:127.0.0.1:$((fport + 1))-:8081" \
			-device virtio-net-pci,netdev=n0 \
			-kernel guest/vmlinux -initrd "$out/initrd" -append "$append"
		check qemu "$fport"
	else
		echo "SKIP net qemu: qemu-system-x86_64 not installed (scripts/install-deps.sh)"
	fi
fi
