/*
 * pci/pci.h - PCI bus 0 of the ember machine: configuration mechanism #1
 * (CONFIG_ADDRESS 0xCF8, CONFIG_DATA 0xCFC-0xCFF), type 0 configuration
 * headers with their writable-bit semantics, BARs the guest may move, the
 * capability list, MSI-X and INTx.  Not a device: functions (i440fx.c,
 * virtio_pci.c...) declare their IDs, BARs and capabilities here and get
 * callbacks for what is theirs.
 *
 * BAR decoding: the buses (bus.h) are read-only once vCPUs run, so the bus
 * registers ONE mmio range for the whole memory window and ONE pio range for
 * the I/O window (layout.h) and decodes BARs itself, from a table rebuilt on
 * every command/BAR write and read lock-free (a sequence count).  A BAR
 * decodes only while its command-register enable is set and it lies wholly
 * inside its window; an access that hits no BAR reads all-ones and drops
 * writes (counted: pci_bus_unclaimed).
 *
 * Follows the PCI Local Bus Specification 3.0: 3.2.2.3.2 (mechanism #1),
 * 6.1 and 6.2 (header, command, status), 6.2.5 (BARs), 6.7 (capabilities),
 * 6.8.2 (MSI-X).
 *
 * Threading: configuration cycles come from any vCPU thread and are
 * serialised by the bus's lock; BAR callbacks run on the accessing vCPU
 * thread with no pci lock held (a device locks itself), and may call
 * pci_intx()/pci_msix_notify(), which any thread may call at any time.
 */
#ifndef EMBER_PCI_PCI_H
#define EMBER_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"

#define PCI_SLOTS	   32
#define PCI_FUNCS	   8
#define PCI_DEVFN(slot, fn) (((slot) << 3) | (fn))
#define PCI_DEVFN_AUTO	   (-1) /* function 0 of the first free slot from 2 on */
#define PCI_CFG_SIZE	   256
#define PCI_NUM_BARS	   6

/* Header registers (6.1). */
#define PCI_VENDOR_ID	   0x00
#define PCI_DEVICE_ID	   0x02
#define PCI_COMMAND	   0x04
#define PCI_STATUS	   0x06
#define PCI_REVISION_ID	   0x08
#define PCI_CLASS_PROG	   0x09
#define PCI_CACHE_LINE	   0x0C
#define PCI_LATENCY_TIMER  0x0D
#define PCI_HEADER_TYPE	   0x0E
#define PCI_BAR0	   0x10
#define PCI_SUBSYS_VENDOR  0x2C
#define PCI_SUBSYS_ID	   0x2E
#define PCI_ROM_ADDRESS	   0x30
#define PCI_CAP_PTR	   0x34
#define PCI_INTERRUPT_LINE 0x3C
#define PCI_INTERRUPT_PIN  0x3D

#define PCI_COMMAND_IO	       0x0001
#define PCI_COMMAND_MEMORY     0x0002
#define PCI_COMMAND_MASTER     0x0004
#define PCI_COMMAND_PARITY     0x0040
#define PCI_COMMAND_SERR       0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_INTERRUPT   0x0008
#define PCI_STATUS_CAP_LIST    0x0010
#define PCI_HEADER_MULTIFUNCTION 0x80

#define PCI_CAP_ID_MSIX	  0x11
#define PCI_CAP_ID_VENDOR 0x09

enum pci_bar_kind {
	PCI_BAR_IO,    /* I/O space, 16-bit decode in the I/O window */
	PCI_BAR_MEM32, /* 32-bit memory */
	PCI_BAR_MEM64, /* 64-bit memory: takes BAR n and n+1 */
};

struct pci_bus;
struct pci_func;

/* Callbacks of a function; every member optional. */
struct pci_func_ops {
	/* After the generic part of a configuration write (off, size as the
	 * guest wrote them, val already applied to the writable bits). */
	void (*cfg_write)(void *opaque, unsigned off, unsigned size, uint32_t val);
	/* Bytes the function computes itself (read before the generic
	 * value is returned): return true and set *val to override. */
	bool (*cfg_read)(void *opaque, unsigned off, unsigned size, uint32_t *val);
};

/* What a function is (copied at pci_func_create). */
struct pci_func_desc {
	const char *name; /* for errors and --stats */
	uint16_t vendor_id, device_id;
	uint16_t subsys_vendor_id, subsys_id;
	uint8_t revision;
	uint32_t class_code; /* base << 16 | sub-class << 8 | programming interface */
	uint8_t header_type; /* 0, or PCI_HEADER_MULTIFUNCTION on function 0 */
	uint8_t int_pin;     /* 0: none, 1-4: INTA#-INTD# */
	const struct pci_func_ops *ops;
	void *opaque;
};

/* How the bus reaches the interrupt controllers (irq.h in the VM). */
struct pci_bus_ops {
	void *opaque;
	/* Input 16-23 (a GSI: IOAPIC pin) or 0-15 (an ISA IRQ through the
	 * PIIX3's PIRQ route registers): level of the wired-OR line. */
	void (*irq_line)(void *opaque, unsigned input, int level);
	void (*msi)(void *opaque, uint64_t addr, uint32_t data);
};

/*
 * A bus decoding the windows [mmio_start, mmio_end) and [io_start, io_end)
 * and the mechanism #1 ports, registered on mmio and pio.  assign: ember is
 * the firmware (a --kernel boot) and places each BAR as it is declared and
 * enables its decoding; otherwise (--bios) BARs start at 0, decoding off.
 * 0 or -errno (ember_error).
 */
int pci_bus_create(struct pci_bus **out, struct bus *pio, struct bus *mmio,
		   uint64_t mmio_start, uint64_t mmio_end, uint16_t io_start, uint32_t io_end,
		   bool assign, const struct pci_bus_ops *ops);
void pci_bus_destroy(struct pci_bus *b);

/* Create a function at devfn (bus 0) or PCI_DEVFN_AUTO; NULL with
 * ember_error() when the slot is taken, the bus full or memory short. */
struct pci_func *pci_func_create(struct pci_bus *b, int devfn, const struct pci_func_desc *d);
unsigned pci_func_devfn(const struct pci_func *f);

/*
 * Declare BAR n: size a power of two (I/O >= 4, memory >= 16; memory BARs
 * get at least 4 KiB when ember places them, so no two share a page).
 * Accesses inside it reach ops with the offset into the BAR; sizes 1, 2, 4
 * (8 for memory) as the guest made them; an access crossing the BAR's end
 * reaches nobody (reads all-ones).  0 or -errno (ember_error).
 */
int pci_func_bar(struct pci_func *f, unsigned n, enum pci_bar_kind kind, uint64_t size,
		 const struct bus_ops *ops, void *opaque);

/*
 * Append a capability: id, then len - 2 bytes of body (body[0] is the first
 * byte after the next pointer), placed dword-aligned from 0x40 on and
 * linked; wmask (may be NULL: read-only) marks the guest-writable bits of
 * the body.  Returns its offset in configuration space, or -ENOSPC.
 */
int pci_func_add_cap(struct pci_func *f, uint8_t id, const uint8_t *body, const uint8_t *wmask,
		     unsigned len);

/* Raw configuration bytes for a function's own registers (its cfg_read/
 * cfg_write callbacks and setup); the caller serialises with the guest:
 * only from those callbacks or before vCPUs run. */
uint8_t *pci_func_config(struct pci_func *f);
/* Make config bytes [off, off+len) guest-writable (all bits) or read-only. */
void pci_func_writable(struct pci_func *f, unsigned off, unsigned len);
void pci_func_readonly(struct pci_func *f, unsigned off, unsigned len);
/* The function at devfn on bus 0, or NULL. */
struct pci_func *pci_bus_func(struct pci_bus *b, unsigned devfn);

/*
 * MSI-X with nvec vectors (1-2048): the capability, and the table (16 bytes
 * per vector) and pending bits in a memory BAR of their own, bar, that pci.c
 * declares and serves.  0 or -errno.
 */
int pci_func_msix(struct pci_func *f, unsigned nvec, unsigned bar);
/* MSI-X Enable set in Message Control (the driver chose MSI-X). */
bool pci_msix_enabled(struct pci_func *f);
/* Send vector's message, or set its pending bit while it or the function is
 * masked (sent when unmasked).  Nothing without MSI-X enabled, bus mastering
 * or for a vector out of range.  Any thread. */
void pci_msix_notify(struct pci_func *f, unsigned vector);

/* The function's INTx# level (its interrupt pin): the Interrupt Status bit,
 * and the shared line unless Interrupt Disable or MSI-X Enable is set.
 * Any thread. */
void pci_intx(struct pci_func *f, int level);
/* The GSI its pin reaches: LAYOUT_GSI_PCI_FIRST + ((slot + pin - 1) & 7). */
unsigned pci_intx_gsi(unsigned devfn, unsigned pin);

/* Configuration cycle on bus 0 (what mechanism #1 does; for tests and the
 * firmware interface): any size 1/2/4, any offset; absent functions read
 * all-ones. */
uint32_t pci_cfg_read(struct pci_bus *b, unsigned devfn, unsigned off, unsigned size);
void pci_cfg_write(struct pci_bus *b, unsigned devfn, unsigned off, unsigned size, uint32_t val);

/* PIIX3 PIRQ route register values (0x60-0x63), kept by i440fx.c: the ISA
 * IRQ PIRQn drives as well, or 0x80 (disabled). */
void pci_bus_set_pirq(struct pci_bus *b, unsigned pirq, uint8_t route);

/* Accesses in the windows that hit no enabled BAR. */
uint64_t pci_bus_unclaimed(const struct pci_bus *b);

#endif
