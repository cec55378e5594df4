/*
 * kvmprobe.c - run a test guest ROM on the host's KVM with nothing of ember:
 * RAM with the PC hole at 640 KiB-1 MiB, the ROM ending at 4 GiB and its last
 * 128 KiB (at most) aliased below 1 MiB, the in-kernel irqchip and PIT, the
 * host's supported CPUID, a COM1 that only transmits, and the test-exit
 * port.  Not a VMM; it exists so
 * guests_ember.sh can tell a limit of the host's KVM (PVM here) from an
 * ember bug: a guest that fails the same way here fails because of the host.
 * Follows the KVM API (Documentation/virt/kvm/api.rst).
 *
 * Usage: kvmprobe ROM [TIMEOUT_S].  COM1 output goes to stdout; the exit
 * status follows `ember run`: (v << 1) | 1 for a write of v to port F4h,
 * 4 for a shutdown (triple fault), 6 for a KVM internal error, 2 on a host
 * error, 124 after TIMEOUT_S seconds (default 60).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layout.h"

#define KVMPROBE_RAM_SIZE  0x08000000ULL /* 128 MiB, as the tests' --mem */
#define KVMPROBE_CPUID_MAX 256

static int kvmprobe_fail(const char *what)
{
	fprintf(stderr, "kvmprobe: %s: %s\n", what, strerror(errno));
	return 2;
}

static int kvmprobe_slot(int vm, uint32_t slot, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_userspace_memory_region r = {
	    .slot = slot,
	    .guest_phys_addr = gpa,
	    .memory_size = size,
	    .userspace_addr = (uintptr_t)host,
	};
	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static int kvmprobe_cpuid(int kvm, int vcpu)
{
	size_t sz =
	    sizeof(struct kvm_cpuid2) + KVMPROBE_CPUID_MAX * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = calloc(1, sz);
	if (!c)
		return -1;
	c->nent = KVMPROBE_CPUID_MAX;
	int r = ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c);
	if (r == 0)
		r = ioctl(vcpu, KVM_SET_CPUID2, c);
	free(c);
	return r;
}

/*
 * Port I/O: COM1 transmits (unless LCR.DLAB selects the divisor latch) and
 * is always ready; F4h ends the run.
 */
static int kvmprobe_io(struct kvm_run *run)
{
	static uint8_t lcr;
	uint8_t *d = (uint8_t *)run + run->io.data_offset;
	uint16_t port = run->io.port;
	if (run->io.direction == KVM_EXIT_IO_OUT) {
		if (port == LAYOUT_PORT_COM1 + 3)
			lcr = d[0];
		if (port == LAYOUT_PORT_COM1 && !(lcr & 0x80))
			for (uint32_t i = 0; i < run->io.count; i++)
				putchar(d[i * run->io.size]);
		if (port == LAYOUT_PORT_TEST_EXIT) {
			fflush(stdout);
			return ((d[0] << 1) | 1) & 0xff;
		}
		return -1;
	}
	uint8_t v = 0xff;
	if (port == LAYOUT_PORT_COM1 + 5)
		v = 0x60; /* LSR: THR and transmitter empty */
	else if (port >= LAYOUT_PORT_COM1 && port < LAYOUT_PORT_COM1 + 8)
		v = 0;
	memset(d, v, (size_t)run->io.size * run->io.count);
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: kvmprobe ROM [TIMEOUT_S]\n");
		return 2;
	}
	alarm(argc == 3 ? (unsigned)atoi(argv[2]) : 60);
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return kvmprobe_fail(argv[1]);
	/* The ROM ends at 4 GiB; its last 128 KiB (at most) also end at 1 MiB. */
	uint64_t rom_size = (uint64_t)st.st_size;
	uint64_t alias = rom_size < LAYOUT_BIOS_LOW_SIZE ? rom_size : LAYOUT_BIOS_LOW_SIZE;
	if (rom_size == 0 || rom_size % 0x10000 || rom_size > LAYOUT_BIOS_MAX_SIZE) {
		fprintf(stderr, "kvmprobe: %s: not a multiple of 64 KiB up to 16 MiB\n", argv[1]);
		return 2;
	}
	void *rom = mmap(NULL, rom_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	void *ram = mmap(NULL, KVMPROBE_RAM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (rom == MAP_FAILED || ram == MAP_FAILED)
		return kvmprobe_fail("mmap");
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return kvmprobe_fail("/dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return kvmprobe_fail("KVM_CREATE_VM");
	uint64_t idmap = LAYOUT_KVM_IDENTITY_MAP;
	struct kvm_pit_config pit = {.flags = 0};
	if (ioctl(vm, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS) < 0 ||
	    ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return kvmprobe_fail("KVM_SET_TSS_ADDR/IDENTITY_MAP_ADDR");
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0 || ioctl(vm, KVM_CREATE_PIT2, &pit) < 0)
		return kvmprobe_fail("KVM_CREATE_IRQCHIP/PIT2");
	if (kvmprobe_slot(vm, 0, 0, LAYOUT_LOWMEM_END, ram) < 0 ||
	    kvmprobe_slot(vm, 1, LAYOUT_HIMEM_START, KVMPROBE_RAM_SIZE - LAYOUT_HIMEM_START,
			  (char *)ram + LAYOUT_HIMEM_START) < 0 ||
	    kvmprobe_slot(vm, 2, LAYOUT_4G - rom_size, rom_size, rom) < 0 ||
	    kvmprobe_slot(vm, 3, LAYOUT_HIMEM_START - alias, alias,
			  (char *)rom + rom_size - alias) < 0)
		return kvmprobe_fail("KVM_SET_USER_MEMORY_REGION");
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return kvmprobe_fail("KVM_CREATE_VCPU");
	if (kvmprobe_cpuid(kvm, vcpu) < 0)
		return kvmprobe_fail("KVM_SET_CPUID2");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run_size < 0 || run == MAP_FAILED)
		return kvmprobe_fail("mmap kvm_run");

	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR) {
				fflush(stdout);
				fprintf(stderr, "kvmprobe: timeout\n");
				return 124;
			}
			return kvmprobe_fail("KVM_RUN");
		}
		int status;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			status = kvmprobe_io(run);
			if (status >= 0)
				return status;
			break;
		case KVM_EXIT_MMIO:
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
			break;
		case KVM_EXIT_SHUTDOWN:
			fflush(stdout);
			fprintf(stderr, "kvmprobe: shutdown (triple fault)\n");
			return 4;
		case KVM_EXIT_INTERNAL_ERROR:
			fflush(stdout);
			fprintf(stderr, "kvmprobe: KVM internal error, suberror %u\n",
				run->internal.suberror);
			return 6;
		default:
			fflush(stdout);
			fprintf(stderr, "kvmprobe: exit reason %u\n", run->exit_reason);
			return 2;
		}
	}
}
