/*
 * rawkvm.c - the smallest honest KVM program, the peer ember's benchmarks are
 * measured against: it maps a 64 KiB firmware ROM below 4 GiB and 640 KiB of
 * RAM, runs one vCPU from the reset state and handles port I/O until the
 * guest writes port F4h.  Not a VMM: no devices, no CPUID setup, no irqchip.
 * Follows the KVM API (Documentation/virt/kvm/api.rst, KVM_RUN/KVM_EXIT_IO).
 *
 * Usage: rawkvm ROM.  Prints one line of key=value pairs: ms from main() to
 * the first KVM_RUN (wall and CPU), I/O exits seen, and ns per exit from the
 * first KVM_RUN to the guest's write to F4h.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "layout.h"

#define RAWKVM_ROM_SIZE 0x10000
#define RAWKVM_RAM_SIZE LAYOUT_LOWMEM_END

static double rawkvm_ms(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int rawkvm_fail(const char *what)
{
	fprintf(stderr, "rawkvm: %s: %s\n", what, strerror(errno));
	return 2;
}

int main(int argc, char **argv)
{
	double t0 = rawkvm_ms(CLOCK_MONOTONIC);
	if (argc != 2) {
		fprintf(stderr, "usage: rawkvm ROM (a 64 KiB firmware image)\n");
		return 2;
	}
	int rom_fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (rom_fd < 0)
		return rawkvm_fail(argv[1]);
	void *rom = mmap(NULL, RAWKVM_ROM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, rom_fd, 0);
	if (rom == MAP_FAILED)
		return rawkvm_fail("mmap ROM");
	void *ram = mmap(NULL, RAWKVM_RAM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		return rawkvm_fail("mmap RAM");

	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return rawkvm_fail("/dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return rawkvm_fail("KVM_CREATE_VM");
	/* The private pages Intel hosts without unrestricted guest need. */
	if (ioctl(vm, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS) < 0)
		return rawkvm_fail("KVM_SET_TSS_ADDR");
	uint64_t idmap = LAYOUT_KVM_IDENTITY_MAP;
	if (ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return rawkvm_fail("KVM_SET_IDENTITY_MAP_ADDR");
	struct kvm_userspace_memory_region slots[] = {
	    {.slot = 0,
	     .guest_phys_addr = 0,
	     .memory_size = RAWKVM_RAM_SIZE,
	     .userspace_addr = (uintptr_t)ram},
	    {.slot = 1,
	     .guest_phys_addr = LAYOUT_4G - RAWKVM_ROM_SIZE,
	     .memory_size = RAWKVM_ROM_SIZE,
	     .userspace_addr = (uintptr_t)rom},
	};
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slots[i]) < 0)
			return rawkvm_fail("KVM_SET_USER_MEMORY_REGION");
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return rawkvm_fail("KVM_CREATE_VCPU");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < 0)
		return rawkvm_fail("KVM_GET_VCPU_MMAP_SIZE");
	struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return rawkvm_fail("mmap kvm_run");

	/* A new vCPU is in the reset state: CS=F000h base FFFF0000h, IP=FFF0h. */
	double first_wall = rawkvm_ms(CLOCK_MONOTONIC) - t0;
	double first_cpu = rawkvm_ms(CLOCK_PROCESS_CPUTIME_ID);
	double t_run = rawkvm_ms(CLOCK_MONOTONIC);
	uint64_t exits = 0;
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			return rawkvm_fail("KVM_RUN");
		}
		if (run->exit_reason != KVM_EXIT_IO) {
			fprintf(stderr, "rawkvm: unexpected exit reason %u\n", run->exit_reason);
			return 4;
		}
		exits++;
		if (run->io.port == LAYOUT_PORT_TEST_EXIT)
			break;
	}
	double ran = rawkvm_ms(CLOCK_MONOTONIC) - t_run;
	printf("first_run_wall_ms=%.3f first_run_cpu_ms=%.3f exits=%llu ns_per_exit=%.0f\n",
	       first_wall, first_cpu, (unsigned long long)exits, ran * 1e6 / (double)exits);
	return 0;
}
