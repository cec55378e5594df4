#!/bin/sh
# bench/guestwork.sh MIB - the user-space workload of bench/linux.sh, run by
# busybox inside the default guest (ember.cmd=sh /guestwork.sh MIB; linux.sh
# appends this file to the initramfs as a second cpio archive, so /init is
# unchanged).  Makes MIB MiB of text in tmpfs (the numbers 1..140000 one a
# line, repeated: deterministic, so the host recomputes its digest, and
# compressible like text), then times busybox sha256sum and gzip over it.
# Guest time from /proc/uptime (10 ms); prints, for linux.sh to parse:
#   guestwork: make SECONDS
#   guestwork: sha256sum SECONDS DIGEST
#   guestwork: gzip SECONDS BYTES DIGEST-OF-THE-GZIP-OUTPUT
mib=${1:-64}
up() { read -r t _ </proc/uptime; echo "$t"; }
since() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.2f", b - a }'; }
t=$(up)
seq 1 140000 >/tmp/seed
n=$((mib * 1048576 / $(wc -c </tmp/seed) + 1))
i=0
while [ $i -lt $n ]; do
	cat /tmp/seed
	i=$((i + 1))
done | head -c $((mib * 1048576)) >/tmp/data
echo "guestwork: make $(since "$t")"
t=$(up)
d=$(sha256sum </tmp/data)
echo "guestwork: sha256sum $(since "$t") ${d%% *}"
t=$(up)
gzip -c /tmp/data >/tmp/data.gz
s=$(since "$t")
d=$(sha256sum </tmp/data.gz)
echo "guestwork: gzip $s $(wc -c </tmp/data.gz) ${d%% *}"
