/*
 * vm.h - the machine: configuration, memory map, buses, devices, vCPUs and
 * the engine that runs them.  vm_create() builds it in one explicit order
 * (see vm.c); vm_run() runs it until the guest or the user stops it.
 */
#ifndef EMBER_VM_H
#define EMBER_VM_H

#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"
#include "bus.h"
#include "clock.h"
#include "devices/device.h"
#include "memmap.h"
#include "net/net.h"
#include "x86/state.h"
#include "x86/x86.h"

#define VM_MAX_CPUS   64
#define VM_MAX_DRIVES 16

enum vm_accel { ACCEL_AUTO, ACCEL_KVM, ACCEL_EMU };
enum vm_serial { SERIAL_STDIO, SERIAL_NONE, SERIAL_FILE };

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *append;
	const char *bios;
	uint64_t mem_bytes;
	int cpus;
	enum vm_accel accel;
	int emu_mode;           /* --emu-mode: enum x86_emu_mode, -1 = EMBER_EMU_MODE or jit */
	enum vclock_mode clock; /* --clock host|virtual */
	enum vm_serial serial;
	const char *serial_path;
	const char *debugcon;   /* --debugcon: none|stdio|stderr|file:PATH, NULL = kept in memory */
	struct blk_options drives[VM_MAX_DRIVES]; /* --drive, in order: /dev/vda, vdb... */
	int ndrives;
	bool stats;
	/* Observability (src/trace): all off by default. */
	const char *stats_json; /* --stats-json FILE */
	unsigned trace_mask;    /* --trace: 1u << enum trace_event */
	const char *trace_path; /* --trace-file, NULL: stderr */
	int trace_syntax;       /* enum trace_syntax */
	uint64_t trace_first;   /* --trace-first N */
	const char *timeline;   /* --timeline FILE */
	const char *profile;    /* --profile FILE (emu) */
	uint64_t profile_period; /* --profile-period N */
	const char *symbols;    /* --symbols FILE */
	struct net_config net;  /* --net (net/net.h): kind NET_NONE by default */
};

/*
 * Why the machine stopped, and the process exit status each maps to
 * (documented in the README).  Test-exit statuses are always odd
 * ((value << 1) | 1), so ember's own codes are even.
 */
enum vm_stop {
	VM_RUNNING = 0,
	VM_STOP_POWEROFF,       /* exit 0 */
	VM_STOP_RESET,          /* exit 0: i8042 reset line, triple-fault-free reboot */
	VM_STOP_TEST_EXIT,      /* exit (value << 1) | 1 */
	VM_STOP_USER,           /* exit 0: Ctrl-A X or SIGINT/SIGTERM */
	VM_STOP_GUEST_CRASH,    /* exit 4: triple fault / shutdown */
	VM_STOP_INTERNAL_ERROR, /* exit 6: KVM internal error, emulation failure */
	VM_STOP_HOST_ERROR,     /* exit 2: an error on the host side */
};

#define EXIT_OK             0
#define EXIT_HOST_ERROR     2
#define EXIT_GUEST_CRASH    4
#define EXIT_INTERNAL_ERROR 6

/* Exit reasons as the one run loop sees them, whichever engine ran. */
enum vm_exit_reason {
	VMEXIT_NONE,      /* nothing for the VMM to do (signal, budget) */
	VMEXIT_IO,
	VMEXIT_MMIO,
	VMEXIT_HLT,
	VMEXIT_SHUTDOWN,  /* triple fault */
	VMEXIT_INTERNAL_ERROR,
	VMEXIT_FAIL_ENTRY,
	VMEXIT_SYSTEM_EVENT, /* KVM_SYSTEM_EVENT: reset / shutdown */
	VMEXIT_DEBUG,
	VMEXIT_UNKNOWN,
	VMEXIT_NR
};

struct vm_exit {
	enum vm_exit_reason reason;
	union {
		struct {
			uint16_t port;
			uint8_t size;     /* 1, 2 or 4 */
			uint8_t is_write;
			uint32_t count;   /* string I/O repeats */
			uint8_t *data;    /* count * size bytes, in/out */
		} io;
		struct {
			uint64_t gpa;
			uint8_t size;
			uint8_t is_write;
			uint8_t *data;
		} mmio;
		struct {
			uint32_t code;    /* engine-specific reason/suberror */
			char what[160];   /* human text for the crash report */
		} fail;
	};
};

struct vm;

struct vcpu {
	struct vm *vm;
	int id;
	pthread_t thread;
	void *engine_data;
	uint64_t exits[VMEXIT_NR];
	/* Time in the VMM handling each exit reason, and inside engine->run. */
	uint64_t exit_ns[VMEXIT_NR];
	uint64_t run_ns;
	/* Filled by the emu engine from x86_cpu_stats(); zero under KVM (the
	 * host tracepoints count into struct trace_counters instead). */
	uint64_t insns[X86_NR_MODES];
	uint64_t insns_bigreal; /* of insns[X86_MODE_REAL]: with a limit above 64 KiB */
	uint64_t faults[32];
	uint64_t irqs;
	uint64_t hlts;
	uint64_t halted_ns; /* emu: guest time this vCPU spent halted (HLT) */
	void *hostkvm; /* struct hostkvm: the host's kvm: tracepoints, or NULL */
};

struct engine {
	const char *name;
	/* Create the engine's VM-level objects; memory map and buses exist. */
	int (*create)(struct vm *vm);
	int (*vcpu_create)(struct vcpu *vcpu);
	int (*set_state)(struct vcpu *vcpu, const struct x86_state *s);
	int (*get_state)(struct vcpu *vcpu, struct x86_state *s);
	/* Run until something needs the VMM; fill *exit. 0 or -errno. */
	int (*run)(struct vcpu *vcpu, struct vm_exit *exit);
	/* Make run() return soon (from another thread or a signal handler). */
	void (*kick)(struct vcpu *vcpu);
	/* With an in-kernel irqchip (has_irqchip): the router's inputs (irq.h:
	 * ISA IRQ 0-15, GSI 16-23) and MSI messages go to the kernel.  0 or
	 * -errno.  NULL without one: the router drives ember's models. */
	int (*irq_line)(struct vm *vm, unsigned input, int level);
	int (*irq_msi)(struct vm *vm, uint64_t addr, uint32_t data);
	/* Guest linear -> physical through the vCPU's current paging, for
	 * crash reports and tracing.  0 or -EFAULT. */
	int (*translate)(struct vcpu *vcpu, uint64_t linear, uint64_t *gpa);
	/* A device wrote guest RAM [gpa, gpa+len) (dma.h): the emulator drops
	 * what it decoded there; NULL under KVM (the CPU snoops).  Any thread. */
	void (*ram_written)(struct vm *vm, uint64_t gpa, uint64_t len);
	/* Does the engine provide the PIC/PIT/IOAPIC/local APICs itself (KVM)? */
	bool (*has_irqchip)(struct vm *vm);
	void (*destroy)(struct vm *vm);
};

extern const struct engine engine_kvm;
extern const struct engine engine_emu;

struct uart;
struct trace;
struct irq_router;
struct pci_board;

struct vm {
	const struct vm_config *cfg;
	struct memmap mem;
	struct bus pio, mmio;
	const struct engine *engine;
	void *engine_data;
	struct vcpu vcpus[VM_MAX_CPUS];
	int ncpus;
	struct x86_state boot_state; /* the BSP's state at its first instruction */
	struct vclock *clock;        /* guest time and every timer (clock.h) */
	struct irq_router *irq;      /* interrupt routing (irq.h) */
	struct pci_board *pci;       /* bus 0 and its devices (pci/board.h) */
	struct uart *com1;
	/* --stats/--trace/--timeline/--trace-first observer, or NULL. */
	struct trace *trace;
	struct profile *profile; /* --profile (trace/profile.h), or NULL */
	/* Every device model, in creation order (devices/device.h): reset,
	 * saved and loaded in order, destroyed in reverse by vm_destroy(). */
	struct device_registry devices;
	void *board; /* devices.c's glue (struct devices) */

	/* Timestamps (now_ns) for --stats and benchmarks. */
	uint64_t t_start, t_first_run, t_stop;
	double cpu_ms_first_run; /* process CPU time when the first vCPU entered */

	/* The round-robin thread (vm_one_thread) sleeps here when every vCPU
	 * is halted and no timer is armed; vm_kicked() wakes it. */
	pthread_mutex_t idle_lock;
	pthread_cond_t idle_cond;
	bool idle_kicked;

	/* Stop request: the first one wins. */
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	enum vm_stop stop;
	int stop_status;
	char stop_detail[256];
};

/* Build the machine for cfg on the given engine.  0 or -errno with
 * ember_error() set; vm_destroy() is safe after a failure. */
int vm_create(struct vm *vm, const struct vm_config *cfg, const struct engine *engine);
/* Run every vCPU until the machine stops; returns the process exit status. */
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);

/* From any thread: stop the machine (first request wins) and kick vCPUs. */
void vm_request_stop(struct vm *vm, enum vm_stop why, int status, const char *detail);
bool vm_stopping(const struct vm *vm);
/* Registers, segments and the code bytes at RIP of one vCPU. */
void vm_dump_vcpu(struct vcpu *v, FILE *f);
/* --clock virtual with several vCPUs: one thread runs them all in turn
 * (deterministic); otherwise one thread per vCPU. */
bool vm_one_thread(const struct vm *vm);
/* An engine kicked a vCPU (an interrupt, INIT/SIPI, a stop): wakes the
 * round-robin thread if it sleeps. */
void vm_kicked(struct vm *vm);
/* The process exit status for how the machine stopped. */
int vm_status(const struct vm *vm);
const char *vm_exit_name(enum vm_exit_reason r);
/* Add a model to the VM's device registry.  0 or -ENOSPC (ember_error). */
int vm_add_device(struct vm *vm, const char *name, void *dev, const struct device_ops *ops);

#endif
