/*
 * vm.c - builds the machine in one explicit order and runs it: the memory
 * map, the boot image, the engine, the devices, the vCPUs; then one thread
 * per vCPU around the one exit switch (vm_vcpu_loop).  Not the engines'
 * internals (kvm/, emu/) and not the devices (devices/).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boot/boot.h"
#include "devices/devices.h"
#include "irq.h"
#include "layout.h"
#include "trace/hostkvm.h"
#include "trace/timeline.h"
#include "trace/trace.h"
#include "util.h"
#include "vm.h"
#include "x86/x86.h"

/* Observability is wanted when any of its options is given. */
static bool vm_observed(const struct vm_config *cfg)
{
	return cfg->stats || cfg->stats_json || cfg->trace_mask || cfg->trace_first ||
	       cfg->timeline;
}

static int vm_trace_create(struct vm *vm, const struct vm_config *cfg)
{
	vm->trace = calloc(1, sizeof(*vm->trace));
	if (!vm->trace)
		return ember_error(-ENOMEM, "trace: out of memory");
	int r = trace_create(vm->trace, vm, cfg->trace_mask, cfg->trace_path, cfg->trace_syntax);
	if (r < 0)
		return r;
	vm->trace->first_n = cfg->trace_first;
	if (cfg->timeline)
		return timeline_open(&vm->trace->tl, cfg->timeline, vm->trace->t0);
	return 0;
}

static double process_cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- the interrupt router's view of the machine ---- */

static void vm_irq_kick(void *opaque, int cpu)
{
	struct vm *vm = opaque;
	if (cpu >= 0 && cpu < vm->ncpus && vm->vcpus[cpu].engine_data)
		vm->engine->kick(&vm->vcpus[cpu]);
}

static int vm_irq_kernel_line(void *opaque, unsigned input, int level)
{
	struct vm *vm = opaque;
	return vm->engine->irq_line(vm, input, level);
}

static int vm_irq_kernel_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct vm *vm = opaque;
	return vm->engine->irq_msi(vm, addr, data);
}

/* A lost interrupt would hang the guest silently: stop and say why. */
static void vm_irq_error(void *opaque, const char *what, int err)
{
	struct vm *vm = opaque;
	char msg[128];
	snprintf(msg, sizeof(msg), "%s: the in-kernel irqchip refused it: %s", what, strerror(-err));
	if (!vm_stopping(vm))
		fprintf(stderr, "ember: %s\n", msg);
	vm_request_stop(vm, VM_STOP_HOST_ERROR, EXIT_HOST_ERROR, msg);
}

static int vm_irq_create(struct vm *vm)
{
	struct irq_router_ops ops = {.opaque = vm, .kick = vm_irq_kick, .error = vm_irq_error};
	if (vm->engine->has_irqchip(vm)) {
		ops.kernel_line = vm_irq_kernel_line;
		ops.kernel_msi = vm_irq_kernel_msi;
	}
	int r = irq_router_create(&vm->irq, vm->ncpus, vm->clock, &ops);
	if (r < 0)
		return ember_error(r, "interrupt router: %s", strerror(-r));
	if (irq_router_register(vm->irq, &vm->devices) < 0)
		return ember_error(-ENOSPC, "internal: too many devices (interrupt controllers)");
	return 0;
}

int vm_create(struct vm *vm, const struct vm_config *cfg, const struct engine *engine)
{
	int r;
	memset(vm, 0, sizeof(*vm));
	vm->t_start = now_ns();
	vm->cfg = cfg;
	vm->engine = engine;
	vm->ncpus = cfg->cpus;
	pthread_mutex_init(&vm->stop_lock, NULL);
	pthread_cond_init(&vm->stop_cond, NULL);
	pthread_mutex_init(&vm->idle_lock, NULL);
	pthread_cond_init(&vm->idle_cond, NULL);
	memmap_init(&vm->mem);
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	r = vclock_create(&vm->clock, cfg->clock);
	if (r < 0)
		return ember_error(r, "clock: %s", strerror(-r));
	if (TRACE_COMPILED && vm_observed(cfg)) {
		r = vm_trace_create(vm, cfg);
		if (r < 0)
			return r;
	}

	/* 1. RAM, 2. what the guest runs first (may add ROM regions). */
	r = memmap_add_ram(&vm->mem, cfg->mem_bytes);
	if (r < 0)
		return ember_error(r, "--mem: cannot allocate %" PRIu64 " MiB of guest RAM: %s",
				   cfg->mem_bytes >> 20, strerror(-r));
	struct boot_request req = {
		.kernel = cfg->kernel,
		.initrd = cfg->initrd,
		.cmdline = cfg->append,
		.bios = cfg->bios,
		.cpus = cfg->cpus,
	};
	r = boot_setup(&vm->mem, &req, &vm->boot_state);
	if (r < 0)
		return r;
	/* 3. The engine sees the final memory map. */
	r = engine->create(vm);
	if (r < 0)
		return r;
	/* 4. Interrupt routing (ember's controllers, or the kernel's), then
	 * the devices that drive its lines. */
	r = vm_irq_create(vm);
	if (r < 0)
		return r;
	r = devices_attach(vm);
	if (r < 0)
		return r;
	if (cfg->debugcon) {
		r = devices_set_debugcon(vm, cfg->debugcon);
		if (r < 0)
			return r;
	}
	/* 5. vCPUs: the BSP gets the loader's state; KVM keeps APs waiting
	 * for INIT/SIPI, as on hardware. */
	for (int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		v->vm = vm;
		v->id = i;
		r = engine->vcpu_create(v);
		if (r < 0)
			return r;
	}
	return engine->set_state(&vm->vcpus[0], &vm->boot_state);
}

int vm_add_device(struct vm *vm, const char *name, void *dev, const struct device_ops *ops)
{
	if (device_add(&vm->devices, name, dev, ops) < 0)
		return ember_error(-ENOSPC, "internal: too many devices (%s)", name);
	return 0;
}

bool vm_stopping(const struct vm *vm)
{
	return __atomic_load_n(&vm->stop, __ATOMIC_ACQUIRE) != VM_RUNNING;
}

void vm_request_stop(struct vm *vm, enum vm_stop why, int status, const char *detail)
{
	pthread_mutex_lock(&vm->stop_lock);
	if (vm->stop == VM_RUNNING) {
		vm->stop_status = status;
		vm->t_stop = now_ns();
		snprintf(vm->stop_detail, sizeof(vm->stop_detail), "%s", detail ? detail : "");
		__atomic_store_n(&vm->stop, why, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&vm->stop_cond);
	}
	pthread_mutex_unlock(&vm->stop_lock);
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].engine_data)
			vm->engine->kick(&vm->vcpus[i]);
}

static const char *const vm_exit_names[VMEXIT_NR] = {
	[VMEXIT_NONE] = "none",
	[VMEXIT_IO] = "io",
	[VMEXIT_MMIO] = "mmio",
	[VMEXIT_HLT] = "hlt",
	[VMEXIT_SHUTDOWN] = "shutdown",
	[VMEXIT_INTERNAL_ERROR] = "internal-error",
	[VMEXIT_FAIL_ENTRY] = "fail-entry",
	[VMEXIT_SYSTEM_EVENT] = "system-event",
	[VMEXIT_DEBUG] = "debug",
	[VMEXIT_UNKNOWN] = "unknown",
};

const char *vm_exit_name(enum vm_exit_reason r)
{
	return r < VMEXIT_NR && vm_exit_names[r] ? vm_exit_names[r] : "?";
}

/* Registers and the bytes at RIP, for a guest crash or an engine failure. */
void vm_dump_vcpu(struct vcpu *v, FILE *f)
{
	struct x86_state s;
	if (v->vm->engine->get_state(v, &s) < 0) {
		fprintf(f, "  (vCPU %d state unavailable)\n", v->id);
		return;
	}
	static const char *const names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp",
					       "rsi", "rdi", "r8",  "r9",  "r10", "r11",
					       "r12", "r13", "r14", "r15" };
	fprintf(f, "  vCPU %d registers:\n", v->id);
	for (int i = 0; i < 16; i += 4)
		fprintf(f, "   %-3s %016" PRIx64 "  %-3s %016" PRIx64 "  %-3s %016" PRIx64
			   "  %-3s %016" PRIx64 "\n",
			names[i], s.gpr[i], names[i + 1], s.gpr[i + 1], names[i + 2], s.gpr[i + 2],
			names[i + 3], s.gpr[i + 3]);
	fprintf(f, "   rip %016" PRIx64 "  rflags %08" PRIx64 "\n", s.rip, s.rflags);
	static const char *const sn[X86_NR_SEGS] = { "es", "cs", "ss", "ds", "fs", "gs", "ldt", "tr" };
	for (int i = 0; i < X86_NR_SEGS; i++)
		fprintf(f, "   %-3s sel %04x base %016" PRIx64 " limit %08x type %x s%d dpl%d p%d "
			   "l%d db%d g%d\n",
			sn[i], s.seg[i].sel, s.seg[i].base, s.seg[i].limit, s.seg[i].type, s.seg[i].s,
			s.seg[i].dpl, s.seg[i].present, s.seg[i].l, s.seg[i].db, s.seg[i].g);
	fprintf(f, "   gdt %016" PRIx64 "/%04x  idt %016" PRIx64 "/%04x\n", s.gdt.base,
		s.gdt.limit, s.idt.base, s.idt.limit);
	fprintf(f, "   cr0 %016" PRIx64 "  cr2 %016" PRIx64 "  cr3 %016" PRIx64 "\n", s.cr0, s.cr2,
		s.cr3);
	fprintf(f, "   cr4 %016" PRIx64 "  cr8 %016" PRIx64 "  efer %016" PRIx64 "\n", s.cr4, s.cr8,
		s.efer);
	uint64_t linear = s.seg[X86_CS].base + s.rip, gpa;
	if (!(s.efer & X86_EFER_LMA) || !s.seg[X86_CS].l)
		linear &= 0xFFFFFFFFULL;
	if (v->vm->engine->translate(v, linear, &gpa) < 0) {
		fprintf(f, "   code at linear %#" PRIx64 ": not mapped\n", linear);
		return;
	}
	uint8_t bytes[16];
	int n = 0;
	for (; n < 16; n++) {
		const uint8_t *p = memmap_ptr(&v->vm->mem, gpa + n, 1);
		if (!p)
			break;
		bytes[n] = *p;
	}
	fprintf(f, "   code at linear %#" PRIx64 " (physical %#" PRIx64 "):", linear, gpa);
	for (int i = 0; i < n; i++)
		fprintf(f, " %02x", bytes[i]);
	fprintf(f, n ? "\n" : " not RAM\n");
	int bits = (s.efer & X86_EFER_LMA) && s.seg[X86_CS].l ? 64 : s.seg[X86_CS].db ? 32 : 16;
	char text[96];
	if (n && x86_format(bytes, n, bits, s.rip, text, sizeof(text)) > 0)
		fprintf(f, "   instruction: %s (%d-bit)\n", text, bits);
}

static void vm_io(struct vm *vm, struct vm_exit *e)
{
	uint8_t *d = e->io.data;
	for (uint32_t i = 0; i < e->io.count; i++, d += e->io.size) {
		if (e->io.is_write) {
			uint32_t v = 0;
			memcpy(&v, d, e->io.size);
			bus_write(&vm->pio, e->io.port, e->io.size, v);
		} else {
			uint32_t v = bus_read(&vm->pio, e->io.port, e->io.size);
			memcpy(d, &v, e->io.size);
		}
	}
}

static void vm_mmio(struct vm *vm, struct vm_exit *e)
{
	/* A write to ROM (KVM_MEM_READONLY) also lands here: dropped, counted. */
	if (e->mmio.is_write) {
		uint64_t v = 0;
		memcpy(&v, e->mmio.data, e->mmio.size > 8 ? 8 : e->mmio.size);
		bus_write(&vm->mmio, e->mmio.gpa, e->mmio.size, v);
	} else {
		uint64_t v = bus_read(&vm->mmio, e->mmio.gpa, e->mmio.size);
		memcpy(e->mmio.data, &v, e->mmio.size > 8 ? 8 : e->mmio.size);
	}
}

static void vm_fatal(struct vcpu *v, enum vm_stop why, const char *what)
{
	if (vm_stopping(v->vm))
		return;
	fprintf(stderr, "ember: guest stopped: %s\n", what);
	vm_dump_vcpu(v, stderr);
	vm_request_stop(v->vm, why, why == VM_STOP_GUEST_CRASH ? EXIT_GUEST_CRASH : EXIT_INTERNAL_ERROR,
			what);
}

/* Timeline milestones and the first mode span as the BSP starts. */
static void vm_trace_start(struct vm *vm, struct trace *t)
{
	if (!t->tl)
		return;
	pthread_mutex_lock(&t->lock);
	timeline_instant(t->tl, vm->t_start, "milestone", "ember started", NULL);
	timeline_instant(t->tl, vm->t_first_run, "milestone", "first guest instruction", NULL);
	timeline_mode(t->tl, vm->t_first_run, x86_state_mode(&vm->boot_state));
	pthread_mutex_unlock(&t->lock);
}

/* Observe one exit: host tracepoint records since the last one, the exit
 * event, the timeline's exit counters.  Reads e only. */
static void vm_trace_exit(struct vcpu *v, struct trace *t, const struct vm_exit *e, uint64_t ts)
{
	if (v->hostkvm)
		hostkvm_drain(v->hostkvm);
	if (t->tl) {
		pthread_mutex_lock(&t->lock);
		timeline_exit(t->tl, ts, e->reason);
		pthread_mutex_unlock(&t->lock);
	}
	if (!trace_on(t, TRACE_EXIT))
		return;
	char key[48];
	snprintf(key, sizeof(key), "exit %s", vm_exit_name(e->reason));
	switch (e->reason) {
	case VMEXIT_IO:
		trace_emit(t, TRACE_EXIT, ts, key, "vcpu %d port %#x %s size %u count %u", v->id,
			   e->io.port, e->io.is_write ? "out" : "in", e->io.size, e->io.count);
		break;
	case VMEXIT_MMIO:
		trace_emit(t, TRACE_EXIT, ts, key, "vcpu %d gpa %#" PRIx64 " %s size %u", v->id,
			   e->mmio.gpa, e->mmio.is_write ? "write" : "read", e->mmio.size);
		break;
	case VMEXIT_SHUTDOWN:
	case VMEXIT_INTERNAL_ERROR:
	case VMEXIT_FAIL_ENTRY:
	case VMEXIT_UNKNOWN:
		trace_emit(t, TRACE_EXIT, ts, key, "vcpu %d %s", v->id, e->fail.what);
		break;
	default:
		trace_emit(t, TRACE_EXIT, ts, key, "vcpu %d", v->id);
		break;
	}
}

/* Before a thread first runs vCPU v. */
static void vm_vcpu_begin(struct vcpu *v)
{
	struct vm *vm = v->vm;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct trace *t = vm->trace;
	if (t && vm->engine == &engine_kvm)
		v->hostkvm = hostkvm_open(v, t);
	if (v->id == 0) {
		vm->t_first_run = now_ns();
		vm->cpu_ms_first_run = process_cpu_ms();
		if (t)
			vm_trace_start(vm, t);
	}
}

/* One engine->run and the one exit switch, shared by both engines.
 * Returns the exit reason, or -1 when the machine must stop. */
static int vm_vcpu_step(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct trace *t = vm->trace;
	struct vm_exit e;
	uint64_t t_exit = 0, t_run = 0;
	if (TRACE_COMPILED)
		t_run = now_ns();
	int r = vm->engine->run(v, &e);
	if (r < 0) {
		fprintf(stderr, "ember: %s\n", ember_last_error());
		vm_request_stop(vm, VM_STOP_HOST_ERROR, EXIT_HOST_ERROR, ember_last_error());
		return -1;
	}
	v->exits[e.reason]++;
	if (TRACE_COMPILED) {
		t_exit = now_ns();
		v->run_ns += t_exit - t_run;
		if (t)
			vm_trace_exit(v, t, &e, t_exit);
	}
	switch (e.reason) {
	case VMEXIT_NONE:
		break;
	case VMEXIT_IO:
		vm_io(vm, &e);
		break;
	case VMEXIT_MMIO:
		vm_mmio(vm, &e);
		break;
	case VMEXIT_HLT:
		/* Only on the round-robin thread (vm_round_robin): the vCPU has
		 * nothing to run.  Otherwise both engines wait in HLT
		 * themselves (KVM's irqchip, the emulator on its clock). */
		if (!vm_one_thread(vm))
			vm_fatal(v, VM_STOP_INTERNAL_ERROR, "the engine returned a HLT exit");
		break;
	case VMEXIT_SHUTDOWN:
		vm_fatal(v, VM_STOP_GUEST_CRASH, e.fail.what[0] ? e.fail.what : "triple fault");
		break;
	case VMEXIT_INTERNAL_ERROR:
	case VMEXIT_FAIL_ENTRY:
	case VMEXIT_UNKNOWN:
		vm_fatal(v, VM_STOP_INTERNAL_ERROR, e.fail.what);
		break;
	case VMEXIT_SYSTEM_EVENT:
		vm_request_stop(vm, VM_STOP_RESET, EXIT_OK, "system event");
		break;
	case VMEXIT_DEBUG:
	case VMEXIT_NR:
		break;
	}
	if (TRACE_COMPILED)
		v->exit_ns[e.reason] += now_ns() - t_exit;
	return e.reason;
}

static void vm_vcpu_end(struct vcpu *v)
{
	if (v->hostkvm)
		hostkvm_drain(v->hostkvm);
}

/* One thread per vCPU. */
static void *vm_vcpu_loop(void *arg)
{
	struct vcpu *v = arg;
	vm_vcpu_begin(v);
	while (!vm_stopping(v->vm) && vm_vcpu_step(v) >= 0)
		;
	vm_vcpu_end(v);
	return NULL;
}

/*
 * --clock virtual with several vCPUs: one thread runs them in turn, each
 * for a slice the engine ends at the next deadline, so the interleaving
 * (and with it every result) is a function of the input alone.  When a
 * whole round found every vCPU halted, time jumps to the next deadline, or
 * with no timer armed the thread sleeps until a kick (input, a stop).
 */
static void *vm_round_robin(void *arg)
{
	struct vm *vm = arg;
	for (int i = 0; i < vm->ncpus; i++)
		vm_vcpu_begin(&vm->vcpus[i]);
	while (!vm_stopping(vm)) {
		bool idle = true;
		for (int i = 0; i < vm->ncpus && !vm_stopping(vm); i++) {
			int r = vm_vcpu_step(&vm->vcpus[i]);
			if (r < 0)
				break;
			idle &= r == VMEXIT_HLT;
		}
		if (!idle || vm_stopping(vm) || vclock_skip_to_next(vm->clock))
			continue;
		pthread_mutex_lock(&vm->idle_lock);
		while (!vm->idle_kicked && !vm_stopping(vm))
			pthread_cond_wait(&vm->idle_cond, &vm->idle_lock);
		vm->idle_kicked = false;
		pthread_mutex_unlock(&vm->idle_lock);
	}
	for (int i = 0; i < vm->ncpus; i++)
		vm_vcpu_end(&vm->vcpus[i]);
	return NULL;
}

bool vm_one_thread(const struct vm *vm)
{
	return vm->ncpus > 1 && vclock_mode(vm->clock) == VCLOCK_VIRTUAL;
}

void vm_kicked(struct vm *vm)
{
	if (!vm_one_thread(vm))
		return;
	pthread_mutex_lock(&vm->idle_lock);
	vm->idle_kicked = true;
	pthread_cond_broadcast(&vm->idle_cond);
	pthread_mutex_unlock(&vm->idle_lock);
}

static volatile sig_atomic_t vm_signal;

static void vm_on_signal(int sig)
{
	vm_signal = sig;
}

int vm_status(const struct vm *vm)
{
	switch (vm->stop) {
	case VM_RUNNING:
	case VM_STOP_POWEROFF:
	case VM_STOP_RESET:
	case VM_STOP_USER:
		return EXIT_OK;
	case VM_STOP_TEST_EXIT:
		return vm->stop_status & 0xFF;
	case VM_STOP_GUEST_CRASH:
		return EXIT_GUEST_CRASH;
	case VM_STOP_INTERNAL_ERROR:
		return EXIT_INTERNAL_ERROR;
	case VM_STOP_HOST_ERROR:
		return EXIT_HOST_ERROR;
	}
	return EXIT_HOST_ERROR;
}

int vm_run(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = vm_on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	int r = vclock_start(vm->clock);
	if (r < 0) {
		fprintf(stderr, "ember: cannot start the clock thread: %s\n", strerror(-r));
		return EXIT_HOST_ERROR;
	}
	if (vm_one_thread(vm)) {
		/* Every vCPU on one thread; joined through vCPU 0. */
		r = pthread_create(&vm->vcpus[0].thread, NULL, vm_round_robin, vm);
		for (int i = 1; i < vm->ncpus; i++)
			vm->vcpus[i].thread = vm->vcpus[0].thread;
		if (r) {
			ember_error(-r, "cannot start the vCPU thread: %s", strerror(r));
			vm_request_stop(vm, VM_STOP_HOST_ERROR, EXIT_HOST_ERROR, ember_last_error());
			return vm_status(vm);
		}
	}
	for (int i = 0; i < vm->ncpus && !vm_one_thread(vm); i++) {
		r = pthread_create(&vm->vcpus[i].thread, NULL, vm_vcpu_loop, &vm->vcpus[i]);
		if (r) {
			ember_error(-r, "cannot start vCPU thread %d: %s", i, strerror(r));
			vm_request_stop(vm, VM_STOP_HOST_ERROR, EXIT_HOST_ERROR, ember_last_error());
			vm->ncpus = i;
			break;
		}
	}
	pthread_mutex_lock(&vm->stop_lock);
	while (vm->stop == VM_RUNNING) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&vm->stop_cond, &vm->stop_lock, &ts);
		if (vm_signal && vm->stop == VM_RUNNING) {
			pthread_mutex_unlock(&vm->stop_lock);
			char why[64];
			snprintf(why, sizeof(why), "signal %s", strsignal(vm_signal));
			vm_request_stop(vm, VM_STOP_USER, EXIT_OK, why);
			pthread_mutex_lock(&vm->stop_lock);
		}
	}
	pthread_mutex_unlock(&vm->stop_lock);
	for (int i = 0; i < vm->ncpus; i++)
		vm->engine->kick(&vm->vcpus[i]);
	for (int i = 0; i < (vm_one_thread(vm) ? 1 : vm->ncpus); i++)
		pthread_join(vm->vcpus[i].thread, NULL);
	return vm_status(vm);
}

void vm_destroy(struct vm *vm)
{
	/* First: the clock thread fires device timers that raise lines and kick
	 * vCPUs; a callback running while its timer, device or CPU is freed
	 * below was a use after free (a rare SIGSEGV at exit). */
	vclock_stop(vm->clock);
	for (int i = 0; i < vm->ncpus; i++) {
		hostkvm_close(vm->vcpus[i].hostkvm);
		vm->vcpus[i].hostkvm = NULL;
	}
	if (vm->trace) {
		if (vm->trace->tl) {
			char what[300];
			snprintf(what, sizeof(what), "guest stopped%s%s", vm->stop_detail[0] ? ": " : "",
				 vm->stop_detail);
			timeline_instant(vm->trace->tl, vm->t_stop ? vm->t_stop : now_ns(),
					 "milestone", what, NULL);
		}
		trace_finish(vm->trace);
		free(vm->trace);
		vm->trace = NULL;
	}
	devices_detach(vm); /* first: nothing may feed a model any more */
	if (vm->engine && vm->engine->destroy)
		vm->engine->destroy(vm);
	irq_router_destroy(vm->irq); /* its timers; its models are the registry's */
	vm->irq = NULL;
	device_destroy_all(&vm->devices);
	vclock_destroy(vm->clock); /* after everything that owned a timer */
	vm->clock = NULL;
	memmap_destroy(&vm->mem);
}
