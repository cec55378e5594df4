#!/bin/sh
# busybox udhcpc's event script for net.sh's guest: apply the lease.
case $1 in
bound | renew)
	ip addr add "$ip/$mask" dev "$interface"
	[ -n "$router" ] && ip route add default via "$router"
	;;
esac
exit 0
