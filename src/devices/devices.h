/*
 * devices.h - the legacy PC devices of the ember machine, attached to a vm
 * in one call, and how the other parts of the VMM reach them.  Not the
 * device models themselves (uart.c, pic.c, pit.c, rtc.c, i8042.c,
 * debugport.c), which know nothing of struct vm and are tested alone.
 *
 *   port(s)        device                          IRQ   registered
 *   0x020-0x021    8259A master PIC                 -     emu engine only
 *   0x040-0x043    8254 PIT                         0     emu engine only
 *   0x060, 0x064   i8042 keyboard controller        1     always
 *   0x061          PPI port B (PIT gate 2/speaker)  -     emu engine only
 *   0x070-0x071    MC146818 RTC + CMOS              8     always
 *   0x080          POST code log                    -     always
 *   0x092          fast A20 / reset                 -     always
 *   0x0A0-0x0A1    8259A slave PIC                  -     emu engine only
 *   0x0E0-0x0E7    pc-testdev register, flush page  -     always
 *   0x0E9, 0x402   debug console (reads 0xE9)       -     always
 *   0x0F4-0x0F7    isa-debug-exit                   -     always
 *   0x3F8-0x3FF    16550A UART (COM1)               4     always
 *   0x4D0-0x4D1    ELCR                             -     emu engine only
 *   0x510-0x51B    fw_cfg (selector, data, DMA)     -     always
 *   0x2000-0x2017  pc-testdev interrupt lines       0-23  always (MMIO 0xFF000000: scratch)
 *
 * Under KVM the in-kernel irqchip and PIT (KVM_CREATE_IRQCHIP,
 * KVM_CREATE_PIT2 with KVM_PIT_SPEAKER_DUMMY) are the devices marked "emu
 * engine only".  Every device's IRQ is a line of the VM's interrupt router
 * (irq.h), which owns the 8259A pair (irq_pic) and the local APICs; the PIT
 * and the RTC run on vtimers of the VM clock (clock.h).
 */
#ifndef EMBER_DEVICES_DEVICES_H
#define EMBER_DEVICES_DEVICES_H

struct vm;
struct pit;
struct post;
struct debugcon;

/*
 * Create every device, register its ports on vm->pio and the model in the
 * VM's device registry (vm_add_device), set vm->com1 and, for --serial stdio, start the host
 * terminal (raw mode if stdin is a tty; restored by vm_destroy(), at exit
 * and on fatal signals).  Needs vm->engine created (has_irqchip) and the
 * memory map built (the CMOS memory sizes).  0 or -errno with ember_error().
 */
int devices_attach(struct vm *vm);

/* Stop what feeds the models from outside (terminal input, timers) and
 * free the glue; first in vm_destroy(), before the registry's models go. */
void devices_detach(struct vm *vm);

/*
 * Where the debug console's bytes go: "none" (the default: only the last
 * 64 KiB are kept, see debugcon_tail()), "stderr", "stdout" or
 * "file:PATH".  For an option like --debugcon.  0 or -errno (ember_error).
 */
int devices_set_debugcon(struct vm *vm, const char *spec);

/* The models, or NULL (no PIT under KVM; nothing before attach). */
struct pit *devices_pit(struct vm *vm);
struct post *devices_post(struct vm *vm);
struct debugcon *devices_debugcon(struct vm *vm);

#endif
