/*
 * x86/io.c - port I/O: IN and OUT, and the protection check every port access
 * (including INS/OUTS) makes: CPL <= IOPL, else the TSS I/O permission bitmap.
 * Not the devices (the platform's pio_in/pio_out ops).
 * Follows Intel SDM vol. 1, 19.5 (protected-mode I/O) and 19.5.2 (I/O bitmap).
 */
#include "x86/cpu.h"

int io_check(struct x86_cpu *cpu, uint16_t port, unsigned size)
{
	if (cpu->mode == X86_MODE_REAL)
		return X86_OK;
	if (cpu->mode != X86_MODE_V86 && (unsigned)cpu->cpl <= ((cpu->s.rflags >> 12) & 3))
		return X86_OK;
	const struct x86_seg *tr = &cpu->s.seg[X86_TR];
	/* Only a 32-bit (or 64-bit) TSS has a bitmap: type 9, or 11 once LTR or a
	 * task switch has marked it busy, as a loaded TSS always is. */
	if (tr->unusable || (tr->type & 0xD) != 9 || tr->limit < 0x67)
		return x86_gp(cpu, 0);
	uint8_t b[2];
	int rc = mmu_read_lin(cpu, tr->base + 0x66, b, 2, ACC_READ, 0);
	if (rc)
		return rc;
	uint32_t off = (b[0] | (b[1] << 8)) + port / 8;
	if (off + 1 > tr->limit)
		return x86_gp(cpu, 0);
	rc = mmu_read_lin(cpu, tr->base + off, b, 2, ACC_READ, 0);
	if (rc)
		return rc;
	unsigned bits = b[0] | (b[1] << 8);
	if ((bits >> (port & 7)) & ((1u << size) - 1))
		return x86_gp(cpu, 0);
	return X86_OK;
}

int ex_in(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t port;
	opnd_read(cpu, in, 1, &port);
	unsigned size = in->size[0];
	int rc = io_check(cpu, (uint16_t)port, size);
	if (rc)
		return rc;
	cpu->events = true; /* the access may change the INTR line */
	uint32_t v = cpu->ops->pio_in ? cpu->ops->pio_in(cpu->opaque, (uint16_t)port, size) : ~0u;
	reg_write(cpu, in, X86_RAX, size, v);
	return X86_OK;
}

int ex_out(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t port, v;
	opnd_read(cpu, in, 0, &port);
	opnd_read(cpu, in, 1, &v);
	unsigned size = in->size[1];
	int rc = io_check(cpu, (uint16_t)port, size);
	if (rc)
		return rc;
	cpu->events = true; /* the access may change the INTR line */
	if (cpu->ops->pio_out)
		cpu->ops->pio_out(cpu->opaque, (uint16_t)port, size, (uint32_t)v);
	return X86_OK;
}
