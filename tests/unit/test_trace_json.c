/*
 * test_trace_json.c - runs build/ember on reset.rom with --stats-json and
 * --timeline on both engines, parses the files back with json-c and checks
 * them against the documented schemas (ember-stats-1, Chrome trace events)
 * and against what tests/guests/reset.S does: five POST codes, one write to
 * the exit port (status 85), one instruction each in 16-bit protected and
 * compatibility mode, the mode walk real -> ... -> long64, its COM1 lines.
 * Run from the repository root (tests/run.sh does).
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"

#define EMBER "build/ember"
#define ROM   "build/guests/reset.rom"

static char tmpdir[64];

static int run_ember(const char *accel, const char *stats, const char *timeline)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 EMBER " run --accel %s --mem 128M --serial none --bios " ROM
		       " --stats-json %s --timeline %s </dev/null >/dev/null 2>%s/err",
		 accel, stats, timeline, tmpdir);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The ember-stats-1 schema: required keys and their types. */
static const struct {
	const char *key;
	enum json_type type;
} stats_schema[] = {
    {"schema", json_type_string},	 {"engine", json_type_string},
    {"stopped_by", json_type_string},	 {"stop_detail", json_type_string},
    {"exit_status", json_type_int},	 {"time", json_type_object},
    {"exits", json_type_object},	 {"pio", json_type_array},
    {"pio_ranges", json_type_array},	 {"mmio", json_type_array},
    {"unclaimed", json_type_object},	 {"hlt", json_type_int},
    {"interrupts", json_type_int},	 {"faults", json_type_object},
    {"insns_by_mode", json_type_object}, {"host_tracepoints", json_type_string},
    {"memory", json_type_object},	 {"insns_big_real", json_type_int},
};

static const char *const range_keys[] = {"device", "base", "end", "reads", "writes"};
static const char *const port_keys[] = {"port", "device", "reads", "writes"};
static const char *const modes[] = {"real", "v86", "prot16", "prot32", "compat", "long64"};

static struct json_object *get(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;
	json_object_object_get_ex(o, k, &v);
	return v;
}

static int64_t get_int(struct json_object *o, const char *k)
{
	struct json_object *v = get(o, k);
	return v ? json_object_get_int64(v) : -1;
}

static void check_array_of(struct json_object *a, const char *const *keys, size_t n,
			   const char *what)
{
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		for (size_t k = 0; k < n; k++) {
			struct json_object *v = get(e, keys[k]);
			bool str = !strcmp(keys[k], "device");
			T_CHECK(v && json_object_is_type(v, str ? json_type_string : json_type_int),
				"%s[%zu].%s missing or of the wrong type", what, i, keys[k]);
		}
	}
}

static struct json_object *find_port(struct json_object *pio, int port)
{
	for (size_t i = 0; pio && i < json_object_array_length(pio); i++) {
		struct json_object *e = json_object_array_get_idx(pio, i);
		if (get_int(e, "port") == port)
			return e;
	}
	return NULL;
}

static void check_stats(const char *accel, const char *path)
{
	struct json_object *root = json_object_from_file(path);
	T_CHECK(root != NULL, "%s: not JSON: %s", path, json_util_get_last_err());
	if (!root)
		return;
	for (size_t i = 0; i < sizeof(stats_schema) / sizeof(stats_schema[0]); i++) {
		struct json_object *v = get(root, stats_schema[i].key);
		T_CHECK(v && json_object_is_type(v, stats_schema[i].type),
			"%s: key %s missing or not of type %s", path, stats_schema[i].key,
			json_type_to_name(stats_schema[i].type));
	}
	T_STREQ(json_object_get_string(get(root, "schema")), "ember-stats-1");
	T_STREQ(json_object_get_string(get(root, "engine")), accel);
	T_STREQ(json_object_get_string(get(root, "stopped_by")), "test-exit");
	T_EQ(get_int(root, "exit_status"), 85); /* out 2Ah to port F4h */
	struct json_object *pio = get(root, "pio");
	check_array_of(pio, port_keys, 4, "pio");
	check_array_of(get(root, "pio_ranges"), range_keys, 5, "pio_ranges");
	check_array_of(get(root, "mmio"), range_keys, 5, "mmio");
	struct json_object *post = find_port(pio, 0x80);
	T_CHECK(post != NULL, "no port 0x80 entry");
	if (post) {
		T_STREQ(json_object_get_string(get(post, "device")), "post");
		T_EQ(get_int(post, "writes"), 5); /* POST 01h..05h */
		T_EQ(get_int(post, "reads"), 0);
	}
	struct json_object *ex = find_port(pio, 0xF4);
	T_CHECK(ex && get_int(ex, "writes") == 1, "port 0xf4: expected one write");
	/* Every port access on ember's bus is one I/O exit under KVM (no
	 * string I/O in reset.rom), so the two tables must agree. */
	struct json_object *exits = get(root, "exits");
	struct json_object *io = get(exits, "io");
	if (!strcmp(accel, "kvm")) {
		int64_t sum = 0;
		for (size_t i = 0; i < json_object_array_length(pio); i++) {
			struct json_object *e = json_object_array_get_idx(pio, i);
			if (strncmp(json_object_get_string(get(e, "device")), "kvm-", 4))
				sum += get_int(e, "reads") + get_int(e, "writes");
		}
		T_EQ(get_int(io, "count"), sum);
	}
	/* The guest memory resident (the ROM the loader wrote, at least) is
	 * part of the process's resident set, which is part of its peak. */
	struct json_object *mem = get(root, "memory");
	int64_t guest = get_int(mem, "guest_resident_bytes"), rss = get_int(mem, "rss_bytes");
	T_CHECK(guest > 0 && guest <= rss && rss <= get_int(mem, "peak_rss_bytes"),
		"memory: guest %lld, rss %lld, peak %lld", (long long)guest, (long long)rss,
		(long long)get_int(mem, "peak_rss_bytes"));
	struct json_object *im = get(root, "insns_by_mode");
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		T_CHECK(get(im, modes[i]) && json_object_is_type(get(im, modes[i]), json_type_int),
			"insns_by_mode.%s missing", modes[i]);
	const char *host = json_object_get_string(get(root, "host_tracepoints"));
	if (!strcmp(accel, "emu")) {
		/* reset.S runs one ljmpl in 16-bit protected mode and one ljmp in
		 * compatibility mode. */
		T_EQ(get_int(im, "prot16"), 1);
		T_EQ(get_int(im, "compat"), 1);
		T_CHECK(get_int(im, "long64") > 0, "no 64-bit instructions counted");
		T_EQ(get_int(root, "insns_big_real"), 0); /* never real mode after PE */
		T_STREQ(host, "not used");
	} else if (host && !strcmp(host, "on")) {
		T_EQ(get_int(im, "prot16"), 1);
		T_CHECK(get_int(im, "real") > 0 && get_int(im, "long64") > 0,
			"host emulation records not counted by mode");
	}
	json_object_put(root);
}

static void check_timeline(const char *accel, const char *path, bool modes_known)
{
	struct json_object *root = json_object_from_file(path);
	T_CHECK(root != NULL, "%s: not JSON: %s", path, json_util_get_last_err());
	if (!root)
		return;
	struct json_object *evs = get(root, "traceEvents");
	T_CHECK(evs && json_object_is_type(evs, json_type_array), "traceEvents is not an array");
	if (!evs) {
		json_object_put(root);
		return;
	}
	/* Mode spans in time order, POST instants, console lines, counters. */
	const char *want_emu[] = {"real", "prot16", "prot32", "compat", "long64"};
	const char *want_kvm[] = {"real", "prot16", "prot32", "long64"};
	const char **want = strcmp(accel, "emu") ? want_kvm : want_emu;
	size_t nwant = strcmp(accel, "emu") ? 4 : 5;
	double span_ts[8];
	const char *span_name[8];
	size_t nspan = 0, ncounter = 0, nconsole = 0;
	int post = 0;
	bool saw_real_line = false;
	for (size_t i = 0; i < json_object_array_length(evs); i++) {
		struct json_object *e = json_object_array_get_idx(evs, i);
		const char *ph = json_object_get_string(get(e, "ph"));
		const char *name = json_object_get_string(get(e, "name"));
		T_CHECK(ph && name && get(e, "pid") && get(e, "tid"),
			"event %zu lacks ph, name, pid or tid", i);
		if (!ph || !name || !strcmp(ph, "M"))
			continue;
		struct json_object *ts = get(e, "ts");
		T_CHECK(ts && (json_object_is_type(ts, json_type_double) ||
			       json_object_is_type(ts, json_type_int)),
			"event %zu (%s) has no numeric ts", i, name);
		const char *cat = json_object_get_string(get(e, "cat"));
		if (!strcmp(ph, "X")) {
			T_CHECK(json_object_get_double(get(e, "dur")) >= 0, "span %s: bad dur",
				name);
			if (nspan < 8) {
				span_ts[nspan] = json_object_get_double(ts);
				span_name[nspan++] = name;
			}
		} else if (!strcmp(ph, "C")) {
			T_CHECK(get(e, "args") != NULL, "counter without args");
			ncounter++;
		} else if (cat && !strcmp(cat, "post")) {
			char w[16];
			snprintf(w, sizeof(w), "post 0x%02x", ++post);
			T_STREQ(name, w);
		} else if (cat && !strcmp(cat, "console")) {
			const char *text = json_object_get_string(get(get(e, "args"), "text"));
			nconsole++;
			if (text && !strcmp(text, "reset.rom: real mode, CS base FFFF0000h"))
				saw_real_line = true;
		}
	}
	T_EQ(post, 5);
	T_CHECK(ncounter > 0, "no exits/ms counter events");
	T_EQ(nconsole, 6); /* reset.S: real, alias, pm, lm, self-check values, ok */
	T_CHECK(saw_real_line, "console line 'reset.rom: real mode, CS base FFFF0000h' missing");
	if (modes_known) {
		/* Sort the spans by start time (they are written as they end). */
		for (size_t i = 0; i < nspan; i++)
			for (size_t j = i + 1; j < nspan; j++)
				if (span_ts[j] < span_ts[i]) {
					double t = span_ts[i];
					const char *n = span_name[i];
					span_ts[i] = span_ts[j];
					span_name[i] = span_name[j];
					span_ts[j] = t;
					span_name[j] = n;
				}
		T_EQ(nspan, nwant);
		for (size_t i = 0; i < nspan && i < nwant; i++)
			T_STREQ(span_name[i], want[i]);
	}
	json_object_put(root);
}

static void test_engine(const char *accel)
{
	if (access(EMBER, X_OK) || access(ROM, R_OK)) {
		T_SKIP(EMBER " or " ROM " not built (make)");
		return;
	}
	if (!strcmp(accel, "kvm") && access("/dev/kvm", R_OK | W_OK)) {
		T_SKIP("/dev/kvm is not usable here");
		return;
	}
	char stats[96], tl[96], err[96];
	snprintf(stats, sizeof(stats), "%s/stats-%s.json", tmpdir, accel);
	snprintf(tl, sizeof(tl), "%s/timeline-%s.json", tmpdir, accel);
	snprintf(err, sizeof(err), "%s/err", tmpdir);
	int rc = run_ember(accel, stats, tl);
	T_EQ(rc, 85);
	/* Under KVM the mode spans come from the host tracepoints. */
	bool modes_known = true;
	FILE *f = fopen(err, "r");
	char line[512];
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "tracepoints not read"))
			modes_known = false;
	if (f)
		fclose(f);
	check_stats(accel, stats);
	check_timeline(accel, tl, modes_known);
}

/*
 * irq.rom on the emulator: irq.S takes one pending IRQ0 after STI;HLT and
 * then waits in HLT for five more ticks 1 ms apart, so at least six
 * interrupts and at least one HLT that slept (the emu engine counts HLTs
 * that put the vCPU to sleep), no faults; and --stats counts exactly the
 * irq events --trace printed.
 */
static void test_emu_irq(void)
{
	if (access(EMBER, X_OK) || access("build/guests/irq.rom", R_OK)) {
		T_SKIP(EMBER " or build/guests/irq.rom not built (make)");
		return;
	}
	char cmd[512], stats[96], trace[96];
	snprintf(stats, sizeof(stats), "%s/irq.json", tmpdir);
	snprintf(trace, sizeof(trace), "%s/irq.trace", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 EMBER " run --accel emu --mem 128M --serial none --bios build/guests/irq.rom"
		       " --stats-json %s --trace irq --trace-file %s </dev/null >/dev/null 2>&1",
		 stats, trace);
	int st = system(cmd);
	T_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 1); /* irq.S: exit value 0 */
	struct json_object *root = json_object_from_file(stats);
	T_CHECK(root != NULL, "%s: not JSON", stats);
	if (!root)
		return;
	int64_t irqs = get_int(root, "interrupts"), hlts = get_int(root, "hlt");
	T_CHECK(irqs >= 6, "interrupts %" PRId64 ", irq.S takes at least 6", irqs);
	T_CHECK(hlts >= 1 && hlts <= irqs, "hlt %" PRId64 ": expected 1..%" PRId64, hlts, irqs);
	T_EQ(json_object_object_length(get(root, "faults")), 0);
	json_object_put(root);
	FILE *f = fopen(trace, "r");
	char line[512];
	int64_t lines = 0;
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, " irq       irq vector 0x20 -- "))
			lines++;
	if (f)
		fclose(f);
	T_EQ(lines, irqs);
}

static void test_emu(void)
{
	test_engine("emu");
}

static void test_kvm(void)
{
	test_engine("kvm");
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ember-trace-json.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	T_RUN(test_emu);
	T_RUN(test_kvm);
	T_RUN(test_emu_irq);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	T_EXIT();
}
