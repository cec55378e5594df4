/*
 * layout.h - every fixed guest-physical address, I/O port and IRQ line of the
 * ember machine, in one place, with the reason for each.  Nothing else in the
 * tree may hard-code one of these numbers.
 * Follows the PC/AT conventions Linux and SeaBIOS expect (x86 boot protocol,
 * MP spec 1.4, QEMU/Firecracker placement where the PC leaves a choice).
 */
#ifndef EMBER_LAYOUT_H
#define EMBER_LAYOUT_H

/* ---- Guest physical memory map ------------------------------------------ */

/* Conventional memory: RAM from 0 to 640 KiB (IVT, BDA, boot structures). */
#define LAYOUT_LOWMEM_END 0x000A0000ULL
/* Legacy VGA window and option/BIOS ROM area: reserved in e820. */
#define LAYOUT_VGA_START      0x000A0000ULL
#define LAYOUT_BIOS_LOW_START 0x000E0000ULL /* last 128 KiB of --bios aliased here */
#define LAYOUT_BIOS_LOW_SIZE  0x00020000ULL
#define LAYOUT_HIMEM_START    0x00100000ULL /* 1 MiB: where "extended memory" begins */

/*
 * RAM fills [0, LAYOUT_MMIO_HOLE_START); what --mem asks beyond that goes
 * above 4 GiB.  The hole holds the IOAPIC, the local APIC, KVM's private
 * pages and the firmware ROM at the top.
 */
#define LAYOUT_MMIO_HOLE_START 0xC0000000ULL /* 3 GiB */
#define LAYOUT_MMIO_HOLE_END   0x100000000ULL
#define LAYOUT_HIGH_RAM_START  0x100000000ULL

/* Bytes at the very top of the 4 GiB space where the firmware ROM ends. */
#define LAYOUT_4G 0x100000000ULL
/* Largest --bios image we map (QEMU allows up to 16 MiB as well). */
#define LAYOUT_BIOS_MAX_SIZE 0x01000000ULL

/* KVM private pages (Intel without unrestricted guest, see seeds/000):
 * KVM_SET_IDENTITY_MAP_ADDR takes one page, KVM_SET_TSS_ADDR three. */
#define LAYOUT_KVM_IDENTITY_MAP 0xFEFFC000ULL
#define LAYOUT_KVM_TSS          0xFEFFD000ULL /* 3 pages: ..FFD000-..FFFFFF */

/* Interrupt controllers (fixed by the MP spec / Intel defaults). */
#define LAYOUT_IOAPIC_BASE 0xFEC00000ULL
#define LAYOUT_IOAPIC_SIZE 0x00001000ULL
#define LAYOUT_LAPIC_BASE  0xFEE00000ULL
#define LAYOUT_LAPIC_SIZE  0x00001000ULL

/*
 * PCI (src/pci): the i440FX's bus 0.  Memory BARs live in one window from
 * the start of the MMIO hole up to the IOAPIC (the fixed devices and the
 * firmware ROM sit above it), I/O BARs in 0xC000-0xFFFF as on QEMU's pc
 * machine (what SeaBIOS assumes).  pci.c decodes both windows itself: the
 * guest moves BARs while the buses are read-only.  The DSDT's _CRS names
 * both windows; the e820 map leaves them unclaimed (a gap), as Linux expects.
 */
#define LAYOUT_PCI_MMIO_START LAYOUT_MMIO_HOLE_START
#define LAYOUT_PCI_MMIO_END   LAYOUT_IOAPIC_BASE /* exclusive */
#define LAYOUT_PCI_IO_START   0xC000
#define LAYOUT_PCI_IO_END     0x10000 /* exclusive */
/* Configuration mechanism #1: CONFIG_ADDRESS (dword at 0xCF8; 0xCF9 is the
 * reset control register, byte-wide) and CONFIG_DATA (0xCFC-0xCFF). */
#define LAYOUT_PORT_PCI_CONFIG_ADDRESS 0xCF8
#define LAYOUT_PORT_PCI_CONFIG_DATA    0xCFC
/* PCI INTx: slot s, pin p (0 = INTA#) reaches GSI 16 + ((s + p) & 7),
 * IOAPIC pins 16-23 (_PRT in the DSDT, the MP table's PCI entries). */
#define LAYOUT_GSI_PCI_FIRST 16
#define LAYOUT_GSI_PCI_COUNT 8

/* ---- Boot structures in low memory (direct kernel boot) ----------------- */

#define LAYOUT_BOOT_GDT    0x00000500ULL /* flat GDT for 32/64-bit entry */
#define LAYOUT_BOOT_IDT    0x00000520ULL /* empty IDT (limit 0) */
#define LAYOUT_PVH_START_INFO 0x00006000ULL /* hvm_start_info + memmap */
#define LAYOUT_ZERO_PAGE   0x00007000ULL /* struct boot_params (4 KiB) */
#define LAYOUT_MB_INFO     0x00008000ULL /* multiboot v1 info + mmap + mods + strings */
/* A multiboot image may load below 1 MiB from here up to the EBDA (page 0:
 * IVT, BDA, the boot GDT); the info then moves out of its way. */
#define LAYOUT_MB_LOW_START 0x00001000ULL
#define LAYOUT_PML4        0x00009000ULL /* identity page tables for 64-bit */
#define LAYOUT_PDPT        0x0000A000ULL /* entry: PML4, PDPT, 4 PDs of 2 MiB */
#define LAYOUT_PD          0x0000B000ULL /* pages mapping 0..4 GiB */
#define LAYOUT_PD_COUNT    4
#define LAYOUT_CMDLINE     0x00020000ULL /* kernel command line */
#define LAYOUT_CMDLINE_MAX 0x00010000ULL /* 64 KiB incl. NUL */
#define LAYOUT_BOOT_STACK  0x0008F000ULL /* initial stack for 32-bit entries */
/*
 * MP floating pointer in the last KiB of base memory (639 KiB, where Linux
 * and the MP spec look for it); the configuration table it points to sits
 * below it, since 64 CPUs need 1.5 KiB.  Both lie in the reserved EBDA,
 * which starts at 0x9F000 (also Linux's own guess when the BDA is empty).
 */
#define LAYOUT_MPTABLE        0x0009FC00ULL
#define LAYOUT_MPTABLE_CONFIG 0x0009F000ULL /* up to LAYOUT_MPTABLE */
#define LAYOUT_EBDA_START     0x0009F000ULL /* reserved in e820 from here to 1 MiB */
/*
 * ACPI tables (RSDP, RSDT/XSDT, FADT, FACS, DSDT, MADT) in the BIOS area,
 * where a PC's firmware leaves them and where Linux scans for "RSD PTR "
 * (16-byte aligned in 0xE0000-0xFFFFF) when nothing hands it the address.
 * A direct kernel boot maps the whole BIOS area as ROM (a firmware's
 * write-protected shadow) holding them, inside e820's reserved range;
 * --bios maps its own ROM here instead and gets no tables.  The RSDP is
 * first, the tables follow it.
 */
#define LAYOUT_ACPI_START LAYOUT_BIOS_LOW_START
#define LAYOUT_ACPI_RSDP  LAYOUT_ACPI_START
/*
 * --bios with --kernel (the firmware boots Linux from fw_cfg by the 16-bit
 * boot protocol): the real-mode setup at 64 KiB with its stack/heap ending
 * 0xE000 above it (boot.rst's example loader), the command line at
 * LAYOUT_CMDLINE right after that segment; the initrd ends at least
 * LAYOUT_FW_HIGH_RESERVE below the top of low RAM, which SeaBIOS keeps for
 * its tables and relocated code.
 */
#define LAYOUT_BOOT16_SETUP     0x00010000ULL
#define LAYOUT_BOOT16_HEAP_END  0xE000
#define LAYOUT_FW_HIGH_RESERVE  0x00100000ULL
/* Kernel image default load address (bzImage's code32_start, PVH, mboot). */
#define LAYOUT_KERNEL_LOAD 0x00100000ULL

/* ---- I/O ports ---------------------------------------------------------- */

#define LAYOUT_PORT_PIC_MASTER 0x020 /* 8259A, 2 ports */
#define LAYOUT_PORT_PIT        0x040 /* 8254, 4 ports */
#define LAYOUT_PORT_I8042_DATA 0x060
#define LAYOUT_PORT_PPI        0x061 /* port B: PIT gate 2, speaker */
#define LAYOUT_PORT_I8042_CMD  0x064
#define LAYOUT_PORT_RTC        0x070 /* CMOS index/data, 2 ports */
#define LAYOUT_PORT_POST       0x080 /* POST codes */
#define LAYOUT_PORT_A20        0x092 /* "fast A20" / reset */
#define LAYOUT_PORT_PIC_SLAVE  0x0A0
#define LAYOUT_PORT_DEBUGCON   0x0E9 /* Bochs/QEMU debug console */
#define LAYOUT_PORT_TEST_EXIT  0x0F4 /* QEMU isa-debug-exit, iobase 0xf4 */
#define LAYOUT_PORT_TEST_EXIT_SIZE 4
/* QEMU's pc-testdev (test kernels for QEMU's pc machine): the scratch
 * register at 0xE0, the flush-page port at 0xE4 (its second copy of the
 * register at 0xE8 would cover the debug console at 0xE9: left out), 24
 * interrupt lines at 0x2000 (below the PCI I/O window), 64 KiB of scratch
 * MMIO at 0xFF000000 (above KVM's private pages, below a 16 MiB firmware). */
#define LAYOUT_PORT_TESTDEV       0x0E0
#define LAYOUT_PORT_TESTDEV_FLUSH 0x0E4
#define LAYOUT_PORT_TESTDEV_IRQ   0x2000
#define LAYOUT_TESTDEV_IOMEM      0xFF000000ULL
#define LAYOUT_PORT_COM1       0x3F8 /* 16550A, 8 ports */
#define LAYOUT_PORT_SEABIOS_DEBUG 0x402 /* SeaBIOS's debug output port */
#define LAYOUT_PORT_ELCR       0x4D0 /* edge/level control, 2 ports */
/*
 * ACPI fixed hardware (FADT): PM1a event block (status, enable), PM1a
 * control block, the 32-bit PM timer, one block of 12 ports at the PIIX4/
 * ICH base QEMU also uses; no PM1b, PM2 or GPE blocks.  The reset register
 * is the chipset's reset control register at 0xCF9 (between the PCI
 * configuration address and data ports, which are dword-wide).
 */
#define LAYOUT_PORT_ACPI_PM      0x600
#define LAYOUT_PORT_ACPI_PM_SIZE 12
#define LAYOUT_PORT_PM1A_EVT     (LAYOUT_PORT_ACPI_PM + 0) /* 4 bytes */
#define LAYOUT_PORT_PM1A_CNT     (LAYOUT_PORT_ACPI_PM + 4) /* 2 bytes */
#define LAYOUT_PORT_PM_TMR       (LAYOUT_PORT_ACPI_PM + 8) /* 4 bytes */
#define LAYOUT_PORT_RESET        0xCF9
/* QEMU's fw_cfg (docs/specs/fw_cfg.rst, x86): selector 0x510, data 0x511,
 * DMA address 0x514-0x51B; what SeaBIOS and test kernels probe. */
#define LAYOUT_PORT_FWCFG        0x510

/* ---- IRQ lines (ISA numbering, identical on the PIC and the IOAPIC) ----- */

#define LAYOUT_IRQ_PIT   0
#define LAYOUT_IRQ_I8042 1
#define LAYOUT_IRQ_COM1  4
#define LAYOUT_IRQ_RTC   8
#define LAYOUT_IRQ_SCI   9 /* ACPI system control interrupt: level, active high */
#define LAYOUT_IRQ_FERR  13 /* the x87's FERR# (CR0.NE clear), the emulator engine only */

#endif
