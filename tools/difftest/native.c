/*
 * tools/difftest/native.c - the second hardware side of the differential
 * tester: a case run directly on the host CPU, at CPL3 in a child process
 * whose user pages mirror the test machine's (same addresses, contents and
 * protections), single-stepped with RFLAGS.TF so that exactly one
 * instruction runs; the signal's ucontext gives the vector (REG_TRAPNO), the
 * error code, CR2 and the registers.  Not a sandbox for arbitrary programs.
 * Follows the Intel SDM vol. 3A 6.14/17.3.1.4 (IRET to CPL3, single-step
 * trap), Linux's x86-64 signal frame, modify_ldt and arch_prctl.
 *
 * Why: it needs nothing but Linux on x86-64 (no /dev/kvm, no user-mode
 * FSGSBASE), so the CPU is the oracle on every such host.  Where KVM exists
 * it is the second oracle: under PVM the host kernel emulates some guest
 * user instructions (all of compatibility mode, #GP/#UD...), and here the
 * CPU itself runs them.
 *
 * FS and GS: set just before entering the case, a null selector with a
 * base by arch_prctl (which needs no user-mode FSGSBASE), a selector by MOV
 * (dt.h).  glibc's FS (TLS, the stack protector's canary) is gone from then
 * on, so the path into the case and the signal handler's first steps use
 * no libc and no canary, and the handler puts the process's own FS and GS
 * back with arch_prctl first.
 */
#include <asm/prctl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <asm/ldt.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "dt.h"

/* The mirrored user pages: DT_CODE up to the end of the stack pages. */
#define NATIVE_LO  DT_CODE
#define NATIVE_HI  (DT_STACK + DT_STACK_SIZE)
#define NATIVE_ALT 0x10000 /* signal stack */
/* A case that neither traps nor faults within this time is reported, and the
 * child replaced (the host kernel retries a spurious #MF/#XM forever). */
#define NATIVE_TIMEOUT_MS 2000
/* 16-bit code: LDT entry 0, RPL 3, base DT_CODE, limit 0xFFFF (modify_ldt). */
#define NATIVE_SEL16 (0 << 3 | 4 | 3)

static const struct {
	uint64_t gpa, len;
	int prot;
} native_pages[] = {
    {DT_CODE, DT_CODE_SIZE, PROT_READ | PROT_EXEC},
    {DT_DATA, DT_DATA_SIZE, PROT_READ | PROT_WRITE},
    {DT_RO_PAGE, 0x1000, PROT_READ},
    {DT_STACK, DT_STACK_SIZE, PROT_READ | PROT_WRITE},
};

/* Parent and child share this page: the case in, the outcome out. */
struct native_shared {
	uint64_t gpr[16], rip, rflags;
	int bits;	 /* code segment: 64, 32 (compatibility mode) or 16 */
	uint16_t fs, gs; /* selectors; 0: null, with these bases */
	uint64_t fs_base, gs_base;
	/* the x87/SSE state: FXRSTOR before the case, from the signal frame after */
	struct dt_fx fx;
	/* outcome */
	greg_t gregs[NGREG];
	bool done, has_fx;
};

struct native_engine {
	pid_t pid;
	int cmd[2], ack[2]; /* pipes: parent -> child, child -> parent */
	int memfd;
	uint8_t *span; /* the parent's view of the child's user pages */
	uint8_t *mem;  /* full-size image handed to the comparison */
	struct native_shared *sh;
	bool ldt16;	     /* 16-bit code can run */
	bool compat;	     /* the host's GDT has a 32-bit user code segment at DT_SEL_UCODE32 */
	uint32_t mxcsr_mask; /* MXCSR bits FXRSTOR accepts */
};

/* ---- the child ---- */

static struct native_shared *native_sh;
static bool native_ldt16, native_compat;
static sigjmp_buf native_env;
static uint64_t native_fsbase, native_gsbase;

/* arch_prctl without libc (errno is in TLS). */
__attribute__((always_inline)) static inline void native_arch_prctl(long code, uint64_t addr)
{
	long rc;

	__asm__ volatile("syscall"
			 : "=a"(rc)
			 : "0"((long)SYS_arch_prctl), "D"(code), "S"(addr)
			 : "rcx", "r11", "memory");
}

/* Runs on the signal stack with the case's FS and GS: restore ours before
 * any code that might use TLS (the stack protector reads %fs:0x28). */
__attribute__((no_stack_protector)) static void native_signal(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;

	native_arch_prctl(ARCH_SET_FS, native_fsbase);
	native_arch_prctl(ARCH_SET_GS, native_gsbase);
	for (int i = 0; i < NGREG; i++)
		native_sh->gregs[i] = uc->uc_mcontext.gregs[i];
	/* The legacy region of the kernel's XSAVE image: the FXSAVE64 layout. */
	native_sh->has_fx = uc->uc_mcontext.fpregs != NULL;
	if (native_sh->has_fx)
		memcpy(&native_sh->fx, uc->uc_mcontext.fpregs, sizeof(native_sh->fx));
	native_sh->done = true;
	siglongjmp(native_env, 1);
}

/*
 * IRETQ to the case: the frame sets RIP, CS (64-bit 0x33 or compatibility
 * 0x23, Linux's user code selectors, as in the test machine's GDT), RFLAGS
 * with TF, RSP and SS at once; the GPRs are popped just before it.
 */
__attribute__((noreturn, no_stack_protector)) static void native_enter(uint64_t *stack)
{
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "pop %%r15\n\tpop %%r14\n\tpop %%r13\n\tpop %%r12\n\t"
			 "pop %%r11\n\tpop %%r10\n\tpop %%r9\n\tpop %%r8\n\t"
			 "pop %%rdi\n\tpop %%rsi\n\tpop %%rbp\n\tpop %%rbx\n\t"
			 "pop %%rdx\n\tpop %%rcx\n\tpop %%rax\n\t"
			 "iretq"
			 :
			 : "r"(stack)
			 : "memory");
	__builtin_unreachable();
}

__attribute__((noreturn, no_stack_protector)) static void
native_run_one(const struct native_shared *sh)
{
	/* Touch every mirrored page so that its PTE exists: a write to the
	 * read-only page must fault as present (P=1), as on the test machine. */
	for (size_t i = 0; i < ARRAY_SIZE(native_pages); i++)
		for (uint64_t a = 0; a < native_pages[i].len; a += 0x1000)
			(void)*(volatile uint8_t *)(native_pages[i].gpa + a);
	static uint64_t stack[64];
	static const int order[15] = {X86_R15, X86_R14, X86_R13, X86_R12, X86_R11,
				      X86_R10, X86_R9,	X86_R8,	 X86_RDI, X86_RSI,
				      X86_RBP, X86_RBX, X86_RDX, X86_RCX, X86_RAX};
	uint64_t *p = stack + 32;
	uint16_t data = DT_SEL_UDATA;

	for (int i = 0; i < 15; i++)
		p[i] = sh->gpr[order[i]];
	p[15] = sh->rip;
	p[16] = sh->bits == 64 ? DT_SEL_UCODE : sh->bits == 32 ? DT_SEL_UCODE32 : NATIVE_SEL16;
	p[17] = sh->rflags | X86_FLAGS_TF;
	p[18] = sh->gpr[X86_RSP];
	p[19] = DT_SEL_UDATA;
	/*
	 * The test machine's user data selector in DS and ES (compatibility
	 * mode faults on a null one), then FS and GS.  From here on no TLS.
	 */
	__asm__ volatile("mov %0, %%ds; mov %0, %%es" : : "r"(data));
	if (sh->gs)
		__asm__ volatile("mov %0, %%gs" : : "r"(sh->gs));
	else
		native_arch_prctl(ARCH_SET_GS, sh->gs_base);
	if (sh->fs)
		__asm__ volatile("mov %0, %%fs" : : "r"(sh->fs));
	else
		native_arch_prctl(ARCH_SET_FS, sh->fs_base);
	/* The case's x87/SSE state, last: nothing after this uses the FPU. */
	__asm__ volatile("fxrstor64 %0" : : "m"(sh->fx));
	/* siglongjmp left the last case's NT, AC... in RFLAGS: IRETQ with NT
	 * set would raise #GP (no task return in IA-32e mode). */
	__asm__ volatile("pushq $0x202; popfq" : : : "memory", "cc");
	native_enter(p);
}

static int native_child_setup(int memfd)
{
	stack_t alt = {.ss_size = NATIVE_ALT};
	struct sigaction sa;
	static const int sigs[] = {SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP};

	for (size_t i = 0; i < ARRAY_SIZE(native_pages); i++)
		if (mmap((void *)native_pages[i].gpa, native_pages[i].len, native_pages[i].prot,
			 MAP_SHARED | MAP_FIXED_NOREPLACE, memfd,
			 (off_t)(native_pages[i].gpa - NATIVE_LO)) != (void *)native_pages[i].gpa)
			return -1;
	/*
	 * A 16-bit code segment for 16-bit decoding questions (optional).  Some
	 * kernels accept modify_ldt but never load the LDT (a PVM guest's, measured):
	 * VERR says whether the CPU sees the segment.
	 */
	struct user_desc d = {
	    .entry_number = NATIVE_SEL16 >> 3,
	    .base_addr = DT_CODE,
	    .limit = 0xFFFF,
	    .contents = MODIFY_LDT_CONTENTS_CODE,
	    .useable = 1,
	};
	uint16_t sel16 = NATIVE_SEL16;
	native_ldt16 = syscall(SYS_modify_ldt, 1, &d, sizeof(d)) == 0;
	if (native_ldt16)
		__asm__ volatile("verr %1; setz %0" : "=r"(native_ldt16) : "r"(sel16) : "cc");
	/* Compatibility mode needs Linux's __USER32_CS, which a PVM guest's GDT
	 * lacks (measured: LAR fails on 0x23; only 0x2B, 0x33, 0x7B are there). */
	uint32_t ar = 0, sel32 = DT_SEL_UCODE32;
	bool ok;

	__asm__ volatile("lar %2, %0; setz %1" : "=r"(ar), "=q"(ok) : "r"(sel32) : "cc");
	/* Present DPL3 code (access byte F8 under mask F8), D=1, L=0. */
	native_compat = ok && (ar & 0x0060F800) == 0x0040F800;
	if (syscall(SYS_arch_prctl, ARCH_GET_FS, &native_fsbase) ||
	    syscall(SYS_arch_prctl, ARCH_GET_GS, &native_gsbase))
		return -1;
	alt.ss_sp = malloc(NATIVE_ALT);
	if (!alt.ss_sp || sigaltstack(&alt, NULL))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = native_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -1;
	return 0;
}

static void native_child(struct native_engine *n)
{
	char c;

	/* Only the parent writes commands: EOF on cmd[0] means it is gone. */
	close(n->cmd[1]);
	close(n->ack[0]);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* 'E', or '0' + what can run: 1 16-bit code, 2 compatibility mode. */
	c = native_child_setup(n->memfd) ? 'E' : (char)('0' + native_ldt16 + 2 * native_compat);
	native_sh = n->sh;
	if (write(n->ack[1], &c, 1) != 1 || c == 'E')
		_exit(1);
	for (;;) {
		if (read(n->cmd[0], &c, 1) != 1)
			_exit(0);
		if (!sigsetjmp(native_env, 1))
			native_run_one(n->sh);
		c = 'D';
		if (write(n->ack[1], &c, 1) != 1)
			_exit(1);
	}
}

/* ---- the parent ---- */

void native_engine_close(struct native_engine *n)
{
	if (!n)
		return;
	if (n->pid > 0) {
		close(n->cmd[1]);
		n->cmd[1] = -1;
		kill(n->pid, SIGKILL);
		waitpid(n->pid, NULL, 0);
	}
	for (int i = 0; i < 2; i++) {
		if (n->cmd[i] >= 0)
			close(n->cmd[i]);
		if (n->ack[i] >= 0)
			close(n->ack[i]);
	}
	if (n->span)
		munmap(n->span, NATIVE_HI - NATIVE_LO);
	if (n->sh)
		munmap(n->sh, sizeof(*n->sh));
	if (n->memfd >= 0)
		close(n->memfd);
	free(n->mem);
	free(n);
}

static int native_start(struct native_engine *n, char *why, size_t why_len)
{
	char c;

	n->pid = fork();
	if (n->pid < 0) {
		snprintf(why, why_len, "fork: %s", strerror(errno));
		return -errno;
	}
	if (n->pid == 0)
		native_child(n);
	if (read(n->ack[0], &c, 1) != 1 || c < '0' || c > '3') {
		snprintf(why, why_len, "the native child could not map the user pages at %#llx",
			 (unsigned long long)NATIVE_LO);
		waitpid(n->pid, NULL, 0);
		n->pid = 0;
		return -EIO;
	}
	n->ldt16 = (c - '0') & 1;
	n->compat = (c - '0') & 2;
	return 0;
}

int native_engine_open(struct native_engine **out, char *why, size_t why_len)
{
	struct native_engine *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->cmd[0] = n->cmd[1] = n->ack[0] = n->ack[1] = n->memfd = -1;
	struct dt_fx fx;

	__asm__ volatile("fxsave64 %0" : "=m"(fx));
	n->mxcsr_mask = fx.mxcsr_mask ? fx.mxcsr_mask : 0xFFBF; /* SDM vol. 1, 11.6.6 */
	n->memfd = memfd_create("difftest-native", MFD_CLOEXEC);
	n->mem = calloc(1, DT_MEM_SIZE);
	n->sh =
	    mmap(NULL, sizeof(*n->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (n->memfd < 0 || !n->mem || n->sh == MAP_FAILED ||
	    ftruncate(n->memfd, NATIVE_HI - NATIVE_LO) || pipe(n->cmd) || pipe(n->ack)) {
		snprintf(why, why_len, "native engine setup: %s", strerror(errno));
		if (n->sh == MAP_FAILED)
			n->sh = NULL;
		native_engine_close(n);
		return -ENOMEM;
	}
	n->span =
	    mmap(NULL, NATIVE_HI - NATIVE_LO, PROT_READ | PROT_WRITE, MAP_SHARED, n->memfd, 0);
	if (n->span == MAP_FAILED) {
		n->span = NULL;
		snprintf(why, why_len, "mmap native pages: %s", strerror(errno));
		native_engine_close(n);
		return -ENOMEM;
	}
	if (native_start(n, why, why_len)) {
		native_engine_close(n);
		return -EIO;
	}
	*out = n;
	return 0;
}

bool native_engine_can_run(struct native_engine *n, int bits, char *why, size_t why_len)
{
	if (bits == 16 && !n->ldt16)
		snprintf(why, why_len,
			 "no 16-bit code on this host: its kernel accepts modify_ldt but does "
			 "not load the LDT (VERR fails on the new segment)");
	else if (bits != 64 && !n->compat)
		snprintf(why, why_len,
			 "no compatibility mode on this host: its GDT has no 32-bit user code "
			 "segment (LAR fails on %#x)",
			 DT_SEL_UCODE32);
	else
		return true;
	return false;
}

uint8_t *native_engine_mem(struct native_engine *n)
{
	return n->mem;
}

/* Wait for the child's answer; false (the child killed) after the time limit. */
static bool native_wait(struct native_engine *n)
{
	struct pollfd p = {.fd = n->ack[0], .events = POLLIN};
	int r;

	do
		r = poll(&p, 1, NATIVE_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r > 0)
		return true;
	kill(n->pid, SIGKILL);
	waitpid(n->pid, NULL, 0);
	n->pid = 0;
	return false;
}

/* A fresh child after a stuck or dead one (the pipes are reused: a dead
 * child's unread bytes cannot be there, it answers one byte per command). */
static void native_restart(struct native_engine *n)
{
	char why[160];

	if (n->pid > 0) {
		kill(n->pid, SIGKILL);
		waitpid(n->pid, NULL, 0);
	}
	n->pid = 0;
	if (native_start(n, why, sizeof(why)))
		n->pid = 0;
}

/* Vectors that push an error code (SDM vol. 3A table 6-1). */
static bool native_has_error(int v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;
}

/*
 * Run one case (memory already loaded into native_engine_mem) for one
 * instruction.  The outcome is shaped like the test machine's: the vector
 * (1 = the single-step trap after a completed instruction), the error code,
 * the frame (RIP CS RFLAGS RSP SS at the fault or trap), the GPRs and CR2.
 * RIP and RFLAGS "at halt" and RSP at the stub do not exist here.
 */
void native_engine_run(struct native_engine *n, const struct x86_state *s, struct dt_outcome *o)
{
	const greg_t *g = n->sh->gregs;
	static const int map[16] = {
	    [X86_RAX] = REG_RAX, [X86_RCX] = REG_RCX, [X86_RDX] = REG_RDX, [X86_RBX] = REG_RBX,
	    [X86_RSP] = REG_RSP, [X86_RBP] = REG_RBP, [X86_RSI] = REG_RSI, [X86_RDI] = REG_RDI,
	    [X86_R8] = REG_R8,	 [X86_R9] = REG_R9,   [X86_R10] = REG_R10, [X86_R11] = REG_R11,
	    [X86_R12] = REG_R12, [X86_R13] = REG_R13, [X86_R14] = REG_R14, [X86_R15] = REG_R15,
	};
	char c = 'G';

	memset(o, 0, sizeof(*o));
	o->vector = -1;
	memcpy(n->span, n->mem + NATIVE_LO, NATIVE_HI - NATIVE_LO);
	memcpy(n->sh->gpr, s->gpr, sizeof(n->sh->gpr));
	n->sh->rip = s->rip;
	n->sh->rflags = s->rflags;
	n->sh->bits = s->seg[X86_CS].l ? 64 : s->seg[X86_CS].db ? 32 : 16;
	if (!native_engine_can_run(n, n->sh->bits, o->fail, sizeof(o->fail)))
		return;
	/* FS and GS: a selector (Linux's flat GDT segments: base 0) or null with a base. */
	n->sh->fs = s->seg[X86_FS].sel;
	n->sh->gs = s->seg[X86_GS].sel;
	n->sh->fs_base = s->seg[X86_FS].base;
	n->sh->gs_base = s->seg[X86_GS].base;
	if ((n->sh->fs && n->sh->fs_base) || (n->sh->gs && n->sh->gs_base)) {
		snprintf(o->fail, sizeof(o->fail), "FS/GS with both a selector and a base");
		return;
	}
	dt_fx_from_state(&n->sh->fx, s);
	if (n->sh->fx.mxcsr & ~n->mxcsr_mask) {
		snprintf(o->fail, sizeof(o->fail),
			 "MXCSR %#x has bits this CPU reserves (mask %#x)", n->sh->fx.mxcsr,
			 n->mxcsr_mask);
		return;
	}
	n->sh->has_fx = false;
	n->sh->done = false;
	if (write(n->cmd[1], &c, 1) != 1 || !native_wait(n) || read(n->ack[0], &c, 1) != 1 ||
	    !n->sh->done) {
		snprintf(o->fail, sizeof(o->fail), "the native child %s",
			 n->pid > 0 ? "died" : "did not stop within the time limit");
		native_restart(n);
		return;
	}
	memcpy(n->mem + NATIVE_LO, n->span, NATIVE_HI - NATIVE_LO);
	o->vector = (int)g[REG_TRAPNO];
	o->has_error = native_has_error(o->vector);
	o->error = o->has_error ? (uint64_t)g[REG_ERR] : 0;
	for (int i = 0; i < 16; i++)
		o->gpr[i] = (uint64_t)g[map[i]];
	o->frame[0] = (uint64_t)g[REG_RIP];
	o->frame[1] = (uint64_t)g[REG_CSGSFS] & 0xFFFF;
	o->frame[2] = (uint64_t)g[REG_EFL];
	o->frame[3] = (uint64_t)g[REG_RSP];
	o->frame[4] = (uint64_t)g[REG_CSGSFS] >> 48;
	o->cr2 = o->vector == 14 ? (uint64_t)g[REG_CR2] : 0;
	o->has_fx = n->sh->has_fx;
	o->fx = n->sh->fx;
}

/*
 * Decode question: run `len` bytes as the first instruction of `bits`-bit
 * code at CPL3 (general registers pointing into the data pages) and report
 * what the CPU did: the vector (6 #UD, 13 #GP...; 1 when the instruction
 * completed), frame[0] where it stopped.  native_engine_mem must hold the
 * test machine (machine_build).
 */
void native_engine_run_code(struct native_engine *n, int bits, const uint8_t *code, unsigned len,
			    struct dt_outcome *o)
{
	struct dt_case c;
	struct x86_state s;

	memset(&c, 0, sizeof(c));
	c.len = len > 15 ? 15 : len;
	memcpy(c.code, code, c.len);
	c.rip = DT_CODE + 0x100;
	c.rflags = X86_FLAGS_FIXED;
	for (unsigned i = 0; i < 16; i++)
		c.gpr[i] = DT_DATA + 0x800;
	c.gpr[X86_RSP] = DT_STACK + 0x1000;
	c.compat = bits != 64;
	memcpy(n->mem + c.rip, c.code, c.len);
	machine_state(&s, &c);
	if (bits == 16) {
		s.seg[X86_CS].db = 0;
		s.rip = c.rip - DT_CODE;
	}
	native_engine_run(n, &s, o);
	memset(n->mem + c.rip, 0xF4, c.len); /* as machine_build left it */
}
