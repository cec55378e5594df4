/*
 * virtio/net.h - the virtio-net card (--net user|tap) on the VM's PCI bus.
 */
#ifndef EMBER_VIRTIO_NET_H
#define EMBER_VIRTIO_NET_H

struct vm;
struct net_config;

/* Open cfg's backend (net/net.h) and put a virtio-net function for it on
 * the PCI bus.  0 or -errno with ember_error() naming the option. */
int virtio_net_create(struct vm *vm, const struct net_config *cfg);

#endif
