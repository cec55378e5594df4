/*
 * test_boot_kvm.c - the loaders judged by their real consumers: boot
 * Debian's vmlinux through PVH and the multiboot test guest on /dev/kvm
 * with a minimal run loop (COM1 output, port F4h exit, all-ones reads), and
 * read what Linux says about our e820, command line and MP table.  Not the
 * KVM engine (src/kvm): only what the loaders' state needs, kept small.
 * KVM API: Documentation/virt/kvm/api.rst.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "test_boot.h"

struct run_result {
	char out[64 * 1024]; /* COM1 transcript */
	size_t n;
	int exit_value;	  /* port F4h value, or -1 */
	bool uart_setup;  /* the guest programmed COM1's line control register */
	const char *fail; /* why the loop stopped early, or NULL */
};

static void kvm_alarm(int sig)
{
	(void)sig;
}

static void kvm_seg(struct kvm_segment *k, const struct x86_seg *s)
{
	*k = (struct kvm_segment){.base = s->base,
				  .limit = s->limit,
				  .selector = s->sel,
				  .type = s->type,
				  .present = s->present,
				  .dpl = s->dpl,
				  .db = s->db,
				  .s = s->s,
				  .l = s->l,
				  .g = s->g,
				  .avl = s->avl,
				  .unusable = s->unusable};
}

/* Run until the transcript holds stop (if given), the guest writes port
 * F4h, COM1 is set up (stop_on_uart), or seconds pass.  -1 if no KVM. */
static int kvm_boot(const struct memmap *m, const struct x86_state *st, const char *stop,
		    bool stop_on_uart, int seconds, struct run_result *res)
{
	memset(res, 0, sizeof(*res));
	res->exit_value = -1;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return -1;
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	uint64_t idmap = LAYOUT_KVM_IDENTITY_MAP;
	ioctl(vm, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS);
	ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	for (int i = 0; i < m->n; i++) {
		struct kvm_userspace_memory_region r = {
		    .slot = (uint32_t)i,
		    .guest_phys_addr = m->r[i].gpa,
		    .memory_size = m->r[i].size,
		    .userspace_addr = (uint64_t)(uintptr_t)m->r[i].hva,
		    .flags = m->r[i].kind == MEMREGION_ROM ? KVM_MEM_READONLY : 0,
		};
		ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
	}
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + 128 * sizeof(cpuid->entries[0]));
	cpuid->nent = 128;
	ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid);
	ioctl(vcpu, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	long sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);

	struct kvm_sregs sr;
	ioctl(vcpu, KVM_GET_SREGS, &sr);
	kvm_seg(&sr.cs, &st->seg[X86_CS]);
	kvm_seg(&sr.ds, &st->seg[X86_DS]);
	kvm_seg(&sr.es, &st->seg[X86_ES]);
	kvm_seg(&sr.ss, &st->seg[X86_SS]);
	kvm_seg(&sr.fs, &st->seg[X86_FS]);
	kvm_seg(&sr.gs, &st->seg[X86_GS]);
	kvm_seg(&sr.tr, &st->seg[X86_TR]);
	kvm_seg(&sr.ldt, &st->seg[X86_LDTR]);
	sr.gdt.base = st->gdt.base;
	sr.gdt.limit = st->gdt.limit;
	sr.idt.base = st->idt.base;
	sr.idt.limit = st->idt.limit;
	sr.cr0 = st->cr0;
	sr.cr3 = st->cr3;
	sr.cr4 = st->cr4;
	sr.efer = st->efer;
	sr.apic_base = st->apic_base;
	struct kvm_regs rg = {
	    .rax = st->gpr[X86_RAX],
	    .rbx = st->gpr[X86_RBX],
	    .rcx = st->gpr[X86_RCX],
	    .rdx = st->gpr[X86_RDX],
	    .rsi = st->gpr[X86_RSI],
	    .rdi = st->gpr[X86_RDI],
	    .rsp = st->gpr[X86_RSP],
	    .rbp = st->gpr[X86_RBP],
	    .rip = st->rip,
	    .rflags = st->rflags,
	};
	if (ioctl(vcpu, KVM_SET_SREGS, &sr) || ioctl(vcpu, KVM_SET_REGS, &rg))
		res->fail = "KVM refused the boot state (KVM_SET_SREGS/REGS)";

	struct sigaction sa = {.sa_handler = kvm_alarm}, old;
	sigaction(SIGALRM, &sa, &old);
	struct itimerval it = {.it_interval = {0, 200000}, .it_value = {0, 200000}};
	setitimer(ITIMER_REAL, &it, NULL);
	uint64_t end = now_ns() + (uint64_t)seconds * 1000000000ULL;
	while (!res->fail && now_ns() < end) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			res->fail = "KVM_RUN failed";
			break;
		}
		if (run->exit_reason == KVM_EXIT_IO) {
			uint8_t *d = (uint8_t *)run + run->io.data_offset;
			bool out = run->io.direction == KVM_EXIT_IO_OUT;
			uint16_t port = run->io.port;
			if (out && port == LAYOUT_PORT_COM1) {
				for (uint32_t i = 0; i < run->io.count; i++)
					if (res->n < sizeof(res->out) - 1)
						res->out[res->n++] = (char)d[i * run->io.size];
				res->out[res->n] = 0;
				if (stop && strstr(res->out, stop))
					break;
			} else if (out && port == LAYOUT_PORT_COM1 + 3) {
				res->uart_setup = true;
				if (stop_on_uart)
					break;
			} else if (out && port == LAYOUT_PORT_TEST_EXIT) {
				res->exit_value = d[0];
				break;
			} else if (!out) {
				/* LSR: transmitter empty; everything else floats. */
				memset(d, port == LAYOUT_PORT_COM1 + 5 ? 0x60 : 0xFF,
				       (size_t)run->io.size * run->io.count);
			}
		} else if (run->exit_reason == KVM_EXIT_MMIO) {
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xFF, sizeof(run->mmio.data));
		} else if (run->exit_reason != KVM_EXIT_INTR) {
			res->fail = run->exit_reason == KVM_EXIT_HLT	    ? "guest halted"
				    : run->exit_reason == KVM_EXIT_SHUTDOWN ? "triple fault"
									    : "unexpected exit";
		}
	}
	it = (struct itimerval){0};
	setitimer(ITIMER_REAL, &it, NULL);
	sigaction(SIGALRM, &old, NULL);
	munmap(run, (size_t)sz);
	close(vcpu);
	close(vm);
	close(kvm);
	return 0;
}

static bool kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void expect_line(const struct run_result *r, const char *s)
{
	T_CHECK(strstr(r->out, s), "Linux did not say \"%s\"; transcript tail: %s", s,
		r->n > 300 ? r->out + r->n - 300 : r->out);
}

static void test_pvh_linux(void)
{
	if (!kvm_usable() || access("guest/vmlinux", R_OK)) {
		T_SKIP("needs /dev/kvm and guest/vmlinux (scripts/fetch-guest.sh)");
		return;
	}
	struct memmap m;
	struct x86_state s;
	tb_mem(&m, 256 << 20);
	struct boot_request req = {.kernel = "guest/vmlinux",
				   .cmdline = "earlyprintk=serial,ttyS0 console=ttyS0",
				   .cpus = 2};
	T_EQ(boot_setup(&m, &req, &s), 0);
	static struct run_result r;
	/* Linux finds the MP table within its first second; listing the
	 * processors takes a minute more where KVM emulates CPL0 (PVM), and
	 * test_mptable checks the entries. */
	const char *mp = "found SMP MP-table at [mem 0x0009fc00-0x0009fc0f]";
	kvm_boot(&m, &s, mp, false, 180, &r);
	T_CHECK(!r.fail, "%s", r.fail ? r.fail : "");
	expect_line(&r, "Command line: earlyprintk=serial,ttyS0 console=ttyS0");
	expect_line(&r, "BIOS-e820: [mem 0x0000000000000000-0x000000000009efff] usable");
	expect_line(&r, "BIOS-e820: [mem 0x000000000009f000-0x00000000000fffff] reserved");
	expect_line(&r, "BIOS-e820: [mem 0x0000000000100000-0x000000000fffffff] usable");
	/* A loaded host may be too slow to get that far: not our defect. */
	if (!strstr(r.out, mp) && !r.fail)
		T_SKIP("Linux did not reach the MP table scan within 180 s (host too slow)");
	memmap_destroy(&m);
}

static void test_bzimage_entry(void)
{
	if (!kvm_usable() || access("guest/vmlinuz", R_OK)) {
		T_SKIP("needs /dev/kvm and guest/vmlinuz (scripts/fetch-guest.sh)");
		return;
	}
	struct memmap m;
	struct x86_state s;
	tb_mem(&m, 256 << 20);
	struct boot_request req = {
	    .kernel = "guest/vmlinuz", .cmdline = "earlyprintk=serial,ttyS0,115200", .cpus = 1};
	T_EQ(boot_setup(&m, &req, &s), 0);
	/* Decompressing takes minutes where KVM emulates CPL0 (PVM); the
	 * decompressor programming COM1 proves it ran from the 64-bit entry
	 * through its relocation to extract_kernel() with our zero page. */
	static struct run_result r;
	kvm_boot(&m, &s, NULL, true, 90, &r);
	T_CHECK(!r.fail, "%s", r.fail ? r.fail : "");
	T_CHECK(r.uart_setup, "the decompressor never set up COM1 within 90 s");
	memmap_destroy(&m);
}

static void test_multiboot_guest(void)
{
	const char *img = "build/guests/multiboot.elf";
	if (!kvm_usable() || access(img, R_OK)) {
		T_SKIP("needs /dev/kvm and build/guests/multiboot.elf (make)");
		return;
	}
	struct memmap m;
	struct x86_state s;
	tb_mem(&m, 128 << 20);
	struct boot_request req = {.kernel = img,
				   .initrd = "tests/guests/multiboot.mod",
				   .cmdline = "ember.test=1 hello world",
				   .cpus = 1};
	T_EQ(boot_setup(&m, &req, &s), 0);
	static struct run_result r;
	kvm_boot(&m, &s, NULL, false, 30, &r);
	T_CHECK(!r.fail, "%s", r.fail ? r.fail : "");
	T_EQ(r.exit_value, 0);
	uint8_t *want;
	size_t wlen;
	T_EQ(read_file("tests/guests/multiboot.expected", &want, &wlen), 0);
	T_CHECK(r.n == wlen && !memcmp(r.out, want, wlen),
		"transcript differs from tests/guests/multiboot.expected: %s", r.out);
	free(want);
	memmap_destroy(&m);
}

int main(void)
{
	T_RUN(test_multiboot_guest);
	T_RUN(test_pvh_linux);
	T_RUN(test_bzimage_entry);
	T_EXIT();
}
