/*
 * tools/difftest.c - differential tester: each generated case (one instruction
 * and a CPL3 starting state) runs on the host CPU (through KVM, or natively in a
 * host process where the host kernel would emulate it) and in ember's
 * emulator; registers, RFLAGS (less what the SDM leaves undefined), memory,
 * the exception vector, error code, frame and CR2 must agree.
 * Not a unit test of the emulator's internals; see tools/difftest/ for the
 * machine, the engines and the generators.
 *
 *   difftest [--seed S] [--cases N] [--class C[,C...]] [--case K] [--claimed]
 *            [--oracle auto|kvm|native] [--emu-mode interp|jit] [--kvm-only]
 *            [--verbose] [--list]
 * --emu-mode: the emulator's interpreter or its translator (default:
 * EMBER_EMU_MODE, else the interpreter).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "difftest/dt.h"
#include "difftest/gen.h"

static const char *const reg_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const frame_names[5] = {"frame.rip", "frame.cs", "frame.rflags", "frame.rsp",
					   "frame.ss"};

/*
 * Which hardware judges a case.  NATIVE: the host CPU in a child process
 * (difftest/native.c), single-stepped; it needs nothing but Linux on x86-64.
 * KVM: the guest vCPU at CPL3, which a PVM host runs natively unless its
 * kernel emulates the instruction (kvm:kvm_emulate_insn says so).  AUTO: KVM
 * where it exists, and NATIVE for the cases the host emulated under KVM
 * (which would otherwise be judged by KVM's instruction emulator rather than
 * by the CPU); NATIVE for every case where there is no KVM.
 */
enum oracle { ORACLE_AUTO, ORACLE_KVM, ORACLE_NATIVE };

/* Who judged a case (the per-class counts). */
enum judge { BY_KVM_CPU, BY_NATIVE, BY_KVM_EMULATOR, NR_JUDGES };

struct options {
	uint64_t seed, cases, one_case;
	bool have_case, claimed, kvm_only, verbose, list;
	enum oracle oracle;
	int emu_mode; /* --emu-mode: enum x86_emu_mode, -1 = the default */
	bool classes[32];
};

struct run {
	struct kvm_engine *kvm;
	struct native_engine *native;
	struct emu_engine *emu;
	uint8_t *image;
	char no_compat[160]; /* why compatibility mode cannot be judged, empty if it can */
	bool watched;	     /* host emulation is observed (hostemu.c) */
	const struct options *opt;
};

static void difftest_hex(const uint8_t *b, unsigned len, char *out)
{
	for (unsigned i = 0; i < len; i++)
		out += sprintf(out, "%02x", b[i]);
}

static void difftest_hex(const uint8_t *b, unsigned len, char *out);

/*
 * The x87/SSE state after the case, field by field, less what the case
 * declares undefined.  FOP, FIP and FDP only when the CPU's FSW.ES is set:
 * this AMD CPU's FXSAVE and XSAVE store them as 0 otherwise, and FXRSTOR
 * with ES clear does not keep them (measured on Zen 5, although CPUID
 * 8000_0008 EBX bit 2, "always save the error pointers", is set).
 */
static int difftest_compare_fx(const struct dt_case *c, const struct dt_fx *k,
			       const struct dt_fx *e, bool k_has, bool e_has, char *what,
			       size_t len)
{
	const struct dt_fp_undef *u = &c->fp_undef;
	char kh[40], eh[40];

	if (!k_has || !e_has) {
		snprintf(what, len, "no x87/SSE state from %s",
			 !k_has ? "the CPU" : "the emulator");
		return 1;
	}
#define FXDIFF(cond, ...)                                                                          \
	do {                                                                                       \
		if (cond) {                                                                        \
			snprintf(what, len, __VA_ARGS__);                                          \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)
	FXDIFF(k->fcw != e->fcw, "fcw: cpu %#x, emu %#x", k->fcw, e->fcw);
	FXDIFF((k->fsw ^ e->fsw) & ~u->fsw, "fsw: cpu %#x, emu %#x", k->fsw, e->fsw);
	FXDIFF(k->ftw != e->ftw, "ftw (abridged): cpu %#x, emu %#x", k->ftw, e->ftw);
	FXDIFF((k->mxcsr ^ e->mxcsr) & ~u->mxcsr, "mxcsr: cpu %#x, emu %#x", k->mxcsr, e->mxcsr);
	for (unsigned i = 0; i < 8; i++) {
		difftest_hex(k->st[i], 10, kh);
		difftest_hex(e->st[i], 10, eh);
		FXDIFF(!(u->st & 1u << i) && memcmp(k->st[i], e->st[i], 10),
		       "st%u: cpu %s, emu %s (bytes, little-endian)", i, kh, eh);
	}
	for (unsigned i = 0; i < 16; i++) {
		difftest_hex(k->xmm[i], 16, kh);
		difftest_hex(e->xmm[i], 16, eh);
		FXDIFF(!(u->xmm & 1u << i) && memcmp(k->xmm[i], e->xmm[i], 16),
		       "xmm%u: cpu %s, emu %s (bytes, little-endian)", i, kh, eh);
	}
	if (u->ptrs || !(k->fsw & 0x80))
		return 0;
	FXDIFF(k->fop != e->fop, "fop: cpu %#x, emu %#x", k->fop, e->fop);
	FXDIFF(k->fip != e->fip, "fip: cpu %#" PRIx64 ", emu %#" PRIx64, k->fip, e->fip);
	FXDIFF(k->fdp != e->fdp, "fdp: cpu %#" PRIx64 ", emu %#" PRIx64, k->fdp, e->fdp);
#undef FXDIFF
	return 0;
}

/* Describe the first difference in `what`; returns the number of differences. */
static int difftest_compare(const struct dt_case *c, const struct dt_outcome *k,
			    const struct dt_outcome *e, const uint8_t *kmem, const uint8_t *emem,
			    bool native, char *what, size_t len)
{
	uint64_t fmask = ~(uint64_t)c->undef_flags, emask = ~0ull;
	/* Compatibility mode cannot see the upper halves of the GPRs, which the
	 * SDM leaves undefined there (vol. 1, 3.4.1.1). */
	uint64_t gmask = c->compat ? 0xFFFFFFFF : ~0ull;
	int n = 0;

	/* A case run natively with TF against an emulator run without it. */
	if (native && c->no_single_step)
		fmask &= ~(uint64_t)X86_FLAGS_TF;
	/* The host leaves a faulting REPE/REPNE CMPS/SCAS with the flags of some
	 * earlier iteration (measured): not compared. */
	if (c->rep_cmp && k->frame[0] == c->rip)
		fmask &= ~(uint64_t)(X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF |
				     X86_FLAGS_SF | X86_FLAGS_OF);

	/* Under PVM the upper half of the address space is the host's: a user
	 * access there faults with P and RSVD set, or not (measured). */
	if (k->vector == 14 && k->cr2 >= 0xFFFF800000000000ull)
		emask &= ~9ull;
	/*
	 * In the host process, the test machine's supervisor-only pages (the
	 * system area below DT_CODE, DT_SUPER_PAGE) are simply not mapped, and
	 * what lies outside the mirrored pages is the host process's: whether
	 * a fault there has P set is not the emulator's business.  The single-
	 * step trap's frame has TF set in both; RF is the host kernel's business.
	 */
	if (native && k->vector == 14 &&
	    (k->cr2 < DT_CODE || k->cr2 >= DT_STACK + DT_STACK_SIZE ||
	     (k->cr2 >= DT_SUPER_PAGE && k->cr2 < DT_SUPER_PAGE + 0x1000)))
		emask &= ~1ull;

#define DIFF(cond, ...)                                                                            \
	do {                                                                                       \
		if ((cond) && !n++)                                                                \
			snprintf(what, len, __VA_ARGS__);                                          \
	} while (0)
	DIFF(k->vector != e->vector, "vector: cpu %d, emu %d", k->vector, e->vector);
	DIFF(k->has_error != e->has_error || (k->error & emask) != (e->error & emask),
	     "error code: cpu %s%#" PRIx64 ", emu %s%#" PRIx64, k->has_error ? "" : "none ",
	     k->error, e->has_error ? "" : "none ", e->error);
	for (unsigned i = 0; i < 5; i++) {
		uint64_t m = i == 2 ? fmask & ~(native ? X86_FLAGS_RF : 0) : i == 3 ? gmask : ~0ull;

		DIFF((k->frame[i] & m) != (e->frame[i] & m), "%s: cpu %#" PRIx64 ", emu %#" PRIx64,
		     frame_names[i], k->frame[i], e->frame[i]);
	}
	/* The native run has no stubs: RSP there is the user's (frame.rsp). */
	for (unsigned i = 0; i < 16; i++)
		DIFF(!(c->undef_gprs & (1u << i)) && !(native && i == X86_RSP) &&
			 ((k->gpr[i] ^ e->gpr[i]) & gmask),
		     "%s: cpu %#" PRIx64 ", emu %#" PRIx64, reg_names[i], k->gpr[i], e->gpr[i]);
	DIFF(!native && k->rip != e->rip, "rip at halt: cpu %#" PRIx64 ", emu %#" PRIx64, k->rip,
	     e->rip);
	DIFF(!native && (k->rflags & fmask) != (e->rflags & fmask),
	     "rflags at halt: cpu %#" PRIx64 ", emu %#" PRIx64, k->rflags, e->rflags);
	DIFF(k->cr2 != e->cr2, "cr2: cpu %#" PRIx64 ", emu %#" PRIx64, k->cr2, e->cr2);
	if (c->fp && n == 0)
		n += difftest_compare_fx(c, &k->fx, &e->fx, k->has_fx, e->has_fx, what, len);
	for (unsigned r = 1; r < dt_nr_compared; r++) {
		const struct dt_region *g = &dt_compared[r];
		uint64_t a = g->gpa, end = g->gpa + g->len;

		if (c->undef_mem && g->gpa == DT_DATA)
			continue;
		if (!memcmp(kmem + a, emem + a, g->len))
			continue;
		for (; a < end; a++) {
			/*
			 * A store running into a not-present page may leave its first
			 * part written (fast strings are model-specific; the host's KVM
			 * emulates page-crossing stores in two halves): not compared.
			 */
			if (k->vector == 14 && !(k->cr2 & 0xFFF) && a >= k->cr2 - 16 && a < k->cr2)
				continue;
			if (kmem[a] != emem[a])
				break;
		}
		DIFF(a < end, "memory at %#" PRIx64 ": cpu %02x, emu %02x", a, kmem[a], emem[a]);
	}
#undef DIFF
	return n;
}

static void difftest_show(const char *who, const struct dt_outcome *o)
{
	printf("  %s: vector %d", who, o->vector);
	if (o->has_error)
		printf(" error %#" PRIx64, o->error);
	if (o->vector == 14)
		printf(" cr2 %#" PRIx64, o->cr2);
	printf(" | frame rip %#" PRIx64 " cs %#" PRIx64 " rflags %#" PRIx64 " rsp %#" PRIx64
	       " ss %#" PRIx64 "%s%s%s\n",
	       o->frame[0], o->frame[1], o->frame[2], o->frame[3], o->frame[4],
	       o->host_emulated ? " | emulated by the host kernel" : "", o->fail[0] ? " | " : "",
	       o->fail);
	for (unsigned i = 0; i < 16; i++)
		printf("    %-3s %016" PRIx64 "%s", reg_names[i], o->gpr[i],
		       i % 4 == 3 ? "\n" : "");
}

static void difftest_show_fx(const struct dt_fx *f)
{
	char h[40];

	printf("    fcw %04x fsw %04x ftw %02x fop %03x fip %" PRIx64 " fdp %" PRIx64
	       " mxcsr %08x\n",
	       f->fcw, f->fsw, f->ftw, f->fop, f->fip, f->fdp, f->mxcsr);
	for (unsigned i = 0; i < 8; i++) {
		/* Printed as the 80-bit number: sign+exponent, then the significand. */
		uint16_t se;
		uint64_t m;

		memcpy(&m, f->st[i], 8);
		memcpy(&se, f->st[i] + 8, 2);
		printf("    st%u %04x.%016" PRIx64 "%s", i, se, m, i % 4 == 3 ? "\n" : "");
	}
	for (unsigned i = 0; i < 16; i++) {
		difftest_hex(f->xmm[i], 16, h);
		printf("    xmm%-2u %s%s", i, h, i % 2 ? "\n" : "");
	}
}

static void difftest_show_case(const struct dt_case *c)
{
	char hex[40];

	difftest_hex(c->code, c->len, hex);
	printf("  case: %s | bytes %s at %#" PRIx64 " | rflags %#" PRIx64
	       " | undefined flags %#x gprs %#x%s\n",
	       c->text, hex, c->rip, c->rflags, c->undef_flags, c->undef_gprs,
	       c->undef_mem ? " memory" : "");
	for (unsigned i = 0; i < 16; i++)
		printf("    %-3s %016" PRIx64 "%s", reg_names[i], c->gpr[i],
		       i % 4 == 3 ? "\n" : "");
	for (unsigned i = 0; i < DT_MEM_SEEDS; i++)
		if (c->mem[i].len) {
			difftest_hex(c->mem[i].init, c->mem[i].len, hex);
			printf("    memory %#" PRIx64 ": %s\n", c->mem[i].addr, hex);
		}
}

/* Run the case on the emulator and compare with the oracle's outcome o. */
static int difftest_against(struct run *r, const struct dt_case *c, const struct x86_state *s,
			    const struct dt_outcome *o, const uint8_t *omem, bool native,
			    struct dt_outcome *e, char *what, size_t len)
{
	machine_load_case(emu_engine_mem(r->emu), r->image, c);
	emu_engine_run(r->emu, s, e);
	if (e->fail[0]) {
		snprintf(what, len, "%s", e->fail);
		return 1;
	}
	return difftest_compare(c, o, e, omem, emu_engine_mem(r->emu), native, what, len);
}

/* Run one case on the oracle and the emulator; returns true if they agree. */
/* One instruction on the CPU in a host process, single-stepped: st is the
 * state it started from (s with TF), the outcome in *k. */
static const uint8_t *difftest_native(struct run *r, const struct dt_case *c,
				      const struct x86_state *s, struct x86_state *st,
				      struct dt_outcome *k)
{
	*st = *s;
	st->rflags |= X86_FLAGS_TF;
	machine_load_case(native_engine_mem(r->native), r->image, c);
	native_engine_run(r->native, st, k);
	return native_engine_mem(r->native);
}

static bool difftest_one(struct run *r, unsigned cls, uint64_t index, enum judge *judge)
{
	struct dt_case c;
	struct x86_state s, st;
	struct dt_outcome k, e;
	const uint8_t *omem;
	char what[200], hex[40];
	bool native;
	int n = 0;

	gen_case(&c, r->opt->seed, cls, index);
	/* The KVM engine does not load the x87/SSE state: FP cases run natively. */
	native =
	    r->opt->oracle == ORACLE_NATIVE || !r->kvm || ((c.native_only || c.fp) && r->native);
	machine_state(&s, &c);
	*judge = BY_KVM_CPU;
	if (!native) {
		machine_load_case(kvm_engine_mem(r->kvm), r->image, &c);
		kvm_engine_run(r->kvm, &s, &k);
		omem = kvm_engine_mem(r->kvm);
		if (k.host_emulated || !r->watched)
			*judge = BY_KVM_EMULATOR;
		native = k.host_emulated && r->native && r->opt->oracle == ORACLE_AUTO;
	}
	if (native) {
		/* One instruction, single-stepped on both sides. */
		omem = difftest_native(r, &c, &s, &st, &k);
		*judge = BY_NATIVE;
	}
	if (k.fail[0]) {
		snprintf(what, sizeof(what), "%s: %s", native ? "native" : "KVM", k.fail);
		n = 1;
	} else if (r->emu) {
		/* no_single_step: the emulator runs without TF (see dt.h). */
		n = difftest_against(r, &c, native && !c.no_single_step ? &st : &s, &k, omem,
				     native, &e, what, sizeof(what));
		/* A host context switch between the instruction and the signal
		 * frame can lose the x87 pointers the CPU stored (FDP 0: seen once
		 * in 1,000,000 x87 cases, and the replay agreed).  The CPU is
		 * deterministic, so an FP case that disagrees runs once more and
		 * only a second disagreement counts. */
		if (n && native && c.fp) {
			omem = difftest_native(r, &c, &s, &st, &k);
			if (!k.fail[0])
				n = difftest_against(r, &c, c.no_single_step ? &s : &st, &k, omem,
						     native, &e, what, sizeof(what));
		}
	}
	if (n) {
		difftest_hex(c.code, c.len, hex);
		printf("MISMATCH difftest --seed %" PRIu64 " --class %s --case %" PRIu64
		       " | %s | %s | %s%s\n",
		       r->opt->seed, gen_classes[cls].name, index, c.text, hex, what,
		       *judge == BY_NATIVE	   ? " (native run)"
		       : *judge == BY_KVM_EMULATOR ? " (KVM's emulator)"
						   : "");
	}
	if (r->opt->verbose) {
		difftest_show_case(&c);
		if (c.fp)
			difftest_show_fx(&c.fx);
		difftest_show(native ? "cpu (native)" : "cpu", &k);
		if (c.fp && k.has_fx)
			difftest_show_fx(&k.fx);
		if (r->emu && !k.fail[0]) {
			difftest_show("emu", &e);
			if (c.fp)
				difftest_show_fx(&e.fx);
		}
	}
	return n == 0;
}

static int difftest_parse_classes(struct options *o, char *list)
{
	for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
		int i = gen_class_find(name);

		if (i < 0) {
			fprintf(stderr, "difftest: --class %s: unknown class (one of:", name);
			for (unsigned j = 0; j < gen_nr_classes; j++)
				fprintf(stderr, " %s", gen_classes[j].name);
			fprintf(stderr, ")\n");
			return -EINVAL;
		}
		o->classes[i] = true;
	}
	return 0;
}

static int difftest_usage(void)
{
	fprintf(stderr,
		"usage: difftest [--seed S] [--cases N] [--class C[,C...]] [--case K] "
		"[--claimed] [--oracle auto|kvm|native] [--emu-mode interp|jit] [--kvm-only] "
		"[--verbose] [--list]\n");
	for (unsigned i = 0; i < gen_nr_classes; i++)
		fprintf(stderr, "  %-8s %s%s\n", gen_classes[i].name, gen_classes[i].what,
			gen_classes[i].claimed ? "" : " (not claimed by the emulator)");
	return 2;
}

static int difftest_options(struct options *o, int argc, char **argv)
{
	bool any = false;

	o->seed = 1;
	o->cases = 10000;
	o->emu_mode = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--verbose"))
			o->verbose = true;
		else if (!strcmp(a, "--kvm-only"))
			o->kvm_only = true;
		else if (!strcmp(a, "--claimed"))
			o->claimed = true;
		else if (!strcmp(a, "--list"))
			o->list = true;
		else if (v && !strcmp(a, "--oracle")) {
			const char *w = argv[++i];

			if (!strcmp(w, "auto"))
				o->oracle = ORACLE_AUTO;
			else if (!strcmp(w, "kvm"))
				o->oracle = ORACLE_KVM;
			else if (!strcmp(w, "native"))
				o->oracle = ORACLE_NATIVE;
			else
				return difftest_usage();
		} else if (v && !strcmp(a, "--emu-mode")) {
			o->emu_mode = x86_emu_mode_parse(argv[++i]);
			if (o->emu_mode < 0)
				return difftest_usage();
		} else if (v && !strcmp(a, "--seed"))
			o->seed = strtoull(argv[++i], NULL, 0);
		else if (v && !strcmp(a, "--cases"))
			o->cases = strtoull(argv[++i], NULL, 0);
		else if (v && !strcmp(a, "--case"))
			o->one_case = strtoull(argv[++i], NULL, 0), o->have_case = true;
		else if (v && !strcmp(a, "--class")) {
			if (difftest_parse_classes(o, argv[++i]))
				return -EINVAL;
			any = true;
		} else
			return difftest_usage();
	}
	for (unsigned i = 0; i < gen_nr_classes; i++) {
		if (!any)
			o->classes[i] = true;
		if (o->claimed && !gen_classes[i].claimed)
			o->classes[i] = false;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options opt = {0};
	struct run r = {.opt = &opt};
	uint64_t passed = 0, failed = 0, nsel = 0;
	char why[256];

	if (difftest_options(&opt, argc, argv))
		return 2;
	if (opt.list) {
		for (unsigned i = 0; i < gen_nr_classes; i++)
			printf("%s %s\n", gen_classes[i].name,
			       gen_classes[i].claimed ? "claimed" : "unclaimed");
		return 0;
	}
	if (opt.oracle != ORACLE_NATIVE && kvm_engine_open(&r.kvm, why, sizeof(why)) < 0) {
		if (opt.oracle == ORACLE_KVM) {
			printf("SKIP difftest: no usable KVM (%s)\n", why);
			return 0;
		}
		printf("note: no KVM (%s): every case runs natively\n", why);
	}
	if (r.kvm) {
		r.watched = kvm_engine_watch(r.kvm, why, sizeof(why));
		if (!r.watched)
			printf("note: host-emulated instructions are not detected (%s): every case "
			       "counts as judged by KVM\n",
			       why);
	}
	if (opt.oracle != ORACLE_KVM && native_engine_open(&r.native, why, sizeof(why)) < 0) {
		if (opt.oracle == ORACLE_NATIVE || !r.kvm) {
			printf("SKIP difftest: no native engine (%s)\n", why);
			return 0;
		}
		printf("note: no native engine (%s): host-emulated cases are judged by KVM's "
		       "emulator\n",
		       why);
	}
	if (!opt.kvm_only) {
		r.emu = emu_engine_open(opt.emu_mode);
		if (!r.emu) {
			printf("SKIP difftest: the emulator did not start (x86_cpu_new failed)\n");
			return 0;
		}
	}
	r.image = malloc(DT_MEM_SIZE);
	if (!r.image)
		return 1;
	machine_build(r.image);
	/* Only the host process judges: the test machine's GDT is the host's. */
	if (!r.kvm && r.native &&
	    !native_engine_can_run(r.native, 32, r.no_compat, sizeof(r.no_compat)))
		machine_no_compat(r.image);
	if (r.kvm)
		memcpy(kvm_engine_mem(r.kvm), r.image, DT_MEM_SIZE);
	if (r.native)
		memcpy(native_engine_mem(r.native), r.image, DT_MEM_SIZE);
	if (r.emu)
		memcpy(emu_engine_mem(r.emu), r.image, DT_MEM_SIZE);
	/* Only the classes this host can run share the cases. */
	for (unsigned i = 0; i < gen_nr_classes; i++)
		nsel += opt.classes[i] && !(gen_classes[i].compat && r.no_compat[0]);
	/* --cases N is the total, shared out evenly over the selected classes. */
	for (unsigned i = 0; i < gen_nr_classes; i++) {
		uint64_t n = opt.have_case ? 1 : (opt.cases + nsel - 1) / (nsel ? nsel : 1), ok = 0;
		uint64_t by[NR_JUDGES] = {0}, by_ok[NR_JUDGES] = {0};

		if (!opt.classes[i])
			continue;
		if (gen_classes[i].compat && r.no_compat[0]) {
			printf("SKIP difftest-%s: %s\n", gen_classes[i].name, r.no_compat);
			continue;
		}
		for (uint64_t k = 0; k < n; k++) {
			enum judge j;
			bool good = difftest_one(&r, i, opt.have_case ? opt.one_case : k, &j);

			ok += good;
			by[j]++;
			by_ok[j] += good;
		}
		printf("class %-8s %8" PRIu64 " run, %8" PRIu64 " passed | on the CPU: %" PRIu64
		       "/%" PRIu64 " under KVM, %" PRIu64 "/%" PRIu64 " in a host process"
		       " | by KVM's emulator only: %" PRIu64 "/%" PRIu64 "\n",
		       gen_classes[i].name, n, ok, by_ok[BY_KVM_CPU], by[BY_KVM_CPU],
		       by_ok[BY_NATIVE], by[BY_NATIVE], by_ok[BY_KVM_EMULATOR],
		       by[BY_KVM_EMULATOR]);
		passed += ok;
		failed += n - ok;
	}
	printf("%" PRIu64 " passed, %" PRIu64 " failed\n", passed, failed);
	emu_engine_close(r.emu);
	native_engine_close(r.native);
	kvm_engine_close(r.kvm);
	free(r.image);
	return failed ? 1 : 0;
}
