/*
 * test_devices.c - devices_attach() wiring, on a vm with a fake engine:
 * every port at its layout.h address, the PIC/PIT/ELCR/PPI only without an
 * in-kernel irqchip, COM1 output to --serial file:PATH and its IRQ 4 (to the
 * router's 8259A, or to the in-kernel irqchip's line),
 * isa-debug-exit and i8042 reset turned into stop requests, the CMOS
 * memory bytes taken from the memory map, the debug console sink, and
 * the PC's fw_cfg items as firmware reads them through the ports, and its
 * DMA into the machine's memory (hostile destinations refused).
 * vm.c's entry points are replaced by recorders here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "devices/devices.h"
#include "irq.h"
#include "layout.h"
#include "t.h"
#include "util.h"
#include "vm.h"

static struct {
	unsigned irq;
	int level, irq_calls;
	enum vm_stop why;
	int status;
	char detail[64];
} rec;

int vm_add_device(struct vm *vm, const char *name, void *dev, const struct device_ops *ops)
{
	return device_add(&vm->devices, name, dev, ops);
}

/* The in-kernel irqchip's input, as the router drives it. */
static int fake_kernel_line(void *opaque, unsigned input, int level)
{
	rec.irq = input;
	rec.level = level;
	rec.irq_calls++;
	return 0;
}

static int fake_kernel_msi(void *opaque, uint64_t addr, uint32_t data)
{
	return 0;
}

void vm_request_stop(struct vm *vm, enum vm_stop why, int status, const char *detail)
{
	rec.why = why;
	rec.status = status;
	snprintf(rec.detail, sizeof(rec.detail), "%s", detail);
}

static bool fake_irqchip;

static bool fake_has_irqchip(struct vm *vm)
{
	return fake_irqchip;
}

static const struct engine fake_engine = {.name = "fake", .has_irqchip = fake_has_irqchip};

static void vm_fake(struct vm *vm, struct vm_config *cfg, bool irqchip)
{
	memset(vm, 0, sizeof(*vm));
	memset(&rec, 0, sizeof(rec));
	fake_irqchip = irqchip;
	vm->cfg = cfg;
	vm->engine = &fake_engine;
	vm->ncpus = cfg->cpus;
	memmap_init(&vm->mem);
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	struct irq_router_ops ops = {0};
	if (irqchip) {
		ops.kernel_line = fake_kernel_line;
		ops.kernel_msi = fake_kernel_msi;
	}
	if (memmap_add_ram(&vm->mem, cfg->mem_bytes) || vclock_create(&vm->clock, VCLOCK_HOST) ||
	    irq_router_create(&vm->irq, cfg->cpus, vm->clock, &ops) ||
	    irq_router_register(vm->irq, &vm->devices))
		abort();
}

static void vm_fake_destroy(struct vm *vm)
{
	devices_detach(vm);
	irq_router_destroy(vm->irq);
	device_destroy_all(&vm->devices);
	vclock_destroy(vm->clock);
	memmap_destroy(&vm->mem);
}

static const char *port_name(struct vm *vm, uint64_t port)
{
	const struct bus_range *r = bus_find(&vm->pio, port);
	return r ? r->name : "(none)";
}

static size_t slurp(const char *path, char *buf, size_t max)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, max);
	if (fd >= 0)
		close(fd);
	return n > 0 ? (size_t)n : 0;
}

static void test_emu_machine(void)
{
	char path[] = "/tmp/ember-test-serial-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	struct vm_config cfg = {
	    .mem_bytes = 256 << 20, .cpus = 2, .serial = SERIAL_FILE, .serial_path = path};
	struct vm vm;
	vm_fake(&vm, &cfg, false);
	T_EQ(devices_attach(&vm), 0);
	T_STREQ(port_name(&vm, 0x20), "pic-master");
	T_STREQ(port_name(&vm, 0x21), "pic-master");
	T_STREQ(port_name(&vm, 0x43), "pit");
	T_STREQ(port_name(&vm, 0x60), "i8042-data");
	T_STREQ(port_name(&vm, 0x61), "ppi");
	T_STREQ(port_name(&vm, 0x64), "i8042-cmd");
	T_STREQ(port_name(&vm, 0x71), "rtc");
	T_STREQ(port_name(&vm, 0x80), "post");
	T_STREQ(port_name(&vm, 0x92), "port92");
	T_STREQ(port_name(&vm, 0xA1), "pic-slave");
	T_STREQ(port_name(&vm, 0xE9), "debugcon");
	T_STREQ(port_name(&vm, 0xF7), "test-exit");
	T_STREQ(port_name(&vm, 0x3FF), "com1");
	T_STREQ(port_name(&vm, 0x402), "seabios-debug");
	T_STREQ(port_name(&vm, 0x4D1), "elcr");
	T_CHECK(irq_pic(vm.irq) && devices_pit(&vm), "emu engine gets ember's PIC and PIT");
	T_CHECK(vm.com1 != NULL, "vm->com1 set");

	/* COM1: output to the file, THRE interrupt on IRQ 4 with OUT2. */
	bus_write(&vm.pio, 0x3F8, 1, 'o');
	bus_write(&vm.pio, 0x3F8, 1, 'k');
	bus_write(&vm.pio, 0x3FC, 1, 0x08);
	bus_write(&vm.pio, 0x3F9, 1, 0x02);
	bus_write(&vm.pio, 0x20, 1, 0x0A); /* OCW3: read IRR */
	T_EQ(bus_read(&vm.pio, 0x20, 1), 1u << LAYOUT_IRQ_COM1);
	char buf[16];
	T_EQ(slurp(path, buf, sizeof(buf)), 2);
	T_CHECK(!memcmp(buf, "ok", 2), "serial file holds what the guest sent");

	/* CMOS: (256 MiB - 16 MiB) / 64 KiB = 0x0F00; 2 CPUs. */
	bus_write(&vm.pio, 0x70, 1, 0x35);
	T_EQ(bus_read(&vm.pio, 0x71, 1), 0x0F);
	bus_write(&vm.pio, 0x70, 1, 0x5F);
	T_EQ(bus_read(&vm.pio, 0x71, 1), 1);

	bus_write(&vm.pio, 0xF4, 1, 0x10);
	T_EQ(rec.why, VM_STOP_TEST_EXIT);
	T_EQ(rec.status, 33);
	bus_write(&vm.pio, 0x64, 1, 0xFE);
	T_EQ(rec.why, VM_STOP_RESET);
	T_STREQ(rec.detail, "i8042 reset");
	vm_fake_destroy(&vm);
	unlink(path);
}

/* fw_cfg through its ports, as SeaBIOS reads it (QEMU's docs/specs/fw_cfg.rst):
 * select a key, then the data port a byte at a time. */
static void cfg_read(struct vm *vm, uint16_t key, void *buf, size_t n)
{
	bus_write(&vm->pio, LAYOUT_PORT_FWCFG, 2, key);
	for (size_t i = 0; i < n; i++)
		((uint8_t *)buf)[i] = (uint8_t)bus_read(&vm->pio, LAYOUT_PORT_FWCFG + 1, 1);
}

static uint64_t cfg_le(struct vm *vm, uint16_t key, unsigned n)
{
	uint8_t b[8] = {0};
	cfg_read(vm, key, b, n);
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* The directory's entry for name: its key and size, or key 0. */
static uint16_t cfg_file(struct vm *vm, const char *name, uint32_t *size)
{
	static uint8_t dir[4 + 64 * 64];
	cfg_read(vm, 0x19, dir, 4);
	uint32_t n = be32(dir);
	if (n > 64)
		return 0;
	cfg_read(vm, 0x19, dir, 4 + 64 * n);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = dir + 4 + 64 * i; /* size, select, reserved, name[56] */
		if (!strncmp((const char *)e + 8, name, 56)) {
			*size = be32(e);
			return (uint16_t)(e[4] << 8 | e[5]);
		}
	}
	return 0;
}

/*
 * The PC's fw_cfg items (devices/fwcfg_pc.c) with the meanings the spec and
 * SeaBIOS give them: signature and ID (DMA bit), RAM size (key 0x03, 64-bit
 * LE), CPU counts (0x05, 0x0F), no graphics (0x04), the boot menu (0x0E) on
 * without --kernel, "etc/sercon-port" = COM1, "etc/e820" 20-byte entries
 * (address, length, type) with RAM exactly where the memory map has it,
 * the ACPI files, and no "bootorder" or loader ROM without --kernel.
 */
static void test_fwcfg_pc(void)
{
	struct vm_config cfg = {.mem_bytes = 256 << 20, .cpus = 2, .serial = SERIAL_NONE};
	struct vm vm;
	vm_fake(&vm, &cfg, false);
	T_EQ(devices_attach(&vm), 0);
	T_STREQ(port_name(&vm, 0x510), "fw_cfg");
	char sig[5] = {0};
	cfg_read(&vm, 0x00, sig, 4);
	T_STREQ(sig, "QEMU");
	T_EQ(cfg_le(&vm, 0x01, 4), 3); /* traditional interface + DMA */
	T_EQ(cfg_le(&vm, 0x03, 8), 256 << 20);
	T_EQ(cfg_le(&vm, 0x05, 2), 2);
	T_EQ(cfg_le(&vm, 0x0F, 2), 2);
	T_EQ(cfg_le(&vm, 0x04, 2), 1);
	T_EQ(cfg_le(&vm, 0x0E, 2), 1);
	uint32_t size = 0;
	uint16_t key = cfg_file(&vm, "etc/sercon-port", &size);
	T_CHECK(key >= 0x20, "etc/sercon-port listed");
	T_EQ(size, 2);
	T_EQ(cfg_le(&vm, key, 2), 0x3F8);
	for (const char *f = "etc/acpi/rsdp\0etc/acpi/tables\0etc/table-loader\0"; *f;
	     f += strlen(f) + 1)
		T_CHECK(cfg_file(&vm, f, &size) >= 0x20 && size > 0, "%s listed, not empty", f);
	T_CHECK(!cfg_file(&vm, "bootorder", &size), "no bootorder without --kernel");
	T_CHECK(!cfg_file(&vm, "genroms/ember-linuxboot.bin", &size), "no loader ROM");
	T_EQ(cfg_le(&vm, 0x08, 4), 0); /* no kernel: a missing key reads zeros */

	key = cfg_file(&vm, "etc/e820", &size);
	T_CHECK(key >= 0x20 && size % 20 == 0 && size / 20 <= 8, "etc/e820: %u bytes", size);
	uint8_t e[160];
	cfg_read(&vm, key, e, size <= sizeof(e) ? size : sizeof(e));
	uint64_t ram = 0, prev_end = 0;
	bool reserved = false;
	for (uint32_t i = 0; i < size / 20 && i < 8; i++) {
		uint64_t a = 0, l = 0;
		for (int b = 7; b >= 0; b--) {
			a = a << 8 | e[20 * i + b];
			l = l << 8 | e[20 * i + 8 + b];
		}
		uint32_t type = e[20 * i + 16] | e[20 * i + 17] << 8;
		T_CHECK(a >= prev_end && l, "entry %u: %#llx+%#llx after %#llx", i,
			(unsigned long long)a, (unsigned long long)l, (unsigned long long)prev_end);
		prev_end = a + l;
		if (type == 1) {
			T_CHECK(memmap_find(&vm.mem, a) && memmap_find(&vm.mem, a + l - 1),
				"RAM entry %u is RAM", i);
			ram += l;
		} else {
			T_EQ(type, 2);
			T_CHECK(!memmap_find(&vm.mem, a), "reserved entry %u is not RAM", i);
			reserved = true;
		}
	}
	T_EQ(ram, memmap_ram_size(&vm.mem)); /* all of RAM, the 640K-1M hole excluded */
	T_CHECK(reserved, "KVM's private pages reserved");

	/* DMA through the PC's own map (fwcfg_pc_map): a select + read of
	 * etc/sercon-port lands in RAM; a destination in the BIOS hole (no
	 * shadow RAM without --bios), in the I/O APIC's MMIO, past RAM's end,
	 * or a length near 4 GiB sets the error bit and writes nothing; a
	 * descriptor outside RAM is ignored. */
	key = cfg_file(&vm, "etc/sercon-port", &size);
	uint8_t *d = memmap_ptr(&vm.mem, 0x1000, 16), *buf = memmap_ptr(&vm.mem, 0x2000, 8);
	static const struct {
		uint32_t len;
		uint64_t addr;
		uint32_t want;
	} dma[] = {
	    {2, 0x2000, 0},		   {2, 0xF0000, 1},	     {2, 0xFEC00000, 1},
	    {8, (256 << 20) - 4, 1},	   {0xFFFFFFFF, 0x2000, 1}, {2, 0x2000, 0},
	};
	for (size_t i = 0; d && buf && i < sizeof(dma) / sizeof(dma[0]); i++) {
		memset(buf, 0xAA, 8);
		uint32_t v[4] = {__builtin_bswap32((uint32_t)key << 16 | 0x08 | 0x02),
				 __builtin_bswap32(dma[i].len),
				 __builtin_bswap32((uint32_t)(dma[i].addr >> 32)),
				 __builtin_bswap32((uint32_t)dma[i].addr)};
		memcpy(d, v, 16);
		bus_write(&vm.pio, LAYOUT_PORT_FWCFG + 4, 4, 0);
		bus_write(&vm.pio, LAYOUT_PORT_FWCFG + 8, 4, __builtin_bswap32(0x1000));
		T_EQ(be32(d), dma[i].want);
		if (dma[i].want)
			T_CHECK(buf[0] == 0xAA, "DMA %zu wrote RAM", i);
		else
			T_CHECK(buf[0] == 0xF8 && buf[1] == 0x03 && buf[2] == 0xAA, "DMA %zu", i);
	}
	bus_write(&vm.pio, LAYOUT_PORT_FWCFG + 4, 4, 0);
	bus_write(&vm.pio, LAYOUT_PORT_FWCFG + 8, 4, __builtin_bswap32(0xFED00000));
	vm_fake_destroy(&vm);
}

static const char *registry_names(struct vm *vm, char *buf, size_t n)
{
	size_t pos = 0;
	buf[0] = 0;
	for (int i = 0; i < vm->devices.n && pos < n; i++)
		pos += snprintf(buf + pos, n - pos, "%s%s", i ? " " : "", vm->devices.dev[i].name);
	return buf;
}

/* The whole machine's devices through the registry: the state one machine
 * saves loads into another and saves back byte for byte; a buffer cut
 * short or for another machine is refused. */
static void test_machine_save_load(void)
{
	struct vm_config cfg = {.mem_bytes = 64 << 20, .cpus = 2, .serial = SERIAL_NONE};
	struct vm a, b;
	vm_fake(&a, &cfg, false);
	T_EQ(devices_attach(&a), 0);
	char names[256];
	T_STREQ(registry_names(&a, names, sizeof(names)),
		"pic ioapic lapic0 lapic1 com1 i8042 rtc post debugcon acpi-pm fw_cfg testdev pit");
	/* Guest-visible state in several devices. */
	bus_write(&a.pio, 0x3FB, 1, 0x03);    /* COM1 LCR: 8N1 */
	bus_write(&a.pio, 0x3FF, 1, 0x5A);    /* COM1 scratch */
	bus_write(&a.pio, 0x20, 1, 0x11);     /* PIC ICW1... */
	bus_write(&a.pio, 0x21, 1, 0x30);     /* ...vector base 0x30 */
	bus_write(&a.pio, 0x43, 1, 0x34);     /* PIT channel 0, mode 2 */
	bus_write(&a.pio, 0x40, 1, 0x00);
	bus_write(&a.pio, 0x40, 1, 0x10);
	bus_write(&a.pio, 0x70, 1, 0x40);     /* CMOS byte 0x40 */
	bus_write(&a.pio, 0x71, 1, 0x77);
	bus_write(&a.pio, 0x80, 1, 0x42);     /* POST code */
	size_t n = device_save_all(&a.devices, NULL, 0);
	uint8_t *sa = malloc(n), *sb = malloc(n);
	T_EQ(device_save_all(&a.devices, sa, n), n);

	vm_fake(&b, &cfg, false);
	T_EQ(devices_attach(&b), 0);
	T_EQ(device_load_all(&b.devices, sa, n - 1), -EINVAL);
	T_EQ(device_load_all(&b.devices, sa, n), 0);
	T_EQ(device_save_all(&b.devices, sb, n), n);
	T_CHECK(!memcmp(sa, sb, n), "the loaded machine saves what was loaded");
	T_EQ(bus_read(&b.pio, 0x3FF, 1), 0x5A);
	T_EQ(bus_read(&b.pio, 0x3FB, 1), 0x03);
	T_EQ(bus_read(&b.pio, 0x80, 1), 0x42);
	bus_write(&b.pio, 0x70, 1, 0x40);
	T_EQ(bus_read(&b.pio, 0x71, 1), 0x77);
	/* Reset: the guest-visible registers go back to power-on values. */
	device_reset_all(&b.devices);
	T_EQ(bus_read(&b.pio, 0x3FF, 1), 0);
	T_EQ(bus_read(&b.pio, 0x80, 1), 0xFF);
	vm_fake_destroy(&b);

	/* Another machine (one CPU: no lapic1) refuses the buffer. */
	struct vm_config one = cfg;
	one.cpus = 1;
	vm_fake(&b, &one, false);
	T_EQ(devices_attach(&b), 0);
	T_EQ(device_load_all(&b.devices, sa, n), -EINVAL);
	vm_fake_destroy(&b);
	vm_fake_destroy(&a);
	free(sa);
	free(sb);
}

static void test_kvm_machine(void)
{
	struct vm_config cfg = {.mem_bytes = 64 << 20, .cpus = 1, .serial = SERIAL_NONE};
	struct vm vm;
	vm_fake(&vm, &cfg, true);
	T_EQ(devices_attach(&vm), 0);
	T_STREQ(port_name(&vm, 0x20), "(none)");
	T_STREQ(port_name(&vm, 0x40), "(none)");
	T_STREQ(port_name(&vm, 0x61), "(none)"); /* KVM_PIT_SPEAKER_DUMMY owns it */
	T_STREQ(port_name(&vm, 0x4D0), "(none)");
	T_STREQ(port_name(&vm, 0x3F8), "com1");
	T_CHECK(!irq_pic(vm.irq) && !devices_pit(&vm), "no PIC/PIT models under an irqchip");
	bus_write(&vm.pio, 0x3F8, 1, 'x'); /* --serial none: dropped quietly */
	bus_write(&vm.pio, 0x3FC, 1, 0x08);
	bus_write(&vm.pio, 0x3F9, 1, 0x02); /* THRE interrupt: IRQ 4 to the kernel */
	T_EQ(rec.irq, LAYOUT_IRQ_COM1);
	T_EQ(rec.level, 1);
	vm_fake_destroy(&vm);
}

static void test_debugcon_sink(void)
{
	char path[] = "/tmp/ember-test-debugcon-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	struct vm_config cfg = {.mem_bytes = 64 << 20, .cpus = 1, .serial = SERIAL_NONE};
	struct vm vm;
	vm_fake(&vm, &cfg, true);
	T_EQ(devices_attach(&vm), 0);
	T_EQ(bus_read(&vm.pio, 0x402, 1), 0xE9);
	bus_write(&vm.pio, 0xE9, 1, 'a'); /* before the sink: kept only */
	char spec[64];
	snprintf(spec, sizeof(spec), "file:%s", path);
	T_EQ(devices_set_debugcon(&vm, spec), 0);
	bus_write(&vm.pio, 0x402, 1, 'b');
	bus_write(&vm.pio, 0xE9, 1, 'c');
	T_EQ(devices_set_debugcon(&vm, "none"), 0);
	bus_write(&vm.pio, 0xE9, 1, 'd');
	char buf[8];
	T_EQ(slurp(path, buf, sizeof(buf)), 2);
	T_CHECK(!memcmp(buf, "bc", 2), "both ports reach the sink");
	T_EQ(devices_set_debugcon(&vm, "tty"), -EINVAL);
	T_CHECK(strstr(ember_last_error(), "--debugcon tty") != NULL, "error names the option: %s",
		ember_last_error());
	vm_fake_destroy(&vm);
	unlink(path);
}

static void test_serial_file_error(void)
{
	struct vm_config cfg = {.mem_bytes = 64 << 20,
				.cpus = 1,
				.serial = SERIAL_FILE,
				.serial_path = "/nonexistent/dir/serial.log"};
	struct vm vm;
	vm_fake(&vm, &cfg, true);
	T_EQ(devices_attach(&vm), -ENOENT);
	T_CHECK(strstr(ember_last_error(), "/nonexistent/dir/serial.log") != NULL,
		"error names the path: %s", ember_last_error());
	vm_fake_destroy(&vm);
}

int main(void)
{
	T_RUN(test_emu_machine);
	T_RUN(test_fwcfg_pc);
	T_RUN(test_machine_save_load);
	T_RUN(test_kvm_machine);
	T_RUN(test_debugcon_sink);
	T_RUN(test_serial_file_error);
	T_EXIT();
}
