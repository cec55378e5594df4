/*
 * x86/system.c - system instructions: HLT, CPUID, RDTSC(P), RDMSR/WRMSR and the
 * MSRs kept in x86_state, MOV to/from CR0/CR2/CR3/CR4/CR8 and DR0-DR7, CLTS,
 * LMSW/SMSW, INVLPG, LGDT/LIDT/SGDT/SIDT, LLDT/LTR/SLDT/STR, LAR/LSL/VERR/VERW,
 * ARPL, SWAPGS, SYSCALL/SYSRET, SYSENTER/SYSEXIT, UD.
 * Not paging itself (mmu.c) nor delivery (interrupt.c).
 * Follows Intel SDM vol. 2 pages, vol. 3A 2.5 (control registers), 5.8.7-8 (fast calls).
 */
#include "x86/cpu.h"
#include "x86/ssehost.h"
#include "x86/fpu.h"

int ex_hlt(struct x86_cpu *cpu, struct x86_insn *in)
{
	cpu->s.halted = true;
	cpu->events = true;
	cpu->stats.hlts++;
	return X86_OK;
}

int ex_ud(struct x86_cpu *cpu, struct x86_insn *in)
{
	return x86_ud(cpu);
}

int ex_wbinvd(struct x86_cpu *cpu, struct x86_insn *in)
{
	return X86_OK;
}

/* ---- CPUID ---- */

#define CPUID1_EDX                                                                                 \
	((1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 11) |      \
	 (1u << 13) | (1u << 15) | (1u << 16) | (1u << 17))
/* DE PSE TSC MSR PAE CX8 SEP PGE CMOV PAT PSE36 */
/* SSE3 SSSE3 CMPXCHG16B SSE4.1 SSE4.2 MOVBE POPCNT (sse_*.c: MMX SSE SSE2 in EDX) */
#define CPUID1_ECX                                                                                 \
	((1u << 0) | (1u << 9) | (1u << 13) | (1u << 19) | (1u << 20) | (1u << 22) | (1u << 23))
#define CPUID1_EDX_SIMD ((1u << 23) | (1u << 25) | (1u << 26)) /* MMX SSE SSE2 */
#define CPUID1_EDX_FPU ((1u << 0) | (1u << 24)) /* FPU FXSR (x87.c, fpustate.c) */
#define CPUID1_ECX_FPU (1u << 26) /* XSAVE (fpustate.c); OSXSAVE follows CR4 */
#define CPUID81_EDX ((1u << 11) | (1u << 20) | (1u << 27) | (1u << 29)) /* SYSCALL NX RDTSCP LM */
#define CPUID7_EDX_ARCH_CAPABILITIES (1u << 29) /* IA32_ARCH_CAPABILITIES exists */

/*
 * IA32_ARCH_CAPABILITIES (SDM vol. 4, MSR 10AH): the emulated CPU executes
 * nothing speculatively and has no caches, fill or store buffers, branch
 * predictors or page-size-change machine checks of its own, so it is immune
 * to what each of these bits says it is immune to: RDCL_NO (0, Meltdown),
 * SSB_NO (4), MDS_NO (5), IF_PSCHANGE_MC_NO (6), TAA_NO (8), SBDR_SSDP_NO
 * (13), FBSDP_NO (14), PSDP_NO (15), BHI_NO (20), PBRSB_NO (24), GDS_NO (26),
 * RFDS_NO (27) and ITS_NO (62, which VMMs set for their guests).  A guest
 * then skips the mitigations for them: Linux runs without page-table
 * isolation (no CR3 switch and TLB refill on every kernel entry and exit)
 * and without the ITS return thunks, as it does under QEMU's TCG (an AMD
 * model, which Linux deems immune to Meltdown).  Read-only: WRMSR #GPs.
 */
#define ARCH_CAPABILITIES_VALUE                                                                    \
	((1ull << 0) | (1ull << 4) | (1ull << 5) | (1ull << 6) | (1ull << 8) | (1ull << 13) |      \
	 (1ull << 14) | (1ull << 15) | (1ull << 20) | (1ull << 24) | (1ull << 26) | (1ull << 27) |  \
	 (1ull << 62))
#define CPUID81_ECX (1u << 0)						/* LAHF/SAHF in 64-bit */

void x86_cpuid_supported(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	out[0] = out[1] = out[2] = out[3] = 0;
	switch (leaf) {
	case 0:
		out[0] = 0xD; /* XSAVE's leaf */
		out[1] = 0x756E6547; /* "GenuineIntel" */
		out[3] = 0x49656E69;
		out[2] = 0x6C65746E;
		break;
	case 1:
		out[0] = 0x000006F1; /* family 6 */
		out[2] = (CPUID1_ECX & ssehost_cpuid1_ecx()) | CPUID1_ECX_FPU;
		out[3] = CPUID1_EDX | CPUID1_EDX_SIMD | CPUID1_EDX_FPU;
		break;
	case 7:
		if (subleaf == 0)
			out[3] = CPUID7_EDX_ARCH_CAPABILITIES;
		break;
	case 0xD: /* with every component enabled; ex_cpuid uses XCR0 */
		fpu_cpuid_xsave(~0ull, subleaf, out);
		break;
	case 0x80000000:
		out[0] = 0x80000008;
		break;
	case 0x80000001:
		out[2] = CPUID81_ECX;
		out[3] = CPUID81_EDX;
		break;
	case 0x80000008:
		out[0] = 0x3028; /* 40 physical, 48 linear address bits */
		break;
	default:
		break;
	}
}

int ex_cpuid(struct x86_cpu *cpu, struct x86_insn *in)
{
	struct x86_state *s = &cpu->s;
	uint32_t leaf = (uint32_t)s->gpr[X86_RAX], sub = (uint32_t)s->gpr[X86_RCX];
	uint32_t out[4], sup[4];
	x86_cpuid_supported(leaf, sub, sup);
	if (cpu->ops->cpuid) {
		cpu->ops->cpuid(cpu->opaque, leaf, sub, out);
		/* Never advertise a feature the emulator lacks. */
		if (leaf == 1) {
			out[2] &= sup[2] | X86_CPUID1_ECX_PLATFORM;
			out[3] &= sup[3] | X86_CPUID1_EDX_PLATFORM;
		} else if (leaf == 7) {
			out[1] &= sup[1] | (sub == 0 ? X86_CPUID7_EBX_PLATFORM : 0);
			out[2] &= sup[2];
			out[3] &= sup[3];
		} else if (leaf == 0x80000001) {
			out[2] &= sup[2];
			out[3] &= sup[3];
		}
	} else {
		for (int i = 0; i < 4; i++)
			out[i] = sup[i];
	}
	if (leaf == 1) /* OSXSAVE mirrors CR4 */
		out[2] = (out[2] & ~(1u << 27)) | (s->cr4 & X86_CR4_OSXSAVE ? 1u << 27 : 0);
	if (leaf == 0xD) /* what the emulator saves, whatever the platform says */
		fpu_cpuid_xsave(s->xcr0, sub, out);
	if (cpu->ops->trace_cpuid)
		cpu->ops->trace_cpuid(cpu->opaque, leaf, sub, out);
	s->gpr[X86_RAX] = out[0];
	s->gpr[X86_RBX] = out[1];
	s->gpr[X86_RCX] = out[2];
	s->gpr[X86_RDX] = out[3];
	return X86_OK;
}

static uint64_t sys_tsc(struct x86_cpu *cpu)
{
	return cpu->ops->rdtsc ? cpu->ops->rdtsc(cpu->opaque) : cpu->s.tsc;
}

int ex_rdtsc(struct x86_cpu *cpu, struct x86_insn *in)
{
	if ((cpu->s.cr4 & X86_CR4_TSD) && cpu->cpl != 0)
		return x86_gp(cpu, 0);
	uint64_t t = sys_tsc(cpu);
	cpu->s.gpr[X86_RAX] = (uint32_t)t;
	cpu->s.gpr[X86_RDX] = t >> 32;
	return X86_OK;
}

/* No performance counters are implemented: every counter number is invalid,
 * and CPL > 0 without CR4.PCE faults anyway (SDM RDPMC): #GP(0). */
int ex_rdpmc(struct x86_cpu *cpu, struct x86_insn *in)
{
	return x86_gp(cpu, 0);
}

int ex_rdtscp(struct x86_cpu *cpu, struct x86_insn *in)
{
	int rc = ex_rdtsc(cpu, in);
	if (!rc)
		cpu->s.gpr[X86_RCX] = (uint32_t)cpu->s.tsc_aux;
	return rc;
}

/* ---- MSRs ---- */

int sys_rdmsr(struct x86_cpu *cpu, uint32_t msr, uint64_t *val)
{
	struct x86_state *s = &cpu->s;
	switch (msr) {
	case X86_MSR_EFER:
		*val = s->efer;
		break;
	case X86_MSR_STAR:
		*val = s->star;
		break;
	case X86_MSR_LSTAR:
		*val = s->lstar;
		break;
	case X86_MSR_CSTAR:
		*val = s->cstar;
		break;
	case X86_MSR_SFMASK:
		*val = s->sfmask;
		break;
	case X86_MSR_FS_BASE:
		*val = s->seg[X86_FS].base;
		break;
	case X86_MSR_GS_BASE:
		*val = s->seg[X86_GS].base;
		break;
	case X86_MSR_KERNEL_GS_BASE:
		*val = s->kernel_gs_base;
		break;
	case X86_MSR_TSC_AUX:
		*val = s->tsc_aux;
		break;
	case X86_MSR_SYSENTER_CS:
		*val = s->sysenter_cs;
		break;
	case X86_MSR_SYSENTER_ESP:
		*val = s->sysenter_esp;
		break;
	case X86_MSR_SYSENTER_EIP:
		*val = s->sysenter_eip;
		break;
	case X86_MSR_PAT:
		*val = s->pat;
		break;
	case X86_MSR_MISC_ENABLE:
		*val = s->misc_enable;
		break;
	case X86_MSR_TSC:
		*val = sys_tsc(cpu);
		break;
	case X86_MSR_ARCH_CAPABILITIES:
		*val = ARCH_CAPABILITIES_VALUE;
		break;
	default:
		cpu->events = true; /* a platform MSR may change the INTR line */
		if (!cpu->ops->rdmsr || cpu->ops->rdmsr(cpu->opaque, msr, val) < 0)
			return x86_gp(cpu, 0);
		break;
	}
	if (cpu->ops->trace_msr)
		cpu->ops->trace_msr(cpu->opaque, msr, *val, false);
	return X86_OK;
}

static bool sys_canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

int sys_wrmsr(struct x86_cpu *cpu, uint32_t msr, uint64_t val)
{
	struct x86_state *s = &cpu->s;
	switch (msr) {
	case X86_MSR_EFER: {
		uint64_t allowed = X86_EFER_SCE | X86_EFER_LME | X86_EFER_NXE | X86_EFER_LMA;
		if (val & ~allowed)
			return x86_gp(cpu, 0);
		/* LME may not change while paging is on; LMA is read-only. */
		if ((s->cr0 & X86_CR0_PG) && ((val ^ s->efer) & X86_EFER_LME))
			return x86_gp(cpu, 0);
		uint64_t old = s->efer;
		s->efer = (val & ~X86_EFER_LMA) | (old & X86_EFER_LMA);
		if ((old ^ s->efer) & X86_EFER_NXE)
			mmu_flush_tlb(cpu, true);
		if (cpu->ops->trace_cr)
			cpu->ops->trace_cr(cpu->opaque, -1, old, s->efer, true);
		break;
	}
	case X86_MSR_STAR:
		s->star = val;
		break;
	case X86_MSR_LSTAR:
	case X86_MSR_CSTAR:
	case X86_MSR_FS_BASE:
	case X86_MSR_GS_BASE:
	case X86_MSR_KERNEL_GS_BASE:
	case X86_MSR_SYSENTER_ESP:
	case X86_MSR_SYSENTER_EIP:
		if (!sys_canonical(val))
			return x86_gp(cpu, 0);
		if (msr == X86_MSR_LSTAR)
			s->lstar = val;
		else if (msr == X86_MSR_CSTAR)
			s->cstar = val;
		else if (msr == X86_MSR_FS_BASE)
			s->seg[X86_FS].base = val;
		else if (msr == X86_MSR_GS_BASE)
			s->seg[X86_GS].base = val;
		else if (msr == X86_MSR_KERNEL_GS_BASE)
			s->kernel_gs_base = val;
		else if (msr == X86_MSR_SYSENTER_ESP)
			s->sysenter_esp = val;
		else
			s->sysenter_eip = val;
		break;
	case X86_MSR_SFMASK:
		s->sfmask = (uint32_t)val;
		break;
	case X86_MSR_TSC_AUX:
		s->tsc_aux = (uint32_t)val;
		break;
	case X86_MSR_SYSENTER_CS:
		s->sysenter_cs = val & 0xFFFF;
		break;
	case X86_MSR_PAT:
		for (int i = 0; i < 8; i++) {
			unsigned t = (val >> (8 * i)) & 0xFF;
			if (t == 2 || t == 3 || t > 7)
				return x86_gp(cpu, 0);
		}
		s->pat = val;
		break;
	case X86_MSR_MISC_ENABLE:
		s->misc_enable = val;
		break;
	case X86_MSR_ARCH_CAPABILITIES:
		return x86_gp(cpu, 0);
	default:
		cpu->events = true;
		if (!cpu->ops->wrmsr || cpu->ops->wrmsr(cpu->opaque, msr, val) < 0)
			return x86_gp(cpu, 0);
		break;
	}
	if (cpu->ops->trace_msr)
		cpu->ops->trace_msr(cpu->opaque, msr, val, true);
	return X86_OK;
}

int ex_rdmsr(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t v;
	int rc = sys_rdmsr(cpu, (uint32_t)cpu->s.gpr[X86_RCX], &v);
	if (rc)
		return rc;
	cpu->s.gpr[X86_RAX] = (uint32_t)v;
	cpu->s.gpr[X86_RDX] = v >> 32;
	return X86_OK;
}

int ex_wrmsr(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t v = (uint32_t)cpu->s.gpr[X86_RAX] | (cpu->s.gpr[X86_RDX] << 32);
	return sys_wrmsr(cpu, (uint32_t)cpu->s.gpr[X86_RCX], v);
}

/* ---- control and debug registers ---- */

#define CR4_SUPPORTED                                                                              \
	(X86_CR4_TSD | X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE |        \
	 X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | X86_CR4_OSXSAVE)

int sys_write_cr(struct x86_cpu *cpu, int cr, uint64_t val)
{
	struct x86_state *s = &cpu->s;
	uint64_t old;
	switch (cr) {
	case 0: {
		old = s->cr0;
		if (val >> 32)
			return x86_gp(cpu, 0);
		val |= X86_CR0_ET;
		if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
			return x86_gp(cpu, 0);
		if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
			return x86_gp(cpu, 0);
		bool pg_on = (val & X86_CR0_PG) && !(old & X86_CR0_PG);
		bool pg_off = !(val & X86_CR0_PG) && (old & X86_CR0_PG);
		if (pg_on && (s->efer & X86_EFER_LME)) {
			if (!(s->cr4 & X86_CR4_PAE) || s->seg[X86_CS].l)
				return x86_gp(cpu, 0);
			s->efer |= X86_EFER_LMA;
		}
		if (pg_off && (s->efer & X86_EFER_LMA)) {
			if (cpu->mode == X86_MODE_LONG64)
				return x86_gp(cpu, 0);
			s->efer &= ~X86_EFER_LMA;
		}
		s->cr0 = val;
		if ((old ^ val) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE))
			mmu_flush_tlb(cpu, true);
		cpu_update_mode(cpu);
		break;
	}
	case 2:
		old = s->cr2;
		s->cr2 = val;
		break;
	case 3:
		old = s->cr3;
		if (cpu->mode == X86_MODE_LONG64 && (val >> 52))
			return x86_gp(cpu, 0);
		s->cr3 = val;
		mmu_flush_tlb(cpu, false);
		break;
	case 4:
		old = s->cr4;
		if (val & ~(uint64_t)CR4_SUPPORTED)
			return x86_gp(cpu, 0);
		if ((s->efer & X86_EFER_LMA) && !(val & X86_CR4_PAE))
			return x86_gp(cpu, 0);
		s->cr4 = val;
		if ((old ^ val) & (X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE))
			mmu_flush_tlb(cpu, true);
		break;
	case 8:
		old = s->cr8;
		if (val >> 4)
			return x86_gp(cpu, 0);
		s->cr8 = val;
		cpu->events = true; /* a lower priority threshold may let an interrupt in */
		break;
	default:
		return x86_ud(cpu);
	}
	if (cpu->ops->trace_cr)
		cpu->ops->trace_cr(cpu->opaque, cr, old, val, true);
	return X86_OK;
}

static int sys_cr_num(struct x86_cpu *cpu, struct x86_insn *in)
{
	int cr = in->reg;
	/* LOCK MOV CR0 is the AMD alias of CR8; not advertised, so #UD. */
	if (cr != 0 && cr != 2 && cr != 3 && cr != 4 && cr != 8)
		return -1;
	if (cr == 8 && cpu->mode != X86_MODE_LONG64)
		return -1;
	return cr;
}

int ex_mov_cr_ld(struct x86_cpu *cpu, struct x86_insn *in)
{
	int cr = sys_cr_num(cpu, in);
	if (cr < 0 || cpu->mode == X86_MODE_V86)
		return cpu->mode == X86_MODE_V86 ? x86_gp(cpu, 0) : x86_ud(cpu);
	uint64_t v = reg_read(cpu, in, in->rm, in->size[1]);
	return sys_write_cr(cpu, cr, v);
}

int ex_mov_cr_st(struct x86_cpu *cpu, struct x86_insn *in)
{
	int cr = sys_cr_num(cpu, in);
	if (cr < 0 || cpu->mode == X86_MODE_V86)
		return cpu->mode == X86_MODE_V86 ? x86_gp(cpu, 0) : x86_ud(cpu);
	const struct x86_state *s = &cpu->s;
	uint64_t v = cr == 0   ? s->cr0
		     : cr == 2 ? s->cr2
		     : cr == 3 ? s->cr3
		     : cr == 4 ? s->cr4
			       : s->cr8;
	reg_write(cpu, in, in->rm, in->size[0], v);
	return X86_OK;
}

static int sys_dr_num(struct x86_cpu *cpu, struct x86_insn *in)
{
	int dr = in->reg;
	if (dr > 7)
		return x86_ud(cpu) - 2;
	if ((dr == 4 || dr == 5) && (cpu->s.cr4 & X86_CR4_DE))
		return x86_ud(cpu) - 2;
	return dr == 4 ? 6 : dr == 5 ? 7 : dr;
}

int ex_mov_dr_ld(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (cpu->mode == X86_MODE_V86)
		return x86_gp(cpu, 0);
	int dr = sys_dr_num(cpu, in);
	if (dr < 0)
		return X86_FAULT;
	uint64_t v = reg_read(cpu, in, in->rm, in->size[1]);
	if (dr >= 6 && (v >> 32))
		return x86_gp(cpu, 0);
	if (dr == 6)
		v = (v & 0x1E00F) | 0xFFFF0FF0ull;
	else if (dr == 7)
		v = (v & ~0xD800ull) | 0x400;
	cpu->s.dr[dr] = v;
	return X86_OK;
}

int ex_mov_dr_st(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (cpu->mode == X86_MODE_V86)
		return x86_gp(cpu, 0);
	int dr = sys_dr_num(cpu, in);
	if (dr < 0)
		return X86_FAULT;
	reg_write(cpu, in, in->rm, in->size[0], cpu->s.dr[dr]);
	return X86_OK;
}

int ex_clts(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sys_write_cr(cpu, 0, cpu->s.cr0 & ~X86_CR0_TS);
}

int ex_lmsw(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t v;
	int rc = opnd_read(cpu, in, 0, &v);
	if (rc)
		return rc;
	/* Only PE, MP, EM, TS; PE can be set but not cleared. */
	uint64_t cr0 = (cpu->s.cr0 & ~0xEull) | (v & 0xF) | (cpu->s.cr0 & X86_CR0_PE);
	return sys_write_cr(cpu, 0, cr0);
}

int ex_smsw(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (in->mod == 3) {
		reg_write(cpu, in, in->rm, in->opsize, cpu->s.cr0);
		return X86_OK;
	}
	uint64_t off;
	opnd_ea(cpu, in, &off);
	return mem_write(cpu, in->seg, off, 2, cpu->s.cr0);
}

int ex_invlpg(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (in->mod == 3)
		return x86_ud(cpu);
	uint64_t off, lin;
	opnd_ea(cpu, in, &off);
	if (cpu->mode == X86_MODE_LONG64)
		lin =
		    off + ((in->seg == X86_FS || in->seg == X86_GS) ? cpu->s.seg[in->seg].base : 0);
	else
		lin = (cpu->s.seg[in->seg].base + off) & 0xFFFFFFFFull;
	mmu_invlpg(cpu, lin);
	return X86_OK;
}

/* ---- descriptor tables ---- */

static int sys_load_dt(struct x86_cpu *cpu, struct x86_insn *in, struct x86_dtable *dt)
{
	if (in->mod == 3)
		return x86_ud(cpu);
	uint64_t off, limit, base;
	opnd_ea(cpu, in, &off);
	unsigned bsz = cpu->mode == X86_MODE_LONG64 ? 8 : 4;
	int rc = mem_read(cpu, in->seg, off, 2, &limit);
	if (!rc)
		rc = mem_read(cpu, in->seg, (off + 2) & x86_mask(in->adsize), bsz, &base);
	if (rc)
		return rc;
	if (bsz == 8 && !sys_canonical(base))
		return x86_gp(cpu, 0);
	if (in->opsize == 2 && bsz == 4)
		base &= 0xFFFFFF; /* 16-bit operand size loads a 24-bit base */
	dt->base = base;
	dt->limit = (uint16_t)limit;
	return X86_OK;
}

static int sys_store_dt(struct x86_cpu *cpu, struct x86_insn *in, const struct x86_dtable *dt)
{
	if (in->mod == 3)
		return x86_ud(cpu);
	uint64_t off;
	opnd_ea(cpu, in, &off);
	unsigned bsz = cpu->mode == X86_MODE_LONG64 ? 8 : 4;
	int rc = mem_check(cpu, in->seg, off, 2 + bsz, ACC_WRITE);
	if (!rc)
		rc = mem_write(cpu, in->seg, off, 2, dt->limit);
	if (!rc)
		rc = mem_write(cpu, in->seg, (off + 2) & x86_mask(in->adsize), bsz, dt->base);
	return rc;
}

int ex_lgdt(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sys_load_dt(cpu, in, &cpu->s.gdt);
}

int ex_lidt(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sys_load_dt(cpu, in, &cpu->s.idt);
}

int ex_sgdt(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sys_store_dt(cpu, in, &cpu->s.gdt);
}

int ex_sidt(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sys_store_dt(cpu, in, &cpu->s.idt);
}

static bool sys_protected(struct x86_cpu *cpu)
{
	return cpu->mode != X86_MODE_REAL && cpu->mode != X86_MODE_V86;
}

/* LLDT / LTR: a system descriptor from the GDT (16 bytes in IA-32e mode). */
static int sys_load_sys_seg(struct x86_cpu *cpu, struct x86_insn *in, int seg)
{
	if (!sys_protected(cpu))
		return x86_ud(cpu);
	uint64_t v;
	int rc = opnd_read(cpu, in, 0, &v);
	if (rc)
		return rc;
	uint16_t sel = (uint16_t)v;
	struct x86_seg *sg = &cpu->s.seg[seg];
	if ((sel & 0xFFFC) == 0) {
		if (seg == X86_TR)
			return x86_gp(cpu, 0);
		sg->sel = sel;
		sg->unusable = 1;
		sg->present = 0;
		return X86_OK;
	}
	if (sel & 4)
		return x86_gp(cpu, sel & 0xFFFC);
	uint64_t d[2];
	bool lm = cpu->s.efer & X86_EFER_LMA;
	rc = seg_read_desc(cpu, sel, d, lm);
	if (rc)
		return rc;
	unsigned type = (d[0] >> 40) & 0xF;
	bool sbit = (d[0] >> 44) & 1;
	bool ok = seg == X86_LDTR ? type == 2 : (type == 9 || (!lm && type == 1));
	if (sbit || !ok)
		return x86_gp(cpu, sel & 0xFFFC);
	if (!((d[0] >> 47) & 1))
		return x86_raise(cpu, 11, true, sel & 0xFFFC);
	if (seg == X86_TR) {
		uint8_t b = (uint8_t)((d[0] >> 40) | 2); /* busy */
		rc = mmu_write_lin(cpu, cpu->s.gdt.base + (sel & 0xFFF8) + 5, &b, 1, 0, true);
		if (rc)
			return rc;
		d[0] |= 2ull << 40;
	}
	seg_from_desc(sg, sel, d[0], lm ? d[1] : 0);
	return X86_OK;
}

int ex_lldt(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sys_load_sys_seg(cpu, in, X86_LDTR);
}

int ex_ltr(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sys_load_sys_seg(cpu, in, X86_TR);
}

static int sys_store_sel(struct x86_cpu *cpu, struct x86_insn *in, int seg)
{
	if (!sys_protected(cpu))
		return x86_ud(cpu);
	uint16_t sel = cpu->s.seg[seg].sel;
	if (in->mod == 3) {
		reg_write(cpu, in, in->rm, in->opsize, sel);
		return X86_OK;
	}
	uint64_t off;
	opnd_ea(cpu, in, &off);
	return mem_write(cpu, in->seg, off, 2, sel);
}

int ex_sldt(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sys_store_sel(cpu, in, X86_LDTR);
}

int ex_str(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sys_store_sel(cpu, in, X86_TR);
}

/*
 * The common visibility test of LAR, LSL, VERR, VERW: is the descriptor for
 * sel readable at this CPL?  Returns 1 with d filled, 0 (ZF cleared), or < 0
 * for a fault while reading the table.
 */
static int sys_visible(struct x86_cpu *cpu, uint16_t sel, uint64_t d[2], bool for_lsl)
{
	if ((sel & 0xFFFC) == 0)
		return 0;
	unsigned idx = sel & 0xFFF8;
	const struct x86_seg *ldt = &cpu->s.seg[X86_LDTR];
	uint64_t limit = (sel & 4) ? (ldt->unusable ? 0 : ldt->limit) : cpu->s.gdt.limit;
	if ((sel & 4) && ldt->unusable)
		return 0;
	if (idx + 7 > limit)
		return 0;
	if (seg_read_desc(cpu, sel, d, false))
		return -1;
	unsigned type = (d[0] >> 40) & 0xF, dpl = (d[0] >> 45) & 3;
	bool sbit = (d[0] >> 44) & 1;
	bool lm = cpu->s.efer & X86_EFER_LMA;
	if (!sbit) {
		/* System types valid for LAR (and LSL without gates). */
		static const uint8_t lar_ok[16] = {
		    [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1, [9] = 1, [0xB] = 1, [0xC] = 1};
		static const uint8_t lar_ok64[16] = {[2] = 1, [9] = 1, [0xB] = 1, [0xC] = 1};
		bool ok = lm ? lar_ok64[type] : lar_ok[type];
		if (for_lsl && (type == 4 || type == 5 || type == 0xC))
			ok = false;
		if (!ok)
			return 0;
	}
	bool conforming = sbit && (type & 0xC) == 0xC;
	if (!conforming && (dpl < (unsigned)cpu->cpl || dpl < (sel & 3u)))
		return 0;
	return 1;
}

/*
 * LAR and LSL: read the selector operand and look its descriptor up.  ZF
 * tells the guest whether it is visible; *d holds it when it is.  Returns
 * X86_OK (check ZF) or X86_FAULT.
 */
static int sys_load_access(struct x86_cpu *cpu, struct x86_insn *in, bool for_lsl, uint64_t d[2])
{
	if (!sys_protected(cpu))
		return x86_ud(cpu);
	uint64_t v;
	int rc = opnd_read(cpu, in, 1, &v);
	if (rc)
		return rc;
	int ok = sys_visible(cpu, (uint16_t)v, d, for_lsl);
	if (ok < 0)
		return X86_FAULT;
	if (ok)
		cpu->s.rflags |= X86_FLAGS_ZF;
	else
		cpu->s.rflags &= ~(uint64_t)X86_FLAGS_ZF;
	return X86_OK;
}

int ex_lar(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t d[2];
	int rc = sys_load_access(cpu, in, false, d);
	if (rc || !(cpu->s.rflags & X86_FLAGS_ZF))
		return rc;
	/* Bits 19:16 (limit 19:16) are "x" (undefined) in the SDM; the host
	 * CPU returns them, so ember does too (difftest misc, run natively). */
	reg_write(cpu, in, in->reg, in->opsize, (d[0] >> 32) & 0x00FFFF00);
	return X86_OK;
}

int ex_lsl(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t d[2];
	int rc = sys_load_access(cpu, in, true, d);
	if (rc || !(cpu->s.rflags & X86_FLAGS_ZF))
		return rc;
	uint32_t limit = (uint32_t)((d[0] & 0xFFFF) | ((d[0] >> 32) & 0xF0000));
	if ((d[0] >> 55) & 1)
		limit = (limit << 12) | 0xFFF;
	reg_write(cpu, in, in->reg, in->opsize, limit);
	return X86_OK;
}

static int sys_verify(struct x86_cpu *cpu, struct x86_insn *in, bool write)
{
	if (!sys_protected(cpu))
		return x86_ud(cpu);
	uint64_t v, d[2];
	int rc = opnd_read(cpu, in, 0, &v);
	if (rc)
		return rc;
	int ok = sys_visible(cpu, (uint16_t)v, d, true);
	if (ok < 0)
		return X86_FAULT;
	unsigned type = (d[0] >> 40) & 0xF;
	if (ok && (!((d[0] >> 44) & 1)))
		ok = 0;
	else if (ok && write)
		ok = !(type & 8) && (type & 2);
	else if (ok)
		ok = !(type & 8) || (type & 2);
	cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)X86_FLAGS_ZF) | (ok ? X86_FLAGS_ZF : 0);
	return X86_OK;
}

int ex_verr(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sys_verify(cpu, in, false);
}

int ex_verw(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sys_verify(cpu, in, true);
}

int ex_arpl(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (!sys_protected(cpu))
		return x86_ud(cpu);
	uint64_t a, b;
	int rc = opnd_read(cpu, in, 0, &a);
	if (!rc)
		rc = opnd_read(cpu, in, 1, &b);
	if (rc)
		return rc;
	if ((a & 3) < (b & 3)) {
		rc = opnd_write(cpu, in, 0, (a & ~3ull) | (b & 3));
		if (rc)
			return rc;
		cpu->s.rflags |= X86_FLAGS_ZF;
	} else {
		cpu->s.rflags &= ~(uint64_t)X86_FLAGS_ZF;
	}
	return X86_OK;
}

/* ---- fast system calls ---- */

int ex_swapgs(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t t = cpu->s.seg[X86_GS].base;
	cpu->s.seg[X86_GS].base = cpu->s.kernel_gs_base;
	cpu->s.kernel_gs_base = t;
	return X86_OK;
}

/* A flat code or data segment as SYSCALL/SYSRET/SYSENTER/SYSEXIT load them. */
static void sys_flat(struct x86_seg *sg, uint16_t sel, bool code, int dpl, bool l)
{
	sg->sel = sel;
	sg->base = 0;
	sg->limit = 0xFFFFFFFF;
	sg->type = code ? 0xB : 0x3;
	sg->s = 1;
	sg->dpl = dpl;
	sg->present = 1;
	sg->l = l;
	sg->db = !l;
	sg->g = 1;
	sg->unusable = 0;
}

int ex_syscall(struct x86_cpu *cpu, struct x86_insn *in)
{
	struct x86_state *s = &cpu->s;
	if (!(s->efer & X86_EFER_SCE) || !(s->efer & X86_EFER_LMA))
		return x86_ud(cpu); /* legacy-mode SYSCALL is AMD-only */
	if (cpu->mode != X86_MODE_LONG64)
		return x86_ud(cpu);
	uint16_t cs = (s->star >> 32) & 0xFFFC;
	s->gpr[X86_RCX] = cpu->next_rip;
	s->gpr[X86_R11] = s->rflags & ~(uint64_t)X86_FLAGS_RF;
	s->rflags = (s->rflags & ~s->sfmask & ~(uint64_t)X86_FLAGS_RF) | X86_FLAGS_FIXED;
	sys_flat(&s->seg[X86_CS], cs, true, 0, true);
	sys_flat(&s->seg[X86_SS], cs + 8, false, 0, false);
	cpu->cpl = 0;
	cpu_update_mode(cpu);
	cpu->next_rip = s->lstar;
	return X86_OK;
}

int ex_sysret(struct x86_cpu *cpu, struct x86_insn *in)
{
	struct x86_state *s = &cpu->s;
	if (!(s->efer & X86_EFER_SCE) || cpu->mode != X86_MODE_LONG64)
		return x86_ud(cpu);
	bool to64 = in->rex & 8;
	uint64_t rip = s->gpr[X86_RCX];
	if (to64 && !sys_canonical(rip))
		return x86_gp(cpu, 0);
	uint16_t base = (s->star >> 48) & 0xFFFF;
	uint16_t cs = to64 ? base + 16 : base;
	s->rflags = (s->gpr[X86_R11] & 0x3C7FD7) | X86_FLAGS_FIXED;
	sys_flat(&s->seg[X86_CS], cs | 3, true, 3, to64);
	s->seg[X86_SS].sel = (base + 8) | 3;
	s->seg[X86_SS].dpl = 3;
	s->seg[X86_SS].unusable = 0;
	s->seg[X86_SS].present = 1;
	cpu->cpl = 3;
	cpu_update_mode(cpu);
	cpu->next_rip = to64 ? rip : (uint32_t)rip;
	return X86_OK;
}

int ex_sysenter(struct x86_cpu *cpu, struct x86_insn *in)
{
	struct x86_state *s = &cpu->s;
	if (cpu->mode == X86_MODE_REAL || (s->sysenter_cs & 0xFFFC) == 0)
		return x86_gp(cpu, 0);
	bool lm = s->efer & X86_EFER_LMA;
	uint16_t cs = s->sysenter_cs & 0xFFFC;
	s->rflags &= ~(uint64_t)(X86_FLAGS_VM | X86_FLAGS_IF | X86_FLAGS_RF);
	sys_flat(&s->seg[X86_CS], cs, true, 0, lm);
	sys_flat(&s->seg[X86_SS], cs + 8, false, 0, false);
	cpu->cpl = 0;
	cpu_update_mode(cpu);
	s->gpr[X86_RSP] = lm ? s->sysenter_esp : (uint32_t)s->sysenter_esp;
	cpu->next_rip = lm ? s->sysenter_eip : (uint32_t)s->sysenter_eip;
	return X86_OK;
}

int ex_sysexit(struct x86_cpu *cpu, struct x86_insn *in)
{
	struct x86_state *s = &cpu->s;
	if (cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_V86 ||
	    (s->sysenter_cs & 0xFFFC) == 0)
		return x86_gp(cpu, 0);
	bool to64 = in->rex & 8;
	uint16_t cs = (s->sysenter_cs & 0xFFFC) + (to64 ? 32 : 16);
	sys_flat(&s->seg[X86_CS], cs | 3, true, 3, to64);
	sys_flat(&s->seg[X86_SS], (cs + 8) | 3, false, 3, false);
	cpu->cpl = 3;
	cpu_update_mode(cpu);
	s->gpr[X86_RSP] = to64 ? s->gpr[X86_RCX] : (uint32_t)s->gpr[X86_RCX];
	cpu->next_rip = to64 ? s->gpr[X86_RDX] : (uint32_t)s->gpr[X86_RDX];
	return X86_OK;
}
