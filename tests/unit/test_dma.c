/*
 * test_dma.c - guest memory as devices see it (dma.h): a host pointer only
 * for a range wholly inside one RAM region (never ROM, holes, MMIO, an empty
 * or wrapping range), and a device's write into RAM drops what the emulator
 * decoded there: the x86 emulator runs a loop, a "device" overwrites its
 * code through dma_write with the hook the emu engine installs, and the new
 * code runs; the same write without the hook runs the stale decode (the
 * control: the decoded-instruction cache is real, so the hook is what the
 * test proves).
 */
#include <errno.h>
#include <string.h>

#include "dma.h"
#include "memmap.h"
#include "t.h"
#include "vm.h"
#include "x86/x86.h"

static struct memmap mem;

static void mem_setup(void)
{
	memmap_init(&mem);
	T_EQ(memmap_add(&mem, "low", 0, 0x10000, memmap_alloc(&mem, 0x10000), MEMREGION_RAM), 0);
	T_EQ(memmap_add(&mem, "rom", 0x10000, 0x1000, memmap_alloc(&mem, 0x1000), MEMREGION_ROM),
	     0);
	T_EQ(memmap_add(&mem, "high", 0x11000, 0x1000, memmap_alloc(&mem, 0x1000), MEMREGION_RAM),
	     0);
}

static void test_bounds(void)
{
	mem_setup();
	struct dma_space d = {.mem = &mem};
	T_CHECK(dma_ptr(&d, 0, 0x10000) == memmap_ptr(&mem, 0, 1), "all of a region");
	T_CHECK(dma_ptr(&d, 0xFFFF, 1), "its last byte");
	T_CHECK(!dma_ptr(&d, 0xFFFF, 2), "across into ROM");
	T_CHECK(!dma_ptr(&d, 0x10000, 1), "ROM");
	T_CHECK(!dma_ptr(&d, 0x10FFF, 2), "ROM into the next RAM region");
	T_CHECK(!dma_ptr(&d, 0x12000, 1), "past the end");
	T_CHECK(!dma_ptr(&d, 0x100, 0), "empty");
	T_CHECK(!dma_ptr(&d, ~0ULL, 2), "wrapping");
	T_CHECK(!dma_ptr(&d, 0x100, ~0ULL), "length near 2^64");
	T_CHECK(!dma_ptr(&d, 0x100, 0xFFFFFFFF), "length near 2^32");
	uint8_t b[4] = {1, 2, 3, 4};
	T_EQ(dma_write(&d, 0xFFFE, b, 4), -EFAULT);
	T_EQ(*(uint8_t *)memmap_ptr(&mem, 0xFFFE, 1), 0); /* nothing copied */
	T_EQ(dma_read(&d, 0x10000, b, 1), -EFAULT);
	T_EQ(dma_write(&d, 0x11000, b, 4), 0);
	T_EQ(dma_read(&d, 0x11002, b, 2), 0);
	T_EQ(b[0], 3);
	memmap_destroy(&mem);
}

static uint8_t *ram_page(void *o, uint64_t gpa, bool write)
{
	const struct memregion *r = memmap_find(&mem, gpa);
	if (!r || (write && r->kind != MEMREGION_RAM))
		return NULL;
	return r->hva + (gpa - r->gpa);
}

static uint32_t port80;

static void pio_out(void *o, uint16_t port, unsigned size, uint32_t val)
{
	if (port == 0x80)
		port80 = val;
}

static const struct x86_ops ops = {.ram_page = ram_page, .pio_out = pio_out};

/* What the emu engine's ram_written does: the machine's decodes go. */
static void invalidate(void *opaque, uint64_t gpa, uint64_t len)
{
	x86_cpu_invalidate_phys(opaque, gpa, len);
}

/* The loop's next ten rounds; what it wrote to port 0x80. */
static uint32_t rounds(struct x86_cpu *cpu)
{
	port80 = 0;
	x86_run(cpu, 30);
	return port80;
}

static void test_device_write_drops_decoded_code(void)
{
	mem_setup();
	struct x86_cpu *cpu = x86_cpu_new(&ops, NULL);
	struct x86_state *s = x86_cpu_state(cpu);
	x86_state_reset(s);
	s->seg[X86_CS].sel = 0;
	s->seg[X86_CS].base = 0;
	s->rip = 0x1000;
	x86_cpu_state_changed(cpu); /* once: it also empties the decode cache */
	/* 1000: mov ax, 1; out 80h, ax; jmp 1000 (real mode) */
	static const uint8_t code[] = {0xB8, 0x01, 0x00, 0xE7, 0x80, 0xEB, 0xF9};
	memcpy(memmap_ptr(&mem, 0x1000, sizeof(code)), code, sizeof(code));
	T_EQ(rounds(cpu), 1);
	/* A device writes the immediate through the engine's hook. */
	struct dma_space d = {.mem = &mem, .written = invalidate, .opaque = cpu};
	uint8_t two = 2;
	T_EQ(dma_write(&d, 0x1001, &two, 1), 0);
	T_EQ(rounds(cpu), 2);
	/* A write through a mapped pointer, reported afterwards for a range
	 * of several pages (a disk read). */
	uint8_t *p = dma_ptr(&d, 0, 0x8000);
	p[0x1001] = 7;
	dma_written(&d, 0, 0x8000);
	T_EQ(rounds(cpu), 7);
	/* Control: the same write with no report runs the stale decode... */
	*(uint8_t *)memmap_ptr(&mem, 0x1001, 1) = 9;
	T_EQ(rounds(cpu), 7);
	/* ...until it is reported. */
	dma_written(&d, 0x1001, 1);
	T_EQ(rounds(cpu), 9);
	x86_cpu_free(cpu);
	/* The engines: the emulator installs the hook, KVM (the CPU snoops)
	 * does not need one. */
	T_CHECK(engine_emu.ram_written && !engine_kvm.ram_written, "engine hooks");
	memmap_destroy(&mem);
}

int main(void)
{
	T_RUN(test_bounds);
	T_RUN(test_device_write_drops_decoded_code);
	T_EXIT();
}
