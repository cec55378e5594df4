/*
 * tools/sst286-check.c - run the hardware-recorded 80286 real-mode tests
 * (SingleStepTests/80286, ../shared/testdata/sst286) on ember's emulator and
 * compare registers, flags, memory and exceptions.  Not a JSON library: a
 * small reader for exactly the shapes these files use.
 * Usage: sst286-check DIR [--filter FORM] [--limit N] [--verbose]
 * Prints one line per form and, last, "N passed, N failed, N skipped".
 * Flag masking follows the SDM's "undefined" entries per instruction (README).
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "x86/x86.h"

#define MEM_SIZE (16u << 20)

/* ---- a minimal JSON reader: values in a flat node pool ---- */

enum jtype { J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
	enum jtype type;
	double num;
	const char *str; /* J_STR: points into the line (not terminated) */
	int len;	 /* string length or child count */
	int first;	 /* first child index (arrays and objects) */
	int next;	 /* next sibling, -1 at the end */
	const char *key; /* in an object: member name */
	int keylen;
};

struct jparser {
	const char *p;
	struct jnode *nodes;
	int n, cap;
};

static void json_ws(struct jparser *j)
{
	while (*j->p && isspace((unsigned char)*j->p))
		j->p++;
}

static int json_new(struct jparser *j)
{
	if (j->n == j->cap) {
		j->cap = j->cap ? j->cap * 2 : 4096;
		j->nodes = realloc(j->nodes, sizeof(*j->nodes) * j->cap);
		if (!j->nodes) {
			fprintf(stderr, "sst286-check: out of memory\n");
			exit(2);
		}
	}
	memset(&j->nodes[j->n], 0, sizeof(j->nodes[0]));
	j->nodes[j->n].next = -1;
	j->nodes[j->n].first = -1;
	return j->n++;
}

static int json_value(struct jparser *j);

static int json_string(struct jparser *j, const char **s, int *len)
{
	if (*j->p != '"')
		return -1;
	const char *start = ++j->p;
	while (*j->p && *j->p != '"') {
		if (*j->p == '\\' && j->p[1])
			j->p++;
		j->p++;
	}
	if (*j->p != '"')
		return -1;
	*s = start;
	*len = (int)(j->p - start);
	j->p++;
	return 0;
}

static int json_value(struct jparser *j)
{
	json_ws(j);
	int id = json_new(j);
	char c = *j->p;
	if (c == '{' || c == '[') {
		bool obj = c == '{';
		j->nodes[id].type = obj ? J_OBJ : J_ARR;
		j->p++;
		int last = -1;
		json_ws(j);
		if (*j->p == (obj ? '}' : ']')) {
			j->p++;
			return id;
		}
		for (;;) {
			const char *key = NULL;
			int keylen = 0;
			json_ws(j);
			if (obj) {
				if (json_string(j, &key, &keylen))
					return -1;
				json_ws(j);
				if (*j->p++ != ':')
					return -1;
			}
			int ch = json_value(j);
			if (ch < 0)
				return -1;
			j->nodes[ch].key = key;
			j->nodes[ch].keylen = keylen;
			if (last < 0)
				j->nodes[id].first = ch;
			else
				j->nodes[last].next = ch;
			last = ch;
			j->nodes[id].len++;
			json_ws(j);
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p == (obj ? '}' : ']')) {
				j->p++;
				return id;
			}
			return -1;
		}
	}
	if (c == '"') {
		j->nodes[id].type = J_STR;
		if (json_string(j, &j->nodes[id].str, &j->nodes[id].len))
			return -1;
		return id;
	}
	char *end;
	j->nodes[id].type = J_NUM;
	j->nodes[id].num = strtod(j->p, &end);
	if (end == j->p)
		return -1;
	j->p = end;
	return id;
}

static int json_get(const struct jparser *j, int obj, const char *key)
{
	if (obj < 0)
		return -1;
	for (int c = j->nodes[obj].first; c >= 0; c = j->nodes[c].next)
		if (j->nodes[c].key && (int)strlen(key) == j->nodes[c].keylen &&
		    !memcmp(j->nodes[c].key, key, j->nodes[c].keylen))
			return c;
	return -1;
}

static long json_num(const struct jparser *j, int n)
{
	return n >= 0 ? (long)j->nodes[n].num : 0;
}

/* ---- the platform: flat 16 MiB of RAM, ports read all-ones ---- */

static uint8_t *mem;

static uint8_t *plat_ram_page(void *opaque, uint64_t gpa, bool write)
{
	return gpa < MEM_SIZE ? mem + gpa : NULL;
}

static uint32_t plat_pio_in(void *opaque, uint16_t port, unsigned size)
{
	return 0xFFFFFFFFu;
}

static const struct x86_ops plat_ops = {
    .ram_page = plat_ram_page,
    .pio_in = plat_pio_in,
};

/* ---- per-form knowledge ---- */

#define F_CF 0x001
#define F_PF 0x004
#define F_AF 0x010
#define F_ZF 0x040
#define F_SF 0x080
#define F_OF 0x800

/* Flags the SDM leaves undefined after this form (beyond bits 12-15). */
static unsigned undefined_flags(const char *form)
{
	unsigned op = (unsigned)strtoul(form, NULL, 16);
	int reg = strchr(form, '.') ? atoi(strchr(form, '.') + 1) : -1;
	switch (op) {
	case 0x08 ... 0x0D:
	case 0x20 ... 0x25:
	case 0x30 ... 0x35:
	case 0x84:
	case 0x85:
	case 0xA8:
	case 0xA9:
		return F_AF; /* OR, AND, XOR, TEST */
	case 0x80 ... 0x83:
		return (reg == 1 || reg == 4 || reg == 6) ? F_AF : 0;
	case 0xC0:
	case 0xC1:
	case 0xD0 ... 0xD3:
		return F_AF | F_OF; /* OF for counts other than 1, AF for shifts */
	case 0xF6:
	case 0xF7:
		if (reg == 0 || reg == 1)
			return F_AF;
		if (reg == 4 || reg == 5)
			return F_SF | F_ZF | F_AF | F_PF;
		if (reg == 6 || reg == 7)
			return F_CF | F_OF | F_SF | F_ZF | F_AF | F_PF;
		return 0;
	case 0x69:
	case 0x6B:
		return F_SF | F_ZF | F_AF | F_PF;
	case 0x27:
	case 0x2F:
		return F_OF;
	case 0x37:
	case 0x3F:
		return F_OF | F_SF | F_ZF | F_PF;
	case 0xD4:
	case 0xD5:
		return F_OF | F_AF | F_CF;
	default:
		return 0;
	}
}

/* Forms not run, each for a documented 286-vs-modern difference. */
static const char *skip_form(const char *form)
{
	unsigned op = (unsigned)strtoul(form, NULL, 16);

	if (strlen(form) >= 2 && op >= 0xD8 && op <= 0xDF)
		return "x87 escape: the recorded 286 had no FPU and ignored it (CR0.EM clear, no "
		       "coprocessor); a modern CPU has its FPU";
	return NULL;
}

/*
 * The first opcode byte after the prefixes, and the byte after it (ModRM or
 * imm8), from the test's bytes.
 */
static void test_opcode(const struct jparser *j, int bytes, long *op, long *next)
{
	*op = *next = -1;
	for (int c = j->nodes[bytes].first; c >= 0; c = j->nodes[c].next) {
		long b = json_num(j, c);

		if (*op >= 0) {
			*next = b;
			return;
		}
		if (b != 0xF0 && b != 0xF2 && b != 0xF3 && b != 0x26 && b != 0x2E && b != 0x36 &&
		    b != 0x3E)
			*op = b;
	}
}

struct counts {
	long pass, fail, skip;
};

/* Skipped tests by reason, printed before the total. */
#define MAX_REASONS 16
static struct {
	char text[128];
	long n;
} reasons[MAX_REASONS];

static void tally_reason(const char *why)
{
	for (int i = 0; i < MAX_REASONS; i++) {
		if (!reasons[i].n) {
			snprintf(reasons[i].text, sizeof(reasons[i].text), "%s", why);
			reasons[i].n = 1;
			return;
		}
		if (!strcmp(reasons[i].text, why)) {
			reasons[i].n++;
			return;
		}
	}
}

static const char *const reg_names[] = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di"};
static const char *const seg_json[] = {"es", "cs", "ss", "ds"};

static void set_state(struct x86_state *s, const struct jparser *j, int regs)
{
	x86_state_reset(s);
	for (int i = 0; i < 8; i++)
		s->gpr[i] = (uint64_t)json_num(j, json_get(j, regs, reg_names[i]));
	for (int i = 0; i < 4; i++) {
		uint16_t sel = (uint16_t)json_num(j, json_get(j, regs, seg_json[i]));
		s->seg[i].sel = sel;
		s->seg[i].base = (uint64_t)sel << 4;
	}
	s->rip = (uint64_t)json_num(j, json_get(j, regs, "ip"));
	/* Real mode on the 286 keeps FLAGS bits 12-15 clear whatever was loaded. */
	s->rflags = ((uint64_t)json_num(j, json_get(j, regs, "flags")) & 0x0FFF) | 2;
	s->cr0 = 0;
	s->idt.base = 0;
	s->idt.limit = 0x3FF;
}

/* Run one test line; returns 1 pass, 0 fail, -1 skip. */
static int run_test(struct x86_cpu *cpu, const char *form, const char *line, bool verbose,
		    char *why, size_t whylen)
{
	static struct jparser j;
	j.p = line;
	j.n = 0;
	int root = json_value(&j);
	if (root < 0) {
		snprintf(why, whylen, "unparsable line");
		return 0;
	}
	int init = json_get(&j, root, "initial"), fin = json_get(&j, root, "final");
	int iregs = json_get(&j, init, "regs"), fregs = json_get(&j, fin, "regs");
	int iram = json_get(&j, init, "ram"), fram = json_get(&j, fin, "ram");
	int exc = json_get(&j, root, "exception");
	int bytes = json_get(&j, root, "bytes");
	long exc_no = exc >= 0 ? json_num(&j, json_get(&j, exc, "number")) : -1;
	long flag_addr = exc >= 0 ? json_num(&j, json_get(&j, exc, "flag_address")) : -1;

	/* The 286 limits instructions to 10 bytes (longer ones fault, with #UD or
	 * #GP); a modern CPU to 15. */
	if (exc_no >= 0 && bytes >= 0 && j.nodes[bytes].len - 1 > 10) {
		snprintf(why, whylen, "longer than the 286's 10-byte limit");
		return -1;
	}

	/* MOV to/from segment register 4-7: FS and GS do not exist on the 286. */
	if (!strcmp(form, "8C") || !strcmp(form, "8E")) {
		int c = j.nodes[bytes].first;
		while (c >= 0 && json_num(&j, c) != 0x8C && json_num(&j, c) != 0x8E)
			c = j.nodes[c].next;
		if (c >= 0 && j.nodes[c].next >= 0 &&
		    ((json_num(&j, j.nodes[c].next) >> 3) & 7) >= 4) {
			snprintf(why, whylen,
				 "segment register 4-7: none on the 286 (#UD), FS/GS today");
			return -1;
		}
	}

	struct x86_state *s = x86_cpu_state(cpu);
	set_state(s, &j, iregs);
	for (int c = j.nodes[iram].first; c >= 0; c = j.nodes[c].next) {
		int a = j.nodes[c].first;
		mem[json_num(&j, a) & (MEM_SIZE - 1)] = (uint8_t)json_num(&j, j.nodes[a].next);
	}
	x86_cpu_state_changed(cpu);
	x86_cpu_flush_mappings(cpu);
	uint64_t de_before = x86_cpu_stats(cpu)->exceptions[0];
	uint64_t ud_before = x86_cpu_stats(cpu)->exceptions[6];
	uint64_t ss_before = x86_cpu_stats(cpu)->exceptions[12];
	uint64_t gp_before = x86_cpu_stats(cpu)->exceptions[13];
	enum x86_exit ex = x86_run(cpu, 64);
	const char *diff = NULL;
	/* A word at SS:FFFF: the 286 raises #GP (13), modern CPUs #SS (12). */
	if (exc_no == 13 && x86_cpu_stats(cpu)->exceptions[12] != ss_before)
		diff = "word access at SS:FFFF: #GP on the 286, #SS on modern CPUs";
	/* Word string instructions at offset FFFF: the 286 advances SI/DI before
	 * its #GP; modern CPUs fault with the registers unchanged (clean restart). */
	static const char *const word_strings[] = {"6D", "6F", "A5", "A7", "AB", "AD", "AF"};
	bool word_string = false;
	for (size_t i = 0; i < sizeof(word_strings) / sizeof(word_strings[0]); i++)
		word_string |= !strcmp(form, word_strings[i]);
	if (exc_no == 13 && word_string && x86_cpu_stats(cpu)->exceptions[13] != gp_before)
		diff = "word string op at offset FFFF: the 286 moves SI/DI before #GP, modern CPUs "
		       "do not";
	/*
	 * Rules for what the 286 does differently from the SDM, whatever the
	 * operands (each decided from the bytes and the SDM's verdict, the
	 * emulator's, never from a list of recorded cases):
	 *  - IDIV (F6/F7 /7): the 286 misses some quotient overflows: no #DE
	 *    where the SDM raises it (a zero divisor faults on both, so the
	 *    SDM's #DE without the 286's is an overflow);
	 *  - POP m16 (8F /0) faulting on its store: the 286 keeps SP incremented
	 *    by the POP, modern CPUs restore it (its frame sits 2 bytes higher).
	 */
	long op, modrm;
	bool de = x86_cpu_stats(cpu)->exceptions[0] != de_before;

	test_opcode(&j, bytes, &op, &modrm);
	if ((op == 0xF6 || op == 0xF7) && (modrm >> 3 & 7) == 7 && de && exc_no < 0)
		diff = "IDIV quotient overflow: #DE per the SDM, missed by the 286";
	if (op == 0x8F && exc_no >= 0 && ex == X86_EXIT_HLT) {
		long sp = json_num(&j, json_get(&j, fregs, "sp"));

		if (json_get(&j, fregs, "sp") >= 0 && ((s->gpr[4] + 2) & 0xFFFF) == (uint64_t)sp)
			diff =
			    "POP m16 faulting on its store: the 286 keeps SP incremented, modern "
			    "CPUs restore it";
	}
	if (diff) {
		snprintf(why, whylen, "%s", diff);
		for (int c = j.nodes[iram].first; c >= 0; c = j.nodes[c].next)
			mem[json_num(&j, j.nodes[c].first) & (MEM_SIZE - 1)] = 0;
		return -1;
	}

	/* The 286 ignores LOCK where a modern CPU raises #UD (non-lockable
	 * instruction or register destination, SDM "LOCK"). */
	bool has_lock = false;
	for (int c = j.nodes[bytes].first, i = 0; c >= 0 && i < 10; c = j.nodes[c].next, i++) {
		long b = json_num(&j, c);
		if (b == 0xF0)
			has_lock = true;
		if (b != 0xF0 && b != 0xF2 && b != 0xF3 && b != 0x26 && b != 0x2E && b != 0x36 &&
		    b != 0x3E)
			break;
	}
	if (has_lock && exc_no != 6 && x86_cpu_stats(cpu)->exceptions[6] != ud_before) {
		snprintf(why, whylen, "LOCK: #UD on a modern CPU, ignored by the 286");
		for (int c = j.nodes[iram].first; c >= 0; c = j.nodes[c].next)
			mem[json_num(&j, j.nodes[c].first) & (MEM_SIZE - 1)] = 0;
		return -1;
	}

	unsigned fmask = 0xF000u | undefined_flags(form);
	/* AAM 0 raises #DE before any result: which arithmetic flags the 286
	 * changed on the way is its own (SDM AAM: SF/ZF/PF follow the result, of
	 * which there is none). */
	if (op == 0xD4 && modrm == 0)
		fmask |= F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF;
	int ok = 1;
	size_t k = 0;
	why[0] = 0;
	if (ex != X86_EXIT_HLT) {
		k += snprintf(why + k, whylen - k, "did not reach HLT (exit %d, rip %#llx); ", ex,
			      (unsigned long long)s->rip);
		ok = 0;
	}
	struct x86_state want;
	set_state(&want, &j, iregs);
	for (int c = j.nodes[fregs].first; c >= 0; c = j.nodes[c].next) {
		char name[8];
		snprintf(name, sizeof(name), "%.*s", j.nodes[c].keylen, j.nodes[c].key);
		uint64_t v = (uint64_t)json_num(&j, c);
		for (int i = 0; i < 8; i++)
			if (!strcmp(name, reg_names[i]))
				want.gpr[i] = v;
		for (int i = 0; i < 4; i++)
			if (!strcmp(name, seg_json[i]))
				want.seg[i].sel = (uint16_t)v;
		if (!strcmp(name, "ip"))
			want.rip = v;
		if (!strcmp(name, "flags"))
			want.rflags = v;
	}
	for (int i = 0; i < 8; i++)
		if ((s->gpr[i] & 0xFFFF) != want.gpr[i]) {
			k += snprintf(why + k, whylen - k, "%s=%#llx want %#llx; ", reg_names[i],
				      (unsigned long long)(s->gpr[i] & 0xFFFF),
				      (unsigned long long)want.gpr[i]);
			ok = 0;
		}
	for (int i = 0; i < 4; i++)
		if (s->seg[i].sel != want.seg[i].sel) {
			k += snprintf(why + k, whylen - k, "%s=%#x want %#x; ", seg_json[i],
				      s->seg[i].sel, want.seg[i].sel);
			ok = 0;
		}
	if ((s->rip & 0xFFFF) != want.rip) {
		k += snprintf(why + k, whylen - k, "ip=%#llx want %#llx; ",
			      (unsigned long long)s->rip, (unsigned long long)want.rip);
		ok = 0;
	}
	if (((s->rflags ^ want.rflags) & 0xFFFF & ~fmask)) {
		k += snprintf(why + k, whylen - k, "flags=%#llx want %#llx (mask %#x); ",
			      (unsigned long long)(s->rflags & 0xFFFF),
			      (unsigned long long)want.rflags, fmask);
		ok = 0;
	}
	long flag_img = (long)((want.seg[2].sel << 4) + ((want.gpr[4] + 4) & 0xFFFF));
	for (int c = j.nodes[fram].first; c >= 0; c = j.nodes[c].next) {
		int a = j.nodes[c].first;
		long addr = json_num(&j, a) & (MEM_SIZE - 1);
		uint8_t v = (uint8_t)json_num(&j, j.nodes[a].next);
		uint8_t m = 0xFF;
		/* The pushed FLAGS image lies at SS:SP+4 after delivery (the
		 * recorded flag_address is word-aligned, off by one for an odd SP). */
		if (flag_addr >= 0 && addr == flag_img)
			m = (uint8_t)~fmask;
		else if (flag_addr >= 0 && addr == flag_img + 1)
			m = (uint8_t)(~fmask >> 8);
		if ((mem[addr] ^ v) & m) {
			if (k < whylen)
				k += snprintf(why + k, whylen - k, "[%#lx]=%#x want %#x; ", addr,
					      mem[addr], v);
			ok = 0;
		}
	}
	/* Clean up what the test touched. */
	for (int c = j.nodes[iram].first; c >= 0; c = j.nodes[c].next)
		mem[json_num(&j, j.nodes[c].first) & (MEM_SIZE - 1)] = 0;
	for (int c = j.nodes[fram].first; c >= 0; c = j.nodes[c].next)
		mem[json_num(&j, j.nodes[c].first) & (MEM_SIZE - 1)] = 0;
	if (!ok && verbose) {
		int name = json_get(&j, root, "name");
		fprintf(stderr, "  %s \"%.*s\": %s\n", form, name >= 0 ? j.nodes[name].len : 0,
			name >= 0 ? j.nodes[name].str : "", why);
	}
	return ok;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **load_revoked(const char *dir, int *n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/revocation_list.txt", dir);
	FILE *f = fopen(path, "r");
	char **list = NULL;
	*n = 0;
	if (!f)
		return NULL;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		list = realloc(list, sizeof(*list) * (*n + 1));
		list[(*n)++] = strdup(line);
	}
	fclose(f);
	return list;
}

static bool is_revoked(char **list, int n, const char *line)
{
	const char *h = strstr(line, "\"hash\":\"");
	if (!h)
		return false;
	h += 8;
	for (int i = 0; i < n; i++)
		if (!strncmp(h, list[i], strlen(list[i])))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *filter = NULL;
	long limit = 0;
	bool verbose = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--filter") && i + 1 < argc)
			filter = argv[++i];
		else if (!strcmp(argv[i], "--limit") && i + 1 < argc)
			limit = atol(argv[++i]);
		else if (!strcmp(argv[i], "--verbose"))
			verbose = true;
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else {
			fprintf(
			    stderr,
			    "usage: sst286-check DIR [--filter FORM] [--limit N] [--verbose]\n");
			return 2;
		}
	}
	if (!dir) {
		fprintf(stderr,
			"usage: sst286-check DIR [--filter FORM] [--limit N] [--verbose]\n");
		return 2;
	}
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "sst286-check: %s: cannot open directory\n", dir);
		return 2;
	}
	char **files = NULL;
	int nfiles = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l > 9 && !strcmp(de->d_name + l - 9, ".jsonl.gz")) {
			files = realloc(files, sizeof(*files) * (nfiles + 1));
			files[nfiles++] = strndup(de->d_name, l - 9);
		}
	}
	closedir(d);
	qsort(files, nfiles, sizeof(*files), cmp_str);
	int nrev;
	char **revoked = load_revoked(dir, &nrev);

	mem = calloc(1, MEM_SIZE);
	struct x86_cpu *cpu = x86_cpu_new(&plat_ops, NULL);
	if (!mem || !cpu) {
		fprintf(stderr, "sst286-check: out of memory\n");
		return 2;
	}
	struct counts total = {0};
	static char line[1 << 20];
	for (int fi = 0; fi < nfiles; fi++) {
		const char *form = files[fi];
		if (filter && strcmp(form, filter))
			continue;
		struct counts c = {0};
		char path[4096], why[1024];
		snprintf(path, sizeof(path), "%s/%s.jsonl.gz", dir, form);
		const char *skip = skip_form(form);
		gzFile gz = gzopen(path, "rb");
		if (!gz) {
			fprintf(stderr, "sst286-check: %s: cannot open\n", path);
			return 2;
		}
		long n = 0;
		while (gzgets(gz, line, sizeof(line)) && (!limit || n < limit)) {
			n++;
			if (skip || is_revoked(revoked, nrev, line)) {
				tally_reason(skip ? skip : "revoked (revocation_list.txt)");
				c.skip++;
				continue;
			}
			int r = run_test(cpu, form, line, verbose, why, sizeof(why));
			if (r > 0) {
				c.pass++;
			} else if (r < 0) {
				tally_reason(why);
				c.skip++;
			} else {
				c.fail++;
			}
		}
		gzclose(gz);
		printf("%-6s %5ld passed, %ld failed, %ld skipped%s%s\n", form, c.pass, c.fail,
		       c.skip, skip ? ": " : "", skip ? skip : "");
		total.pass += c.pass;
		total.fail += c.fail;
		total.skip += c.skip;
	}
	for (int i = 0; i < MAX_REASONS && reasons[i].n; i++)
		printf("skipped %6ld: %s\n", reasons[i].n, reasons[i].text);
	printf("%ld passed, %ld failed, %ld skipped\n", total.pass, total.fail, total.skip);
	x86_cpu_free(cpu);
	free(mem);
	return total.fail ? 1 : 0;
}
