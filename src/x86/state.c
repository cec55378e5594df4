/*
 * x86/state.c - helpers on the shared CPU state: the architectural RESET state.
 * Intel SDM vol. 3A, 10.1.1 "Processor State After Reset", table 10-1.
 */
#include <string.h>

#include "x86/state.h"

static void reset_seg(struct x86_seg *sg, uint16_t sel, uint64_t base, uint8_t type)
{
	memset(sg, 0, sizeof(*sg));
	sg->sel = sel;
	sg->base = base;
	sg->limit = 0xFFFF;
	sg->type = type;
	sg->s = 1;
	sg->present = 1;
}

void x86_state_reset(struct x86_state *s)
{
	memset(s, 0, sizeof(*s));
	s->rflags = X86_FLAGS_FIXED;
	s->rip = 0xFFF0;
	/* CS selector F000h with base FFFF0000h: the first fetch is at FFFFFFF0h. */
	reset_seg(&s->seg[X86_CS], 0xF000, 0xFFFF0000ULL, 0xB); /* code, read, accessed */
	for (int i = 0; i < X86_NR_SEGS; i++) {
		if (i == X86_CS || i == X86_LDTR || i == X86_TR)
			continue;
		reset_seg(&s->seg[i], 0, 0, 0x3); /* data, read/write, accessed */
	}
	s->seg[X86_LDTR].limit = 0xFFFF;
	s->seg[X86_LDTR].type = 0x2; /* LDT */
	s->seg[X86_LDTR].present = 1;
	s->seg[X86_TR].limit = 0xFFFF;
	s->seg[X86_TR].type = 0xB; /* busy 32-bit TSS */
	s->seg[X86_TR].present = 1;
	s->gdt.limit = 0xFFFF;
	s->idt.limit = 0xFFFF;
	s->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW; /* 60000010h */
	s->gpr[X86_RDX] = 0x600; /* processor signature; CPUID may refine it */
	s->dr[6] = 0xFFFF0FF0ULL;
	s->dr[7] = 0x400;
	s->xcr0 = 1;
	s->fpu.fcw = 0x40; /* after RESET; FINIT sets 0x37F */
	s->fpu.mxcsr = 0x1F80;
	s->pat = 0x0007040600070406ULL;
	/* MISC_ENABLE (SDM vol. 4 table 2-2): fast strings on by default;
	 * BTS (11) and PEBS (12) unavailable, as on this CPU. */
	s->misc_enable = 1u | 1u << 11 | 1u << 12;
	s->apic_base = 0xFEE00000ULL | (1u << 11) | (1u << 8); /* enabled, BSP */
}
