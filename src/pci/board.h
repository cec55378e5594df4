/*
 * pci/board.h - the VM's PCI bus: bus 0 on the VM's port and MMIO buses with
 * its interrupts routed through the VM's router, the chipset (i440fx.c),
 * guest RAM as devices see it (dma.h, with the engine's hook for decoded
 * code), and the virtio devices on it (virtio-rng always; blk and net add
 * theirs with virtio_pci_create).  Glue only, like devices.c.
 */
#ifndef EMBER_PCI_BOARD_H
#define EMBER_PCI_BOARD_H

#include "dma.h"

struct vm;
struct pci_bus;
struct virtio_dev;

#define PCI_BOARD_MAX_VIRTIO 30 /* slots 2-31 */

struct pci_board {
	struct vm *vm;
	struct pci_bus *bus;
	struct dma_space dma;
	struct virtio_dev *virtio[PCI_BOARD_MAX_VIRTIO];
	unsigned nvirtio;
};

/* vm->pci: the bus, the i440FX and PIIX3, virtio-rng.  BARs are placed by
 * ember for a --kernel boot, by the firmware for --bios.  Needs the router
 * (vm->irq) and the memory map.  0 or -errno (ember_error). */
int pci_board_create(struct vm *vm);
/* Destroy every virtio device (its ops->destroy first), then the bus. */
void pci_board_destroy(struct vm *vm);

/* virtio_pci.c's half of pci_board_destroy. */
void virtio_dev_free(struct virtio_dev *d);

#endif
