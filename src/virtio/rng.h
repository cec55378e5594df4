/*
 * virtio/rng.h - virtio-rng (virtio 1.2, 5.4): one request queue whose
 * device-writable buffers are filled from the host's getrandom().  Always
 * present on the VM's PCI bus.
 */
#ifndef EMBER_VIRTIO_RNG_H
#define EMBER_VIRTIO_RNG_H

struct vm;

/* 0 or -errno (ember_error). */
int virtio_rng_create(struct vm *vm);

#endif
