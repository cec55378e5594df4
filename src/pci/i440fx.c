/*
 * pci/i440fx.c - the i440FX host bridge and the PIIX3 ISA bridge (see
 * i440fx.h).  Their device-specific registers (0x40 up) are guest-writable
 * storage with the datasheets' power-on values; the PIIX3's PIRQ route
 * registers also steer INTx (pci.c); the PMC's PAM registers route the
 * BIOS area's shadow RAM (shadow.c).
 */
#include <errno.h>

#include "pci/i440fx.h"
#include "pci/pci.h"
#include "shadow.h"

#define INTEL_VENDOR 0x8086

/* 82441FX PMC: 8086:1237, revision 02h, host bridge.  Memory space and bus
 * master are always on (read-only ones). */
#define I440FX_DEVICE  0x1237
#define I440FX_REV     0x02
#define CLASS_HOST     0x060000
#define I440FX_COMMAND (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)
/* SMRAM control (0x72) powers on at 02h: the compatible SMRAM space at
 * A0000h, closed. */
#define I440FX_SMRAM	 0x72
#define I440FX_SMRAM_POR 0x02
/* PAM0-PAM6: shadow RAM control for 0xC0000-0xFFFFF (shadow.h).  SMRAM is
 * storage: ember has no SMM, so opening it changes nothing. */
#define I440FX_PAM0 0x59
#define I440FX_NPAM 7

/* 82371SB PIIX3 function 0: 8086:7000, ISA bridge; multi-function (its
 * IDE, USB and power-management functions follow).  I/O, memory and bus
 * master are always on. */
#define PIIX3_DEVICE  0x7000
#define CLASS_ISA     0x060100
#define PIIX3_COMMAND (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)
#define PIIX3_PIRQRC  0x60 /* PIRQA#-PIRQD# route control, 80h: disabled */
#define PIIX3_TOM     0x69 /* top of memory: 02h at power-on */
#define PIIX3_TOM_POR 0x02
#define PIIX3_MBDMA   0x76 /* motherboard DMA: 04h (disabled) each */

#define CHIPSET_REGS 0x40 /* device-specific registers from here on */

/* The PAM bytes the guest wrote (all bits writable storage here, as in
 * the config space) re-route the BIOS area's shadow RAM. */
static void i440fx_cfg_write(void *opaque, unsigned off, unsigned size, uint32_t val)
{
	struct memmap *mem = opaque;
	for (unsigned i = 0; i < size; i++)
		if (off + i >= I440FX_PAM0 && off + i < I440FX_PAM0 + I440FX_NPAM)
			shadow_write_pam(mem, off + i - I440FX_PAM0, (uint8_t)(val >> (8 * i)));
}

static const struct pci_func_ops i440fx_ops = {.cfg_write = i440fx_cfg_write};

static void piix3_cfg_write(void *opaque, unsigned off, unsigned size, uint32_t val)
{
	struct pci_bus *b = opaque;
	const uint8_t *c = pci_func_config(pci_bus_func(b, PIIX3_DEVFN));
	for (unsigned p = 0; p < 4; p++)
		if (off <= PIIX3_PIRQRC + p && PIIX3_PIRQRC + p < off + size)
			pci_bus_set_pirq(b, p, c[PIIX3_PIRQRC + p]);
}

static const struct pci_func_ops piix3_ops = {.cfg_write = piix3_cfg_write};

static void chipset_fixed_command(struct pci_func *f, uint16_t cmd)
{
	uint8_t *c = pci_func_config(f);
	c[PCI_COMMAND] = (uint8_t)cmd;
	c[PCI_COMMAND + 1] = (uint8_t)(cmd >> 8);
	pci_func_readonly(f, PCI_COMMAND, 2);
	pci_func_writable(f, CHIPSET_REGS, PCI_CFG_SIZE - CHIPSET_REGS);
}

int i440fx_create(struct pci_bus *b, struct memmap *mem)
{
	const struct pci_func_desc host = {
	    .name = "i440fx",
	    .vendor_id = INTEL_VENDOR,
	    .device_id = I440FX_DEVICE,
	    .revision = I440FX_REV,
	    .class_code = CLASS_HOST,
	    .ops = &i440fx_ops,
	    .opaque = mem,
	};
	struct pci_func *f = pci_func_create(b, I440FX_DEVFN, &host);
	if (!f)
		return -ENOMEM;
	chipset_fixed_command(f, I440FX_COMMAND);
	pci_func_config(f)[I440FX_SMRAM] = I440FX_SMRAM_POR;

	const struct pci_func_desc isa = {
	    .name = "piix3",
	    .vendor_id = INTEL_VENDOR,
	    .device_id = PIIX3_DEVICE,
	    .class_code = CLASS_ISA,
	    .header_type = PCI_HEADER_MULTIFUNCTION,
	    .ops = &piix3_ops,
	    .opaque = b,
	};
	f = pci_func_create(b, PIIX3_DEVFN, &isa);
	if (!f)
		return -ENOMEM;
	chipset_fixed_command(f, PIIX3_COMMAND);
	uint8_t *c = pci_func_config(f);
	for (unsigned p = 0; p < 4; p++)
		c[PIIX3_PIRQRC + p] = 0x80;
	c[PIIX3_TOM] = PIIX3_TOM_POR;
	c[PIIX3_MBDMA] = c[PIIX3_MBDMA + 1] = 0x04;
	return 0;
}
