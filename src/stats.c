/*
 * stats.c - the --stats table and the --stats-json file (see stats.h).
 * Reads the counters the run loop, the buses, the emulator and the host
 * tracepoints keep; it never changes them.  JSON through json-c.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>

#include "memmap.h"
#include "stats.h"
#include "trace/hostkvm.h"
#include "trace/trace.h"
#include "util.h"
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

/* Every vCPU's counters summed, with what the host tracepoints counted. */
struct stats_sum {
	uint64_t exits[VMEXIT_NR], exit_ns[VMEXIT_NR], run_ns;
	uint64_t insns[X86_NR_MODES], insns_bigreal, faults[32], irqs, hlts, halted_ns;
};

static void stats_sum(const struct vm *vm, struct stats_sum *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < vm->ncpus; i++) {
		const struct vcpu *v = &vm->vcpus[i];
		for (int r = 0; r < VMEXIT_NR; r++) {
			s->exits[r] += v->exits[r];
			s->exit_ns[r] += v->exit_ns[r];
		}
		s->run_ns += v->run_ns;
		for (int m = 0; m < X86_NR_MODES; m++)
			s->insns[m] += v->insns[m];
		s->insns_bigreal += v->insns_bigreal;
		for (int x = 0; x < 32; x++)
			s->faults[x] += v->faults[x];
		s->irqs += v->irqs;
		s->hlts += v->hlts + v->exits[VMEXIT_HLT];
		s->halted_ns += v->halted_ns;
	}
	const struct trace_counters *c = vm->trace ? vm->trace->ctr : NULL;
	if (!c)
		return;
	for (int m = 0; m < X86_NR_MODES; m++)
		s->insns[m] += c->insns[m];
	for (int x = 0; x < 32; x++)
		s->faults[x] += c->faults[x];
	s->irqs += c->irqs;
	s->hlts += c->hlt;
}

/* The device a port belongs to: ember's bus, else KVM's in-kernel devices. */
static const char *stats_port_device(const struct vm *vm, unsigned port)
{
	const struct bus_range *r = bus_find(&vm->pio, port);
	if (r)
		return r->name;
	if (port == 0x20 || port == 0x21 || port == 0xA0 || port == 0xA1)
		return "kvm-pic";
	if ((port >= 0x40 && port <= 0x43) || port == 0x61)
		return "kvm-pit";
	if (port == 0x4D0 || port == 0x4D1)
		return "kvm-elcr";
	return "unclaimed";
}

/* The process's resident bytes now and at their peak (VmRSS, VmHWM), and
 * the guest memory resident among them: the rest is ember's own. */
struct stats_mem {
	uint64_t rss, peak, guest;
};

static void stats_mem(const struct vm *vm, struct stats_mem *m)
{
	memset(m, 0, sizeof(*m));
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long kib;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %llu kB", &kib) == 1)
			m->rss = kib * 1024;
		else if (sscanf(line, "VmHWM: %llu kB", &kib) == 1)
			m->peak = kib * 1024;
	}
	if (f)
		fclose(f);
	m->guest = memmap_resident(&vm->mem);
}

static void bus_table(const struct bus *b, FILE *f)
{
	fprintf(f, "  %-5s %-20s %-23s %12s %12s\n", b->name, "device", "range", "reads", "writes");
	for (int i = 0; i < b->n; i++) {
		const struct bus_range *r = &b->r[i];
		if (!r->reads && !r->writes)
			continue;
		fprintf(
		    f, "        %-20s %#10" PRIx64 "-%#-10" PRIx64 " %12" PRIu64 " %12" PRIu64 "\n",
		    r->name, r->base, r->base + r->len - 1, r->reads, r->writes);
	}
	if (b->unclaimed_reads || b->unclaimed_writes)
		fprintf(f, "        %-20s %-23s %12" PRIu64 " %12" PRIu64 "\n", "(unclaimed)", "",
			b->unclaimed_reads, b->unclaimed_writes);
}

void stats_print(struct vm *vm, FILE *f)
{
	struct stats_sum s;
	stats_sum(vm, &s);
	fprintf(f, "\nember stats (engine %s)\n", vm->engine->name);
	fprintf(f, "  stopped by        %s%s%s (exit status %d)\n", stop_name(vm->stop),
		vm->stop_detail[0] ? ": " : "", vm->stop_detail, vm_status(vm));
	if (vm->t_first_run)
		fprintf(f, "  start to first run %.3f ms wall, %.3f ms CPU\n",
			(vm->t_first_run - vm->t_start) / 1e6, vm->cpu_ms_first_run);
	if (vm->t_stop && vm->t_first_run)
		fprintf(f, "  guest ran         %.3f ms\n", (vm->t_stop - vm->t_first_run) / 1e6);
	fprintf(f, "  in the engine     %.3f ms (all vCPUs)\n", s.run_ns / 1e6);
	struct stats_mem m;
	stats_mem(vm, &m);
	fprintf(f,
		"  memory            %.1f MiB resident (peak %.1f): guest memory %.1f, ember's own "
		"%.1f\n",
		m.rss / 1048576.0, m.peak / 1048576.0, m.guest / 1048576.0,
		(m.rss > m.guest ? m.rss - m.guest : 0) / 1048576.0);
	fprintf(f, "  exits by reason   %12s %14s\n", "count", "VMM time ms");
	for (int r = 0; r < VMEXIT_NR; r++)
		if (s.exits[r])
			fprintf(f, "        %-20s %12" PRIu64 " %14.3f\n", vm_exit_name(r),
				s.exits[r], s.exit_ns[r] / 1e6);
	bus_table(&vm->pio, f);
	bus_table(&vm->mmio, f);
	const struct trace_counters *c = vm->trace ? vm->trace->ctr : NULL;
	if (c) {
		fprintf(f, "  port  %-20s %-23s %12s %12s\n", "device", "", "reads", "writes");
		for (unsigned p = 0; p < 65536; p++)
			if (c->port_reads[p] || c->port_writes[p])
				fprintf(f, "        %-20s %#-23x %12" PRIu64 " %12" PRIu64 "\n",
					stats_port_device(vm, p), p, c->port_reads[p],
					c->port_writes[p]);
	}
	fprintf(f, "  HLT               %12" PRIu64 "\n", s.hlts);
	if (s.halted_ns) /* emu: guest time in HLT, summed over the vCPUs */
		fprintf(f, "  halted            %12.3f ms (guest time, all vCPUs)\n",
			s.halted_ns / 1e6);
	fprintf(f, "  interrupts        %12" PRIu64 "\n", s.irqs);
	for (int x = 0; x < 32; x++)
		if (s.faults[x])
			fprintf(f, "  fault vector %-4d %12" PRIu64 "\n", x, s.faults[x]);
	for (int m = 0; m < X86_NR_MODES; m++)
		if (s.insns[m])
			fprintf(f, "  insns %-11s %12" PRIu64 "\n", x86_mode_name(m), s.insns[m]);
	if (s.insns_bigreal) /* emu */
		fprintf(f, "  of them big real %12" PRIu64 " (real mode, a segment limit above 64 KiB)\n",
			s.insns_bigreal);
	if (vm->engine == &engine_kvm && hostkvm_status()[0])
		fprintf(f, "  host tracepoints  %s\n", hostkvm_status());
	for (int i = 0; i < vm->ncpus; i++)
		vm_dump_vcpu(&vm->vcpus[i], f);
}

static struct json_object *json_u64(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

static struct json_object *stats_json_bus(const struct bus *b)
{
	struct json_object *a = json_object_new_array();
	for (int i = 0; i < b->n; i++) {
		const struct bus_range *r = &b->r[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "device", json_object_new_string(r->name));
		json_object_object_add(o, "base", json_u64(r->base));
		json_object_object_add(o, "end", json_u64(r->base + r->len - 1));
		json_object_object_add(o, "reads", json_u64(r->reads));
		json_object_object_add(o, "writes", json_u64(r->writes));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *stats_json(struct vm *vm)
{
	struct stats_sum s;
	stats_sum(vm, &s);
	struct json_object *root = json_object_new_object();
	json_object_object_add(root, "schema", json_object_new_string("ember-stats-1"));
	json_object_object_add(root, "engine", json_object_new_string(vm->engine->name));
	json_object_object_add(root, "stopped_by", json_object_new_string(stop_name(vm->stop)));
	json_object_object_add(root, "stop_detail", json_object_new_string(vm->stop_detail));
	json_object_object_add(root, "exit_status", json_object_new_int(vm_status(vm)));

	struct json_object *t = json_object_new_object();
	json_object_object_add(t, "start_to_first_run_ns",
			       json_u64(vm->t_first_run ? vm->t_first_run - vm->t_start : 0));
	json_object_object_add(
	    t, "guest_ran_ns",
	    json_u64(vm->t_stop && vm->t_first_run ? vm->t_stop - vm->t_first_run : 0));
	json_object_object_add(t, "in_engine_ns", json_u64(s.run_ns));
	json_object_object_add(root, "time", t);
	struct stats_mem m;
	stats_mem(vm, &m);
	struct json_object *mem = json_object_new_object();
	json_object_object_add(mem, "rss_bytes", json_u64(m.rss));
	json_object_object_add(mem, "peak_rss_bytes", json_u64(m.peak));
	json_object_object_add(mem, "guest_resident_bytes", json_u64(m.guest));
	json_object_object_add(root, "memory", mem);

	struct json_object *ex = json_object_new_object();
	for (int r = 0; r < VMEXIT_NR; r++) {
		if (!s.exits[r])
			continue;
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "count", json_u64(s.exits[r]));
		json_object_object_add(o, "vmm_ns", json_u64(s.exit_ns[r]));
		json_object_object_add(ex, vm_exit_name(r), o);
	}
	json_object_object_add(root, "exits", ex);

	struct json_object *ports = json_object_new_array();
	const struct trace_counters *c = vm->trace ? vm->trace->ctr : NULL;
	for (unsigned p = 0; c && p < 65536; p++) {
		if (!c->port_reads[p] && !c->port_writes[p])
			continue;
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "port", json_object_new_int(p));
		json_object_object_add(o, "device",
				       json_object_new_string(stats_port_device(vm, p)));
		json_object_object_add(o, "reads", json_u64(c->port_reads[p]));
		json_object_object_add(o, "writes", json_u64(c->port_writes[p]));
		json_object_array_add(ports, o);
	}
	json_object_object_add(root, "pio", ports);
	json_object_object_add(root, "pio_ranges", stats_json_bus(&vm->pio));
	json_object_object_add(root, "mmio", stats_json_bus(&vm->mmio));
	struct json_object *un = json_object_new_object();
	json_object_object_add(un, "pio_reads", json_u64(vm->pio.unclaimed_reads));
	json_object_object_add(un, "pio_writes", json_u64(vm->pio.unclaimed_writes));
	json_object_object_add(un, "mmio_reads", json_u64(vm->mmio.unclaimed_reads));
	json_object_object_add(un, "mmio_writes", json_u64(vm->mmio.unclaimed_writes));
	json_object_object_add(root, "unclaimed", un);

	json_object_object_add(root, "hlt", json_u64(s.hlts));
	json_object_object_add(root, "halted_ns", json_u64(s.halted_ns));
	json_object_object_add(root, "interrupts", json_u64(s.irqs));
	struct json_object *fv = json_object_new_object();
	for (int x = 0; x < 32; x++) {
		if (!s.faults[x])
			continue;
		char k[8];
		snprintf(k, sizeof(k), "%d", x);
		json_object_object_add(fv, k, json_u64(s.faults[x]));
	}
	json_object_object_add(root, "faults", fv);
	struct json_object *im = json_object_new_object();
	for (int m = 0; m < X86_NR_MODES; m++)
		json_object_object_add(im, x86_mode_name(m), json_u64(s.insns[m]));
	json_object_object_add(root, "insns_by_mode", im);
	json_object_object_add(root, "insns_big_real", json_u64(s.insns_bigreal));
	const char *hs = vm->engine == &engine_kvm ? hostkvm_status() : "";
	json_object_object_add(root, "host_tracepoints",
			       json_object_new_string(hs[0] ? hs : "not used"));
	return root;
}

int stats_write_json(struct vm *vm, const char *path)
{
	struct json_object *root = stats_json(vm);
	int r = json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY);
	json_object_put(root);
	if (r < 0)
		return ember_error(-EIO, "--stats-json %s: %s", path, json_util_get_last_err());
	return 0;
}
