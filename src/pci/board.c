/*
 * pci/board.c - the VM's PCI bus and what sits on it (see board.h): the
 * bus's interrupt outputs to the router's inputs, device writes into RAM to
 * the engine, the chipset, virtio-rng, the --drive disks and the --net card.
 * No register semantics here.
 */
#include <errno.h>
#include <stdlib.h>

#include "irq.h"
#include "layout.h"
#include "pci/board.h"
#include "pci/i440fx.h"
#include "pci/pci.h"
#include "util.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "virtio/rng.h"
#include "vm.h"

static void board_irq_line(void *opaque, unsigned input, int level)
{
	struct vm *vm = opaque;
	irq_set(vm->irq, input, level);
}

static void board_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct vm *vm = opaque;
	irq_msi(vm->irq, addr, data);
}

static void board_ram_written(void *opaque, uint64_t gpa, uint64_t len)
{
	struct vm *vm = opaque;
	if (vm->engine->ram_written)
		vm->engine->ram_written(vm, gpa, len);
}

int pci_board_create(struct vm *vm)
{
	struct pci_board *p = calloc(1, sizeof(*p));
	if (!p)
		return ember_error(-ENOMEM, "pci: out of memory");
	vm->pci = p;
	p->vm = vm;
	p->dma = (struct dma_space){.mem = &vm->mem, .written = board_ram_written, .opaque = vm};
	const struct pci_bus_ops ops = {.opaque = vm, .irq_line = board_irq_line, .msi = board_msi};
	int r = pci_bus_create(&p->bus, &vm->pio, &vm->mmio, LAYOUT_PCI_MMIO_START,
			       LAYOUT_PCI_MMIO_END, LAYOUT_PCI_IO_START, LAYOUT_PCI_IO_END,
			       !vm->cfg->bios, &ops);
	if (r < 0)
		return r;
	r = i440fx_create(p->bus, &vm->mem);
	if (r < 0)
		return r;
	r = virtio_rng_create(vm);
	/* Then the disks, in --drive order (/dev/vda, vdb...), then the card. */
	for (int i = 0; r == 0 && i < vm->cfg->ndrives; i++)
		r = virtio_blk_create(vm, &vm->cfg->drives[i]);
	if (r < 0)
		return r;
	if (vm->cfg->net.kind != NET_NONE)
		return virtio_net_create(vm, &vm->cfg->net);
	return 0;
}

void pci_board_destroy(struct vm *vm)
{
	struct pci_board *p = vm->pci;
	if (!p)
		return;
	for (unsigned i = p->nvirtio; i-- > 0;)
		virtio_dev_free(p->virtio[i]);
	pci_bus_destroy(p->bus);
	free(p);
	vm->pci = NULL;
}
