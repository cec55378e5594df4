/*
 * stats.c - the --stats table (see stats.h).  Reads the counters the run loop
 * and the buses keep; it never changes them.
 */
#include <inttypes.h>

#include "stats.h"
#include "vm.h"

static const char *stop_name(enum vm_stop s)
{
	switch (s) {
	case VM_RUNNING:
		return "running";
	case VM_STOP_POWEROFF:
		return "power-off";
	case VM_STOP_RESET:
		return "reset";
	case VM_STOP_TEST_EXIT:
		return "test-exit";
	case VM_STOP_USER:
		return "user";
	case VM_STOP_GUEST_CRASH:
		return "guest-crash";
	case VM_STOP_INTERNAL_ERROR:
		return "internal-error";
	case VM_STOP_HOST_ERROR:
		return "host-error";
	}
	return "?";
}

static void bus_table(const struct bus *b, FILE *f)
{
	fprintf(f, "  %-5s %-20s %-23s %12s %12s\n", b->name, "device", "range", "reads", "writes");
	for (int i = 0; i < b->n; i++) {
		const struct bus_range *r = &b->r[i];
		if (!r->reads && !r->writes)
			continue;
		fprintf(f, "        %-20s %#10" PRIx64 "-%#-10" PRIx64 " %12" PRIu64 " %12" PRIu64 "\n",
			r->name, r->base, r->base + r->len - 1, r->reads, r->writes);
	}
	if (b->unclaimed_reads || b->unclaimed_writes)
		fprintf(f, "        %-20s %-23s %12" PRIu64 " %12" PRIu64 "\n", "(unclaimed)", "",
			b->unclaimed_reads, b->unclaimed_writes);
}

void stats_print(struct vm *vm, FILE *f)
{
	fprintf(f, "\nember stats (engine %s)\n", vm->engine->name);
	fprintf(f, "  stopped by        %s%s%s (exit status %d)\n", stop_name(vm->stop),
		vm->stop_detail[0] ? ": " : "", vm->stop_detail, vm_status(vm));
	if (vm->t_first_run)
		fprintf(f, "  start to first run %.3f ms wall, %.3f ms CPU\n",
			(vm->t_first_run - vm->t_start) / 1e6, vm->cpu_ms_first_run);
	if (vm->t_stop && vm->t_first_run)
		fprintf(f, "  guest ran         %.3f ms\n", (vm->t_stop - vm->t_first_run) / 1e6);
	fprintf(f, "  exits by reason\n");
	for (int r = 0; r < VMEXIT_NR; r++) {
		uint64_t total = 0;
		for (int i = 0; i < vm->ncpus; i++)
			total += vm->vcpus[i].exits[r];
		if (total)
			fprintf(f, "        %-20s %12" PRIu64 "\n", vm_exit_name(r), total);
	}
	bus_table(&vm->pio, f);
	bus_table(&vm->mmio, f);
	for (int i = 0; i < vm->ncpus; i++)
		vm_dump_vcpu(&vm->vcpus[i], f);
}
