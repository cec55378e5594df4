/*
 * devices.c - wires the device models to a vm (see devices.h): their IRQ
 * callbacks to the router's lines (irq.h), their timers to the VM clock, reset and exit requests to vm_request_stop(),
 * the UART to stdout / a file and to the host terminal.  Not a device
 * model; no register semantics live here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/acpipm.h"
#include "devices/debugport.h"
#include "devices/device.h"
#include "devices/devices.h"
#include "devices/fwcfg.h"
#include "devices/fwcfg_pc.h"
#include "devices/i8042.h"
#include "devices/ioapic.h"
#include "devices/pic.h"
#include "devices/pit.h"
#include "devices/testdev.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "clock.h"
#include "irq.h"
#include "layout.h"
#include "pci/board.h"
#include "shadow.h"
#include "term.h"
#include "util.h"
#include "vm.h"

struct devices {
	struct vm *vm;
	struct uart *com1;
	int serial_fd; /* -1: --serial none */
	bool serial_fd_owned;
	struct term *term;
	struct i8042 *kbc;
	struct rtc *rtc;
	struct post *post;
	struct debugcon *debugcon;
	int debugcon_fd; /* -1: kept in memory only */
	bool debugcon_fd_owned;
	struct testexit testexit;
	struct pit *pit;
	struct vtimer *pit_timer, *rtc_timer;
	struct acpipm *acpipm;
	struct vtimer *acpipm_timer;
	struct fwcfg *fwcfg;
	struct testdev *testdev;
	struct irq_line com1_irq, kbc_irq, rtc_irq, pit_irq, sci_irq;
};

DEVICE_OPS(acpipm);

/* What feeds the models from outside (the terminal's input thread, the
 * timers) stops here; the models themselves are the registry's. */
void devices_detach(struct vm *vm)
{
	struct devices *d = vm->board;
	if (!d)
		return;
	term_stop(d->term); /* first: the input thread feeds the UART */
	pci_board_destroy(vm); /* the virtio devices' threads raise lines */
	if (vm->com1 == d->com1)
		vm->com1 = NULL;
	vtimer_free(d->rtc_timer); /* a firing timer calls its device */
	vtimer_free(d->pit_timer);
	vtimer_free(d->acpipm_timer);
	if (d->serial_fd_owned)
		close(d->serial_fd);
	if (d->debugcon_fd_owned)
		close(d->debugcon_fd);
	free(d);
	vm->board = NULL;
}

static struct devices *devices_of(struct vm *vm)
{
	return vm->board;
}

struct pit *devices_pit(struct vm *vm)
{
	struct devices *d = devices_of(vm);
	return d ? d->pit : NULL;
}

struct post *devices_post(struct vm *vm)
{
	struct devices *d = devices_of(vm);
	return d ? d->post : NULL;
}

struct debugcon *devices_debugcon(struct vm *vm)
{
	struct devices *d = devices_of(vm);
	return d ? d->debugcon : NULL;
}

/* Output is best effort: a closed stdout must not stop the guest. */
static void devices_write_fd(int fd, const uint8_t *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= w;
	}
}

static void com1_irq(void *opaque, int level)
{
	struct devices *d = opaque;
	irq_line_set(&d->com1_irq, level);
}

static void com1_tx(void *opaque, const uint8_t *buf, size_t n)
{
	struct devices *d = opaque;
	if (d->serial_fd >= 0)
		devices_write_fd(d->serial_fd, buf, n);
}

static void com1_rx_room(void *opaque)
{
	struct devices *d = opaque;
	if (d->term)
		term_kick(d->term);
}

static size_t console_input(void *opaque, const uint8_t *buf, size_t n)
{
	struct devices *d = opaque;
	return uart_receive(d->com1, buf, n);
}

static void console_quit(void *opaque)
{
	struct devices *d = opaque;
	vm_request_stop(d->vm, VM_STOP_USER, EXIT_OK, "Ctrl-A X");
}

static bool console_break(void *opaque)
{
	struct devices *d = opaque;
	return uart_break(d->com1);
}

static void kbc_irq(void *opaque, int level)
{
	struct devices *d = opaque;
	irq_line_set(&d->kbc_irq, level);
}

static void kbc_reset(void *opaque, const char *why)
{
	struct devices *d = opaque;
	vm_request_stop(d->vm, VM_STOP_RESET, EXIT_OK, why);
}

/* The gate drives the emulator's A20M# (shadow.h); KVM has no such input,
 * so under KVM the gate stays open whatever the guest writes. */
static void kbc_a20(void *opaque, bool on)
{
	struct devices *d = opaque;
	shadow_set_a20(&d->vm->mem, on);
}

static void rtc_irq(void *opaque, int level)
{
	struct devices *d = opaque;
	irq_line_set(&d->rtc_irq, level);
}

/* The RTC keeps wall time: the guest's, from the VM clock. */
static int64_t rtc_wall(void *opaque)
{
	struct devices *d = opaque;
	return vclock_wall_ns(d->vm->clock);
}

static void rtc_timer_arm(void *opaque, int64_t wall_ns)
{
	struct devices *d = opaque;
	struct vclock *c = d->vm->clock;
	if (wall_ns == INT64_MAX) {
		vtimer_disarm(d->rtc_timer);
		return;
	}
	int64_t guest = wall_ns - (vclock_wall_ns(c) - (int64_t)vclock_now(c));
	vtimer_arm(d->rtc_timer, guest < 0 ? 0 : (uint64_t)guest);
}

static void rtc_fire(void *opaque)
{
	struct devices *d = opaque;
	rtc_poll(d->rtc);
}

static void pit_irq(void *opaque, int level)
{
	struct devices *d = opaque;
	irq_line_set(&d->pit_irq, level);
}

static uint64_t pit_now(void *opaque)
{
	struct devices *d = opaque;
	return vclock_now(d->vm->clock);
}

static void pit_timer_arm(void *opaque, uint64_t deadline_ns)
{
	struct devices *d = opaque;
	vtimer_arm(d->pit_timer, deadline_ns);
}

static void pit_fire(void *opaque)
{
	struct devices *d = opaque;
	pit_update(d->pit, vclock_now(d->vm->clock));
}

static void acpipm_sci(void *opaque, int level)
{
	struct devices *d = opaque;
	irq_line_set(&d->sci_irq, level);
}

static void acpipm_poweroff(void *opaque)
{
	struct devices *d = opaque;
	vm_request_stop(d->vm, VM_STOP_POWEROFF, EXIT_OK, "ACPI S5");
}

static void acpipm_reset_req(void *opaque)
{
	struct devices *d = opaque;
	vm_request_stop(d->vm, VM_STOP_RESET, EXIT_OK, "ACPI reset register");
}

static uint64_t acpipm_now(void *opaque)
{
	struct devices *d = opaque;
	return vclock_now(d->vm->clock);
}

static void acpipm_timer_arm(void *opaque, uint64_t deadline_ns)
{
	struct devices *d = opaque;
	vtimer_arm(d->acpipm_timer, deadline_ns);
}

static void acpipm_fire(void *opaque)
{
	struct devices *d = opaque;
	acpipm_timer_expired(d->acpipm);
}

static void testexit_stop(void *opaque, uint32_t status)
{
	struct devices *d = opaque;
	vm_request_stop(d->vm, VM_STOP_TEST_EXIT, status, "test-exit device");
}

static void testdev_irq(void *opaque, unsigned line, int level)
{
	struct devices *d = opaque;
	irq_set(d->vm->irq, line, level);
}

static void testdev_flush(void *opaque, uint64_t gpa)
{
	struct devices *d = opaque;
	if (d->vm->engine->ram_written)
		d->vm->engine->ram_written(d->vm, gpa, 4096);
}

static void debugcon_out(void *opaque, const uint8_t *buf, size_t n)
{
	struct devices *d = opaque;
	devices_write_fd(d->debugcon_fd, buf, n);
}

static int devices_open_output(const char *what, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return ember_error(-errno, "%s: %s: %s", what, path, strerror(errno));
	return fd;
}

int devices_set_debugcon(struct vm *vm, const char *spec)
{
	struct devices *d = devices_of(vm);
	int fd = -1;
	if (!d)
		return ember_error(-EINVAL, "internal: --debugcon before the devices exist");
	if (!strcmp(spec, "stderr")) {
		fd = STDERR_FILENO;
	} else if (!strcmp(spec, "stdout")) {
		fd = STDOUT_FILENO;
	} else if (!strncmp(spec, "file:", 5) && spec[5]) {
		fd = devices_open_output("--debugcon file", spec + 5);
		if (fd < 0)
			return fd;
	} else if (strcmp(spec, "none")) {
		return ember_error(
		    -EINVAL, "--debugcon %s: must be none, stderr, stdout or file:PATH", spec);
	}
	debugcon_set_sink(d->debugcon, NULL, NULL);
	if (d->debugcon_fd_owned)
		close(d->debugcon_fd);
	d->debugcon_fd = fd;
	d->debugcon_fd_owned = fd > STDERR_FILENO;
	if (fd >= 0)
		debugcon_set_sink(d->debugcon, debugcon_out, d);
	return 0;
}

static uint64_t devices_ioapic_read(void *opaque, uint64_t off, unsigned size)
{
	return ioapic_mmio_read(opaque, off, size);
}

static void devices_ioapic_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	ioapic_mmio_write(opaque, off, size, val);
}

static const struct bus_ops devices_ioapic_ops = {.read = devices_ioapic_read,
						  .write = devices_ioapic_write};

struct devices_port {
	const char *name;
	uint16_t base, len;
	const struct bus_ops *ops;
	void *opaque;
};

static int devices_ports(struct vm *vm, const struct devices_port *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = bus_add(&vm->pio, p[i].name, p[i].base, p[i].len, p[i].ops, p[i].opaque);
		if (r < 0)
			return ember_error(r, "internal: port %#x (%s) cannot be registered",
					   p[i].base, p[i].name);
	}
	return 0;
}

static int devices_serial(struct devices *d)
{
	const struct vm_config *cfg = d->vm->cfg;
	switch (cfg->serial) {
	case SERIAL_NONE:
		return 0;
	case SERIAL_FILE: {
		int fd = devices_open_output("--serial file", cfg->serial_path);
		if (fd < 0)
			return fd;
		d->serial_fd = fd;
		d->serial_fd_owned = true;
		return 0;
	}
	case SERIAL_STDIO:
		break;
	}
	d->serial_fd = STDOUT_FILENO;
	static const struct term_ops console_ops = {
	    .input = console_input, .quit = console_quit, .brk = console_break};
	return term_start(&d->term, STDIN_FILENO, STDOUT_FILENO, &console_ops, d);
}

static int devices_nomem(const char *what)
{
	return ember_error(-ENOMEM, "devices: out of memory creating the %s", what);
}

static int devices_add(struct vm *vm, const char *name, void *dev, const struct device_ops *ops)
{
	if (!dev)
		return devices_nomem(name);
	int r = vm_add_device(vm, name, dev, ops);
	if (r < 0)
		ops->destroy(dev);
	return r;
}

int devices_attach(struct vm *vm)
{
	struct devices *d = calloc(1, sizeof(*d));
	if (!d)
		return devices_nomem("device list");
	d->vm = vm;
	d->serial_fd = d->debugcon_fd = -1;
	d->com1_irq = (struct irq_line){vm->irq, LAYOUT_IRQ_COM1};
	d->kbc_irq = (struct irq_line){vm->irq, LAYOUT_IRQ_I8042};
	d->rtc_irq = (struct irq_line){vm->irq, LAYOUT_IRQ_RTC};
	d->pit_irq = (struct irq_line){vm->irq, LAYOUT_IRQ_PIT};
	d->sci_irq = (struct irq_line){vm->irq, LAYOUT_IRQ_SCI};
	vm->board = d;
	int r;

	static const struct uart_ops com1_ops = {
	    .irq = com1_irq, .tx = com1_tx, .rx_room = com1_rx_room};
	static const struct i8042_ops kbc_ops = {
	    .irq = kbc_irq, .reset = kbc_reset, .a20 = kbc_a20};
	static const struct rtc_ops rtc_ops = {
	    .irq = rtc_irq, .now = rtc_wall, .timer_arm = rtc_timer_arm};
	static const struct pit_ops pit_ops = {
	    .irq = pit_irq, .now = pit_now, .timer_arm = pit_timer_arm};
	d->rtc_timer = vtimer_new(vm->clock, rtc_fire, d);
	d->pit_timer = vtimer_new(vm->clock, pit_fire, d);
	d->acpipm_timer = vtimer_new(vm->clock, acpipm_fire, d);
	if (!d->rtc_timer || !d->pit_timer || !d->acpipm_timer)
		return devices_nomem("timers");
	static const struct testdev_ops testdev_ops = {.irq = testdev_irq, .flush = testdev_flush};
	static const struct acpipm_ops acpipm_ops = {.sci = acpipm_sci,
						     .poweroff = acpipm_poweroff,
						     .reset = acpipm_reset_req,
						     .now_ns = acpipm_now,
						     .timer_arm = acpipm_timer_arm};
	/* Each model joins the VM's registry as soon as it exists. */
	if ((r = devices_add(vm, "com1", d->com1 = uart_create(&com1_ops, d), &uart_device_ops)) ||
	    (r = devices_add(vm, "i8042", d->kbc = i8042_create(&kbc_ops, d), &i8042_device_ops)) ||
	    (r = devices_add(vm, "rtc", d->rtc = rtc_create(&rtc_ops, d), &rtc_device_ops)) ||
	    (r = devices_add(vm, "post",
			     d->post = post_create(NULL, NULL, vm->t_start ? vm->t_start : now_ns()),
			     &post_device_ops)) ||
	    (r = devices_add(vm, "debugcon", d->debugcon = debugcon_create(),
			     &debugcon_device_ops)) ||
	    (r = devices_add(vm, "acpi-pm", d->acpipm = acpipm_create(&acpipm_ops, d),
			     &acpipm_device_ops)) ||
	    (r = devices_add(vm, "fw_cfg", d->fwcfg = fwcfg_create(&fwcfg_pc_ops, vm),
			     &fwcfg_device_ops)) ||
	    (r = devices_add(vm, "testdev", d->testdev = testdev_create(&testdev_ops, d),
			     &testdev_device_ops)) ||
	    (r = fwcfg_pc_fill(d->fwcfg, vm)))
		return r;
	d->testexit = (struct testexit){.exit = testexit_stop, .opaque = d};
	uint64_t low = memmap_low_ram_end(&vm->mem);
	rtc_set_memory(d->rtc, low, memmap_ram_size(&vm->mem) - low, vm->ncpus);

	const struct devices_port ports[] = {
	    {"i8042-data", LAYOUT_PORT_I8042_DATA, 1, &i8042_data_ops, d->kbc},
	    {"i8042-cmd", LAYOUT_PORT_I8042_CMD, 1, &i8042_cmd_ops, d->kbc},
	    {"rtc", LAYOUT_PORT_RTC, 2, &rtc_bus_ops, d->rtc},
	    {"post", LAYOUT_PORT_POST, 1, &post_bus_ops, d->post},
	    {"port92", LAYOUT_PORT_A20, 1, &i8042_port92_ops, d->kbc},
	    {"debugcon", LAYOUT_PORT_DEBUGCON, 1, &debugcon_bus_ops, d->debugcon},
	    {"seabios-debug", LAYOUT_PORT_SEABIOS_DEBUG, 1, &debugcon_bus_ops, d->debugcon},
	    {"test-exit", LAYOUT_PORT_TEST_EXIT, LAYOUT_PORT_TEST_EXIT_SIZE, &testexit_bus_ops,
	     &d->testexit},
	    {"com1", LAYOUT_PORT_COM1, UART_NPORTS, &uart_bus_ops, d->com1},
	    {"acpi-pm", LAYOUT_PORT_ACPI_PM, LAYOUT_PORT_ACPI_PM_SIZE, &acpipm_bus_ops, d->acpipm},
	    {"reset", LAYOUT_PORT_RESET, 1, &acpipm_reset_ops, d->acpipm},
	    {"fw_cfg", LAYOUT_PORT_FWCFG, FWCFG_PORT_COUNT, &fwcfg_bus_ops, d->fwcfg},
	    {"testdev", LAYOUT_PORT_TESTDEV, 4, &testdev_reg_ops, d->testdev},
	    {"testdev-flush", LAYOUT_PORT_TESTDEV_FLUSH, 4, &testdev_flush_ops, d->testdev},
	    {"testdev-irq", LAYOUT_PORT_TESTDEV_IRQ, TESTDEV_IRQ_LINES, &testdev_irq_ops,
	     d->testdev},
	};
	r = devices_ports(vm, ports, ARRAY_SIZE(ports));
	if (r < 0)
		return r;
	/* A firmware of 16 MiB reaches down to it: the ROM wins then. */
	if (!memmap_find(&vm->mem, LAYOUT_TESTDEV_IOMEM)) {
		r = bus_add(&vm->mmio, "testdev-iomem", LAYOUT_TESTDEV_IOMEM, TESTDEV_IOMEM_SIZE,
			    &testdev_iomem_ops, d->testdev);
		if (r < 0)
			return ember_error(r, "internal: pc-testdev's MMIO cannot be registered");
	}

	struct pic *pic = irq_pic(vm->irq);
	if (pic) {
		r = devices_add(vm, "pit", d->pit = pit_create(&pit_ops, d), &pit_device_ops);
		if (r < 0)
			return r;
		const struct devices_port emu_ports[] = {
		    {"pic-master", LAYOUT_PORT_PIC_MASTER, 2, &pic_master_ops, pic},
		    {"pic-slave", LAYOUT_PORT_PIC_SLAVE, 2, &pic_slave_ops, pic},
		    {"elcr", LAYOUT_PORT_ELCR, 2, &pic_elcr_ops, pic},
		    {"pit", LAYOUT_PORT_PIT, 4, &pit_bus_ops, d->pit},
		    {"ppi", LAYOUT_PORT_PPI, 1, &pit_ppi_ops, d->pit},
		};
		r = devices_ports(vm, emu_ports, ARRAY_SIZE(emu_ports));
		if (r < 0)
			return r;
		r = bus_add(&vm->mmio, "ioapic", LAYOUT_IOAPIC_BASE, LAYOUT_IOAPIC_SIZE,
			    &devices_ioapic_ops, irq_ioapic(vm->irq));
		if (r < 0)
			return ember_error(r, "internal: the IOAPIC's MMIO cannot be registered");
	}

	/* PCI bus 0: the chipset, virtio-rng (pci/board.h). */
	r = pci_board_create(vm);
	if (r < 0)
		return r;

	vm->com1 = d->com1;
	/* Last: once the terminal is raw, nothing above can fail any more. */
	return devices_serial(d);
}
