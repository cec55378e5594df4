/*
 * pci/i440fx.h - the chipset of QEMU's pc machine, which SeaBIOS and Linux
 * know: the Intel 82441FX host bridge (i440FX PMC, 00:00.0) and the 82371SB
 * PIIX3 PCI-to-ISA bridge (00:01.0).  Their IDs, class codes and the
 * registers firmware and Linux read; the PIIX3's PIRQ route registers
 * (0x60-0x63) steer PCI INTx to ISA IRQs as well (pci_bus_set_pirq).
 * Follows the 82441FX PMC and 82371FB/SB PIIX/PIIX3 datasheets.
 */
#ifndef EMBER_PCI_I440FX_H
#define EMBER_PCI_I440FX_H

struct pci_bus;
struct memmap;

#define I440FX_DEVFN PCI_DEVFN(0, 0)
#define PIIX3_DEVFN  PCI_DEVFN(1, 0)

/* Both functions on b; the host bridge's PAM registers route mem's shadow
 * RAM (shadow.h).  0 or -errno (ember_error). */
int i440fx_create(struct pci_bus *b, struct memmap *mem);

#endif
