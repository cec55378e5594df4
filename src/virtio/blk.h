/*
 * virtio/blk.h - virtio-blk (virtio 1.2, 5.2) over the block backend: one
 * request queue per --drive, served by the drive's I/O thread (block/).
 */
#ifndef EMBER_VIRTIO_BLK_H
#define EMBER_VIRTIO_BLK_H

struct vm;
struct blk_options;

/* Open and lock the image, put the device on the VM's PCI bus (/dev/vda,
 * vdb... in creation order).  0 or -errno (ember_error names the file). */
int virtio_blk_create(struct vm *vm, const struct blk_options *o);

#endif
