#!/usr/bin/env bash
# bench/net.sh - network throughput through --net user (libslirp) with
# Debian's kernel and virtio_net, against QEMU's TCG with -netdev user and
# virtio-net-pci: the same kernel, initramfs, command line and guest
# (tests/integration/net/guest.sh) in the same run.  host -> guest: the
# guest's wget of a NET_BENCH_MB MiB file from an HTTP server on the host's
# 127.0.0.1, timed in the guest (/proc/uptime); guest -> host: the host
# fetches the same bytes from the guest's httpd through hostfwd, timed on the
# host from connect to EOF.  Both checked by SHA-256.  ember runs again with
# --net user,mtu=NET_BENCH_MTU (default 32000; QEMU 7.2's -netdev user has no
# MTU setting).  Part of `make bench`
# (bench/run.sh); runs alone too.  Prints MB/s and ratios; never asserts.
set -u
cd "$(dirname "$0")/.."
mb=${NET_BENCH_MB:-8}
jumbo=${NET_BENCH_MTU:-32000}
for f in build/ember guest/vmlinux guest/initramfs.cpio.gz; do
	[ -e "$f" ] || { echo "SKIP net bench: $f missing (make, scripts/fetch-guest.sh)"; exit 0; }
done
command -v python3 >/dev/null || { echo "SKIP net bench: python3 missing"; exit 0; }
out=$(mktemp -d)
. tests/integration/net/lib.sh
trap 'kill "${net_pids[@]}" 2>/dev/null; rm -rf "$out"' EXIT
net_initrd
net_http $((mb << 20)) || { echo "FAIL net bench: the host's HTTP server did not start"; exit 1; }
append="console=ttyS0 quiet reboot=k panic=-1 ember.cmd=sh /net-test/guest.sh $net_hport"
failed=0

# measure NAME: "IN OUT" MB/s (host -> guest, guest -> host) of net_run's
# results, or FAIL.
measure() {
	local in_s out_s
	in_s=$(echo "$net_fetched" | awk '{ print $(NF - 1) }')
	out_s=$(echo "$net_got" | awk '{ print $3 }')
	if [ "${net_fetched%% *}" != "$net_want" ] || [ "${net_got%% *}" != "$net_want" ]; then
		echo "FAIL net bench $1: fetched '$net_fetched', read '$net_got' (status $net_rc)" >&2
		failed=1
		return
	fi
	awk -v b=$((mb << 20)) -v i="$in_s" -v o="$out_s" 'BEGIN { printf "%.2f %.2f\n", b / i / 1e6, b / o / 1e6 }'
}

# ember_net NAME EXTRA: ember with --net user[EXTRA]; "IN OUT" MB/s.
ember_net() {
	local fport
	fport=$(net_free_port)
	net_run "$1" "$fport" timeout 600 build/ember run --accel emu --emu-mode interp --mem 512M \
		--serial "file:$out/$1.txt" \
		--net "user$2,hostfwd=tcp:127.0.0.1:$fport-:8080,hostfwd=tcp:127.0.0.1:$((fport + 1))-:8081" \
		--kernel guest/vmlinux --initrd "$out/initrd" --append "$append"
	measure "$1"
}
e=$(ember_net ember "")
# A larger MTU (NET_BENCH_MTU): 21 times fewer frames for the guest to handle.
j=$(ember_net ember-mtu ",mtu=$jumbo")
q=
if command -v qemu-system-x86_64 >/dev/null; then
	fport=$(net_free_port)
	net_run qemu "$fport" timeout 600 qemu-system-x86_64 -accel tcg -m 512 -nodefaults \
		-display none -monitor none -serial "file:$out/qemu.txt" -no-reboot \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$fport-:8080,hostfwd=tcp:127.0.0.1:$((fport + 1))-:8081" -device virtio-net-pci,netdev=n0 \
		-kernel guest/vmlinux -initrd "$out/initrd" -append "$append"
	q=$(measure qemu)
else
	echo "SKIP net bench TCG column: qemu-system-x86_64 not installed"
fi
echo "net bench: --net user (libslirp), virtio-net, $mb MiB each way, MB/s (higher is better)"
printf '  %-16s %10s %10s %8s %14s %8s\n' direction "ember emu" "qemu tcg" "ratio" \
	"ember mtu=$jumbo" "ratio"
set -- $e
ei=${1:-} eo=${2:-}
set -- $q
qi=${1:-} qo=${2:-}
set -- $j
ji=${1:-} jo=${2:-}
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }' || echo -; }
printf '  %-16s %10s %10s %8s %14s %8s\n' "host -> guest" "${ei:--}" "${qi:--}" \
	"$(ratio "$ei" "$qi")" "${ji:--}" "$(ratio "$ji" "$qi")"
printf '  %-16s %10s %10s %8s %14s %8s\n' "guest -> host" "${eo:--}" "${qo:--}" \
	"$(ratio "$eo" "$qo")" "${jo:--}" "$(ratio "$jo" "$qo")"
exit $failed
