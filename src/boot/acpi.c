/*
 * boot/acpi.c - the ACPI tables of a direct kernel boot: RSDP, RSDT and
 * XSDT, a FADT describing the PC's fixed hardware (devices/acpipm.h: PM1a
 * event and control blocks, the PM timer, SCI on IRQ 9, the reset register),
 * its FACS, a DSDT with \_S5 and the PCI host bridge (\_SB.PCI0), and a
 * MADT with one local APIC per vCPU, the IOAPIC and the ISA overrides.  The MP table (mptable.c)
 * stays for acpi=off.  The tables live in the BIOS area, mapped as ROM
 * (layout.h).  Not a firmware: no AML methods, no SMM.
 * Follows ACPI 6.4: 5.2.5 (RSDP), 5.2.6 (header), 5.2.7/5.2.8 (RSDT/XSDT),
 * 5.2.9 (FADT revision 6), 5.2.10 (FACS), 5.2.12 (MADT), 20.2 (AML grammar).
 */
#include <errno.h>
#include <string.h>

#include "boot/aml.h"
#include "boot/loaders.h"
#include "devices/acpipm.h"
#include "layout.h"
#include "util.h"

#define HDR_SIZE 36
#define ACPI_PCI_SLOTS 32

/* Generic Address Structure address space IDs and access sizes (5.2.3.2). */
#define GAS_SYSTEM_IO 1
#define GAS_BYTE      1
#define GAS_WORD      2
#define GAS_DWORD     3

/* FADT fixed feature flags (table 5.10). */
#define FADT_WBINVD	   (1u << 0)
#define FADT_PROC_C1	   (1u << 2)
#define FADT_SLP_BUTTON	   (1u << 5) /* no fixed-feature sleep button */
#define FADT_TMR_VAL_EXT   (1u << 8) /* 32-bit PM timer */
#define FADT_RESET_REG_SUP (1u << 10)
/* IA-PC boot architecture flags (table 5.11). */
#define FADT_LEGACY_DEVICES (1u << 0) /* COM1, RTC, PIT... on the ISA bus */
#define FADT_8042	    (1u << 1)
#define FADT_VGA_ABSENT	    (1u << 2)

/* MADT (5.2.12): flags and structure types. */
#define MADT_PCAT_COMPAT    1u /* dual 8259s as well */
#define MADT_LAPIC	    0
#define MADT_IOAPIC	    1
#define MADT_ISO	    2
#define MADT_LAPIC_NMI	    4
#define MADT_ENABLED	    1u
#define MADT_ALL_PROCESSORS 0xFF
/* MPS INTI flags (table 5.26): polarity in bits 1:0, trigger in 3:2. */
#define MPS_ACTIVE_HIGH 1u
#define MPS_LEVEL	(3u << 2)

/* The CMOS index of the century byte (devices/rtc.c keeps it there). */
#define RTC_CENTURY_INDEX 0x32
/* Processor C2/C3 latencies that say "not supported" (5.2.9). */
#define FADT_NO_C2 101
#define FADT_NO_C3 1001

static uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)-sum;
}

/* The header every system description table starts with (5.2.6). */
static void acpi_header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "EMBER ", 6);
	memcpy(t + 16, "EMBERVM ", 8);
	put32(t + 24, 1);	   /* OEM revision */
	memcpy(t + 28, "EMBR", 4); /* creator: the tool that wrote it */
	put32(t + 32, 1);
}

static void acpi_seal(uint8_t *t)
{
	t[9] = 0;
	t[9] = acpi_checksum(t, get32(t + 4));
}

static void acpi_gas(uint8_t *p, uint8_t bits, uint8_t access, uint64_t addr)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = bits;
	p[2] = 0; /* bit offset */
	p[3] = access;
	put64(p + 4, addr);
}

/* ACPI 6.4 FADT, revision 6 (276 bytes). */
#define FADT_SIZE 276
static void acpi_fadt(uint8_t *t, uint32_t facs, uint32_t dsdt)
{
	acpi_header(t, "FACP", FADT_SIZE, 6);
	put32(t + 36, facs);
	put32(t + 40, dsdt);
	put16(t + 46, LAYOUT_IRQ_SCI);
	/* SMI_CMD (48) 0: no SMM, the machine is always in ACPI mode. */
	put32(t + 56, LAYOUT_PORT_PM1A_EVT);
	put32(t + 64, LAYOUT_PORT_PM1A_CNT);
	put32(t + 76, LAYOUT_PORT_PM_TMR);
	t[88] = 4; /* PM1_EVT_LEN: status and enable, 2 bytes each */
	t[89] = 2; /* PM1_CNT_LEN */
	t[91] = 4; /* PM_TMR_LEN */
	put16(t + 96, FADT_NO_C2);
	put16(t + 98, FADT_NO_C3);
	t[108] = RTC_CENTURY_INDEX;
	put16(t + 109, FADT_LEGACY_DEVICES | FADT_8042 | FADT_VGA_ABSENT);
	put32(t + 112, FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON |
			   FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP);
	acpi_gas(t + 116, 8, GAS_BYTE, LAYOUT_PORT_RESET);
	t[128] = ACPIPM_RESET_VALUE;
	t[131] = 4; /* FADT minor version: ACPI 6.4 */
	/* X_FIRMWARE_CTRL (132) stays 0: it "must be zero" when FIRMWARE_CTRL
	 * is not (5.2.9).  X_DSDT takes precedence over DSDT; both agree. */
	put64(t + 140, dsdt);
	acpi_gas(t + 148, 32, GAS_WORD, LAYOUT_PORT_PM1A_EVT);
	acpi_gas(t + 172, 16, GAS_WORD, LAYOUT_PORT_PM1A_CNT);
	acpi_gas(t + 208, 32, GAS_DWORD, LAYOUT_PORT_PM_TMR);
	memcpy(t + 268, "EMBER   ", 8); /* hypervisor vendor identity */
	acpi_seal(t);
}

/* FACS (5.2.10), version 2: no waking vector (no S1-S4), no global lock
 * owner other than the OS (no SMM). */
#define FACS_SIZE 64
static void acpi_facs(uint8_t *t)
{
	memcpy(t, "FACS", 4);
	put32(t + 4, FACS_SIZE);
	t[32] = 2;
}

/* Resource descriptors (6.4): small I/O port, end tag; large Word and
 * DWord address space.  General flags: min and max fixed, a producer (the
 * bridge passes the range on). */
#define RES_IO		 0x47
#define RES_IO_DECODE16	 1
#define RES_END		 0x79
#define RES_DWORD_ADDR	 0x87
#define RES_WORD_ADDR	 0x88
#define RES_TYPE_MEM	 0
#define RES_TYPE_IO	 1
#define RES_TYPE_BUS	 2
#define RES_FIXED	 0x0C
#define RES_IO_RNG_ALL	 3 /* _RNG: ISA and non-ISA ranges */
#define RES_MEM_RW	 1 /* _RW, non-cacheable */

static void res_word(struct aml *a, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max)
{
	uint8_t d[16] = {RES_WORD_ADDR, 13, 0, type, RES_FIXED, tflags};
	put16(d + 8, min);
	put16(d + 10, max);
	put16(d + 14, (uint16_t)(max - min + 1));
	aml_bytes(a, d, sizeof(d));
}

/* \_SB.PCI0: the i440FX's bus 0 (PNP0A03).  _CRS: bus 0-255, the
 * configuration ports, the I/O and memory windows pci.c decodes.  _PRT:
 * every slot's INTA#-INTD# straight to a GSI (no link devices), as
 * pci_intx_gsi() wires them; Linux makes such GSIs level, active low. */
static void acpi_dsdt_pci(struct aml *a)
{
	aml_scope(a, "\\_SB_");
	aml_device(a, "PCI0");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0A03");
	aml_name(a, "_UID");
	aml_int(a, 0);
	aml_name(a, "_BBN");
	aml_int(a, 0);
	aml_name(a, "_CRS");
	aml_buffer(a);
	res_word(a, RES_TYPE_BUS, 0, 0, 0xFF);
	uint8_t io[8] = {RES_IO, RES_IO_DECODE16};
	put16(io + 2, LAYOUT_PORT_PCI_CONFIG_ADDRESS);
	put16(io + 4, LAYOUT_PORT_PCI_CONFIG_ADDRESS);
	io[6] = 1;
	io[7] = 8;
	aml_bytes(a, io, sizeof(io));
	res_word(a, RES_TYPE_IO, RES_IO_RNG_ALL, LAYOUT_PCI_IO_START, LAYOUT_PCI_IO_END - 1);
	uint8_t mem[26] = {RES_DWORD_ADDR, 23, 0, RES_TYPE_MEM, RES_FIXED, RES_MEM_RW};
	put32(mem + 10, (uint32_t)LAYOUT_PCI_MMIO_START);
	put32(mem + 14, (uint32_t)(LAYOUT_PCI_MMIO_END - 1));
	put32(mem + 22, (uint32_t)(LAYOUT_PCI_MMIO_END - LAYOUT_PCI_MMIO_START));
	aml_bytes(a, mem, sizeof(mem));
	static const uint8_t end[2] = {RES_END, 0};
	aml_bytes(a, end, sizeof(end));
	aml_close(a);
	aml_name(a, "_PRT");
	aml_package(a, ACPI_PCI_SLOTS * 4);
	for (unsigned slot = 0; slot < ACPI_PCI_SLOTS; slot++)
		for (unsigned pin = 0; pin < 4; pin++) {
			aml_package(a, 4);
			aml_int(a, (uint64_t)slot << 16 | 0xFFFF); /* any function */
			aml_int(a, pin);
			aml_int(a, 0); /* no link device: the next is a GSI */
			aml_int(a, LAYOUT_GSI_PCI_FIRST +
				       ((slot + pin) & (LAYOUT_GSI_PCI_COUNT - 1)));
			aml_close(a);
		}
	aml_close(a);
	aml_close(a);
	aml_close(a);
}

/*
 * DefinitionBlock ("", "DSDT", 2, "EMBER ", "EMBERVM ", 1):
 * Name (\_S5, Package (4) { 5, 5, 0, 0 }) (SLP_TYPa, SLP_TYPb, reserved)
 * and the PCI host bridge.
 */
#define DSDT_MAX 8192
static size_t acpi_dsdt(uint8_t *t)
{
	struct aml a;
	aml_init(&a, t + HDR_SIZE, DSDT_MAX - HDR_SIZE);
	aml_name(&a, "\\_S5_");
	aml_package(&a, 4);
	aml_int(&a, ACPIPM_SLP_TYP_S5);
	aml_int(&a, ACPIPM_SLP_TYP_S5);
	aml_int(&a, 0);
	aml_int(&a, 0);
	aml_close(&a);
	acpi_dsdt_pci(&a);
	size_t len = HDR_SIZE + a.len;
	acpi_header(t, "DSDT", (uint32_t)len, 2); /* revision 2: 64-bit integers */
	acpi_seal(t);
	return a.overflow ? 0 : len;
}

static uint8_t *acpi_iso(uint8_t *p, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	p[0] = MADT_ISO;
	p[1] = 10;
	p[2] = 0; /* bus: ISA */
	p[3] = irq;
	put32(p + 4, gsi);
	put16(p + 8, flags);
	return p + 10;
}

static size_t acpi_madt(uint8_t *t, int cpus)
{
	uint8_t *p = t + HDR_SIZE + 8;
	put32(t + HDR_SIZE, (uint32_t)LAYOUT_LAPIC_BASE);
	put32(t + HDR_SIZE + 4, MADT_PCAT_COMPAT);
	for (int i = 0; i < cpus; i++, p += 8) {
		p[0] = MADT_LAPIC;
		p[1] = 8;
		p[2] = (uint8_t)i; /* ACPI processor UID */
		p[3] = (uint8_t)i; /* APIC ID, as in the MP table and CPUID */
		put32(p + 4, MADT_ENABLED);
	}
	p[0] = MADT_IOAPIC;
	p[1] = 12;
	p[2] = (uint8_t)cpus; /* the MP table's IOAPIC id: after the CPUs' */
	p[3] = 0;
	put32(p + 4, (uint32_t)LAYOUT_IOAPIC_BASE);
	put32(p + 8, 0); /* GSI base: pins 0-23 are GSIs 0-23 */
	p += 12;
	/* The PIT's IRQ0 reaches IOAPIC pin 2 (the 8259 sits on pin 0); the
	 * SCI is level-triggered, active high (5.2.12.5). */
	p = acpi_iso(p, LAYOUT_IRQ_PIT, 2, 0);
	p = acpi_iso(p, LAYOUT_IRQ_SCI, LAYOUT_IRQ_SCI, MPS_ACTIVE_HIGH | MPS_LEVEL);
	/* Every local APIC's LINT1 is the NMI, edge, as the MP table says. */
	p[0] = MADT_LAPIC_NMI;
	p[1] = 6;
	p[2] = MADT_ALL_PROCESSORS;
	put16(p + 3, 0);
	p[5] = 1; /* LINT1 */
	p += 6;
	size_t len = (size_t)(p - t);
	acpi_header(t, "APIC", (uint32_t)len, 5);
	acpi_seal(t);
	return len;
}

static size_t acpi_align(size_t off, size_t a)
{
	return (off + a - 1) & ~(a - 1);
}

int acpi_write(struct memmap *m, int cpus)
{
	/* xAPIC IDs 0..cpus-1 and the IOAPIC's id = cpus must stay below the
	 * broadcast id 0xFF. */
	if (cpus < 1 || cpus > 254)
		return ember_error(-EINVAL, "--cpus: %d CPUs do not fit in the ACPI MADT (1-254)",
				   cpus);
	/* The area a previous load into the same map created is reused. */
	const struct memregion *area = memmap_find(m, LAYOUT_BIOS_LOW_START);
	if (!area) {
		uint8_t *rom = memmap_alloc(m, LAYOUT_BIOS_LOW_SIZE);
		if (!rom)
			return ember_error(-ENOMEM, "boot: out of memory for the BIOS area");
		if (memmap_add(m, "bios-area", LAYOUT_BIOS_LOW_START, LAYOUT_BIOS_LOW_SIZE, rom,
			       MEMREGION_ROM))
			return ember_error(-ENOSPC, "boot: the memory map is full: no room for "
						    "the BIOS area holding the ACPI tables");
		area = memmap_find(m, LAYOUT_BIOS_LOW_START);
	}
	if (area->gpa != LAYOUT_BIOS_LOW_START || area->size != LAYOUT_BIOS_LOW_SIZE)
		return ember_error(-EINVAL,
				   "boot: 0x%llx is already mapped: no room for the "
				   "ACPI tables",
				   (unsigned long long)LAYOUT_BIOS_LOW_START);
	memset(area->hva, 0, area->size);
	const uint64_t base = LAYOUT_ACPI_START;
	uint8_t *b = area->hva + (base - LAYOUT_BIOS_LOW_START);
	/* The DSDT (about 2 KiB) and 254 CPUs' MADT end within 8 KiB, far
	 * inside the area. */
	size_t rsdp = 0, rsdt = 64, xsdt = 128, facs = 192, fadt = 256;
	size_t dsdt = acpi_align(fadt + FADT_SIZE, 16), dsdt_len = acpi_dsdt(b + dsdt);
	if (!dsdt_len)
		return ember_error(-ENOSPC, "internal: the DSDT does not fit in %d bytes", DSDT_MAX);
	size_t madt = acpi_align(dsdt + dsdt_len, 16);
	acpi_madt(b + madt, cpus);

	acpi_facs(b + facs);
	acpi_fadt(b + fadt, (uint32_t)(base + facs), (uint32_t)(base + dsdt));
	const size_t tables[] = {fadt, madt};
	acpi_header(b + rsdt, "RSDT", HDR_SIZE + 4 * ARRAY_SIZE(tables), 1);
	acpi_header(b + xsdt, "XSDT", HDR_SIZE + 8 * ARRAY_SIZE(tables), 1);
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		put32(b + rsdt + HDR_SIZE + 4 * i, (uint32_t)(base + tables[i]));
		put64(b + xsdt + HDR_SIZE + 8 * i, base + tables[i]);
	}
	acpi_seal(b + rsdt);
	acpi_seal(b + xsdt);

	/* RSDP, ACPI 2.0+ form (5.2.5.3): the first 20 bytes have their own
	 * checksum, the whole 36 the extended one. */
	uint8_t *r = b + rsdp;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "EMBER ", 6);
	r[15] = 2;
	put32(r + 16, (uint32_t)(base + rsdt));
	put32(r + 20, 36);
	put64(r + 24, base + xsdt);
	r[8] = acpi_checksum(r, 20);
	r[32] = acpi_checksum(r, 36);
	return 0;
}
