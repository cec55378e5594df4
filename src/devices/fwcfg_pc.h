/*
 * fwcfg_pc.h - the PC's fw_cfg contents and guest-memory access
 * (fwcfg_pc.c), the glue between the fw_cfg model and a vm.
 */
#ifndef EMBER_DEVICES_FWCFG_PC_H
#define EMBER_DEVICES_FWCFG_PC_H

struct fwcfg;
struct fwcfg_ops;
struct vm;

/* DMA through the VM's memory (opaque = the vm). */
extern const struct fwcfg_ops fwcfg_pc_ops;

/* Every item for this VM.  0 or -errno with ember_error(). */
int fwcfg_pc_fill(struct fwcfg *f, struct vm *vm);

#endif
