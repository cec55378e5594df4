/*
 * trace/profile.c - the guest profiler behind --profile (see profile.h):
 * the symbol table (ELF .symtab, ELF32 or ELF64, or a System.map), the
 * sample counts keyed by mode, address space and symbol, and the two
 * output files.  Formats: ELF per the System V gABI (section headers,
 * SHT_SYMTAB and its linked string table); System.map as Linux's `nm -n`
 * output, "ADDRESS TYPE NAME" per line; folded stacks as flame-graph tools
 * read them, "frame;frame;frame COUNT" per line.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace/profile.h"
#include "util.h"

/* A size-less symbol (a System.map line, an assembly label) covers at most
 * this much code after it; beyond, a sample is named by its page. */
#define PROFILE_SPAN_MAX (1u << 20)

struct profile_sym {
	uint64_t addr, size; /* size 0: up to the next symbol */
	char *name;
};

/* What a sample hit: a symbol, a 4 KiB page without one, or user code. */
enum profile_where { WHERE_SYM, WHERE_PAGE, WHERE_USER };

struct profile_slot {
	uint64_t count; /* 0: free slot */
	uint64_t as;	/* CR3 without its PCID bits, or UINT64_MAX: no paging */
	uint64_t what;	/* symbol index or page address */
	uint8_t where;	/* enum profile_where */
};

struct profile {
	char *path;
	uint64_t period;
	char *symbols_path; /* where the symbols came from, or NULL */
	struct profile_sym *syms;
	size_t nsyms;
	pthread_mutex_t lock;
	struct profile_slot *slot; /* open addressing, power-of-two size */
	size_t nslots, used;
	uint64_t samples;
};

/* ---- symbols ---- */

static int sym_cmp(const void *a, const void *b)
{
	const struct profile_sym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int sym_add(struct profile *p, size_t *cap, uint64_t addr, uint64_t size, const char *name,
		   size_t len)
{
	if (p->nsyms == *cap) {
		size_t n = *cap ? *cap * 2 : 4096;
		struct profile_sym *s = realloc(p->syms, n * sizeof(*s));
		if (!s)
			return -ENOMEM;
		p->syms = s;
		*cap = n;
	}
	char *copy = strndup(name, len);
	if (!copy)
		return -ENOMEM;
	p->syms[p->nsyms++] = (struct profile_sym){addr, size, copy};
	return 0;
}

/* Sorted by address, one name per address (the first one listed). */
static void sym_sort(struct profile *p)
{
	qsort(p->syms, p->nsyms, sizeof(*p->syms), sym_cmp);
	size_t n = 0;
	for (size_t i = 0; i < p->nsyms; i++) {
		if (n && p->syms[n - 1].addr == p->syms[i].addr) {
			free(p->syms[i].name);
			continue;
		}
		p->syms[n++] = p->syms[i];
	}
	p->nsyms = n;
}

/* Fields of ELF32 and ELF64 headers, read alike. */
struct elf_view {
	const uint8_t *b;
	size_t len;
	bool is64;
};

static bool elf_range(const struct elf_view *e, uint64_t off, uint64_t size)
{
	return off <= e->len && size <= e->len - off;
}

struct elf_shdr_v {
	uint32_t type, link;
	uint64_t flags, offset, size, entsize;
};

static bool elf_shdr(const struct elf_view *e, uint64_t shoff, unsigned i, struct elf_shdr_v *sh)
{
	if (e->is64) {
		Elf64_Shdr h;
		if (!elf_range(e, shoff + (uint64_t)i * sizeof(h), sizeof(h)))
			return false;
		memcpy(&h, e->b + shoff + (uint64_t)i * sizeof(h), sizeof(h));
		*sh = (struct elf_shdr_v){h.sh_type,   h.sh_link, h.sh_flags,
					  h.sh_offset, h.sh_size, h.sh_entsize};
	} else {
		Elf32_Shdr h;
		if (!elf_range(e, shoff + (uint64_t)i * sizeof(h), sizeof(h)))
			return false;
		memcpy(&h, e->b + shoff + (uint64_t)i * sizeof(h), sizeof(h));
		*sh = (struct elf_shdr_v){h.sh_type,   h.sh_link, h.sh_flags,
					  h.sh_offset, h.sh_size, h.sh_entsize};
	}
	return true;
}

/* Code symbols of an ELF's .symtab: functions, and labels without a type
 * (assembly) in executable sections. */
static int syms_from_elf(struct profile *p, const char *path, const uint8_t *b, size_t len)
{
	struct elf_view e = {b, len, false};
	if (len < EI_NIDENT || (b[EI_CLASS] != ELFCLASS32 && b[EI_CLASS] != ELFCLASS64) ||
	    b[EI_DATA] != ELFDATA2LSB)
		return ember_error(-EINVAL, "%s: not a little-endian ELF32 or ELF64 file", path);
	e.is64 = b[EI_CLASS] == ELFCLASS64;
	uint64_t shoff;
	unsigned shnum, shentsize;
	if (e.is64) {
		Elf64_Ehdr h;
		if (len < sizeof(h))
			return ember_error(-EINVAL, "%s: ELF header truncated", path);
		memcpy(&h, b, sizeof(h));
		shoff = h.e_shoff, shnum = h.e_shnum, shentsize = h.e_shentsize;
		if (shentsize != sizeof(Elf64_Shdr) && shnum)
			return ember_error(-EINVAL, "%s: bad ELF section header size %u", path,
					   shentsize);
	} else {
		Elf32_Ehdr h;
		if (len < sizeof(h))
			return ember_error(-EINVAL, "%s: ELF header truncated", path);
		memcpy(&h, b, sizeof(h));
		shoff = h.e_shoff, shnum = h.e_shnum, shentsize = h.e_shentsize;
		if (shentsize != sizeof(Elf32_Shdr) && shnum)
			return ember_error(-EINVAL, "%s: bad ELF section header size %u", path,
					   shentsize);
	}
	struct elf_shdr_v symtab = {0}, strtab, sh;
	bool found = false;
	for (unsigned i = 0; i < shnum; i++) {
		if (!elf_shdr(&e, shoff, i, &sh))
			return ember_error(
			    -EINVAL, "%s: ELF section headers past the end of the file", path);
		if (sh.type == SHT_SYMTAB) {
			symtab = sh;
			found = true;
		}
	}
	if (!found)
		return ember_error(-ENOENT,
				   "%s: no .symtab (a stripped ELF); give its System.map with "
				   "--symbols",
				   path);
	size_t esize = e.is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	if (symtab.entsize != esize || !elf_range(&e, symtab.offset, symtab.size) ||
	    symtab.link >= shnum || !elf_shdr(&e, shoff, symtab.link, &strtab) ||
	    strtab.type != SHT_STRTAB || !elf_range(&e, strtab.offset, strtab.size))
		return ember_error(-EINVAL, "%s: malformed .symtab or its string table", path);
	const char *str = (const char *)b + strtab.offset;
	size_t cap = 0;
	for (uint64_t off = 0; off + esize <= symtab.size; off += esize) {
		uint64_t value, size;
		uint32_t name;
		uint16_t shndx;
		uint8_t info;
		if (e.is64) {
			Elf64_Sym s;
			memcpy(&s, b + symtab.offset + off, sizeof(s));
			value = s.st_value, size = s.st_size, name = s.st_name;
			shndx = s.st_shndx, info = s.st_info;
		} else {
			Elf32_Sym s;
			memcpy(&s, b + symtab.offset + off, sizeof(s));
			value = s.st_value, size = s.st_size, name = s.st_name;
			shndx = s.st_shndx, info = s.st_info;
		}
		int type = ELF64_ST_TYPE(info);
		if ((type != STT_FUNC && type != STT_NOTYPE) || shndx == SHN_UNDEF ||
		    shndx >= SHN_LORESERVE || shndx >= shnum || name >= strtab.size)
			continue;
		if (!elf_shdr(&e, shoff, shndx, &sh) || !(sh.flags & SHF_EXECINSTR))
			continue;
		size_t n = strnlen(str + name, strtab.size - name);
		if (!n || n == strtab.size - name) /* empty, or unterminated */
			continue;
		if (sym_add(p, &cap, value, size, str + name, n) < 0)
			return ember_error(-ENOMEM, "%s: out of memory for its symbols", path);
	}
	return 0;
}

/* Text symbols (types t, T, w, W) of a System.map or /proc/kallsyms:
 * "ffffffff81000000 T _text". */
static int syms_from_map(struct profile *p, const char *path, const char *b, size_t len)
{
	size_t cap = 0, line = 0;
	for (size_t i = 0; i < len;) {
		const char *l = b + i, *nl = memchr(l, '\n', len - i);
		size_t n = nl ? (size_t)(nl - l) : len - i;
		i += n + 1;
		line++;
		if (!n)
			continue;
		char *end;
		errno = 0;
		unsigned long long addr = strtoull(l, &end, 16);
		size_t a = (size_t)(end - l);
		/* ADDRESS, one space, a type letter, one space, a name. */
		if (errno || a == 0 || a > 16 || a + 3 >= n || l[a] != ' ' || l[a + 2] != ' ' ||
		    !((l[a + 1] >= 'a' && l[a + 1] <= 'z') || (l[a + 1] >= 'A' && l[a + 1] <= 'Z')))
			return ember_error(
			    -EINVAL, "%s: line %zu: not a System.map line (ADDRESS TYPE NAME)",
			    path, line);
		/* /proc/kallsyms adds "\t[module]"; a serial capture adds "\r". */
		const char *name = l + a + 3, *tab = memchr(name, '\t', n - a - 3);
		size_t nlen = tab ? (size_t)(tab - name) : n - a - 3;
		if (nlen && name[nlen - 1] == '\r')
			nlen--;
		if (memchr(name, ' ', nlen) || memchr(name, '\0', nlen))
			return ember_error(
			    -EINVAL, "%s: line %zu: not a System.map line (ADDRESS TYPE NAME)",
			    path, line);
		char t = l[a + 1];
		if (t != 't' && t != 'T' && t != 'w' && t != 'W')
			continue;
		if (sym_add(p, &cap, addr, 0, name, nlen) < 0)
			return ember_error(-ENOMEM, "%s: out of memory for its symbols", path);
	}
	return 0;
}

/* Load path's symbols: an ELF by its magic, else a System.map. */
static int syms_load(struct profile *p, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ember_error(-errno, "--symbols %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return ember_error(-EINVAL, "%s: not a regular, non-empty file", path);
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return ember_error(-errno, "%s: %s", path, strerror(errno));
	const uint8_t *b = m;
	size_t len = (size_t)st.st_size;
	int r = len >= 4 && !memcmp(b, ELFMAG, SELFMAG) ? syms_from_elf(p, path, b, len)
							: syms_from_map(p, path, m, len);
	munmap(m, len);
	if (r < 0)
		return r;
	if (!p->nsyms)
		return ember_error(-ENOENT, "%s: no code symbols in it", path);
	sym_sort(p);
	p->symbols_path = strdup(path);
	return p->symbols_path ? 0 : -ENOMEM;
}

/* Index of the symbol covering addr, or -1. */
static long sym_find(const struct profile *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	const struct profile_sym *s = &p->syms[lo - 1];
	uint64_t span = s->size ? s->size : PROFILE_SPAN_MAX;
	return addr - s->addr < span ? (long)(lo - 1) : -1;
}

/* ---- samples ---- */

static size_t slot_hash(uint64_t as, uint64_t what, uint8_t where, size_t mask)
{
	uint64_t h = (as * 0x9e3779b97f4a7c15ull) ^ (what * 0xc2b2ae3d27d4eb4full) ^ where;
	return (size_t)(h ^ (h >> 29)) & mask;
}

static struct profile_slot *slot_get(struct profile *p, uint64_t as, uint64_t what, uint8_t where)
{
	if ((p->used + 1) * 2 > p->nslots) {
		size_t n = p->nslots * 2;
		struct profile_slot *s = calloc(n, sizeof(*s));
		if (!s)
			return NULL;
		for (size_t i = 0; i < p->nslots; i++) {
			struct profile_slot *o = &p->slot[i];
			if (!o->count)
				continue;
			size_t j = slot_hash(o->as, o->what, o->where, n - 1);
			while (s[j].count)
				j = (j + 1) & (n - 1);
			s[j] = *o;
		}
		free(p->slot);
		p->slot = s;
		p->nslots = n;
	}
	size_t j = slot_hash(as, what, where, p->nslots - 1);
	for (;; j = (j + 1) & (p->nslots - 1)) {
		struct profile_slot *s = &p->slot[j];
		if (!s->count) {
			*s = (struct profile_slot){0, as, what, where};
			p->used++;
			return s;
		}
		if (s->as == as && s->what == what && s->where == where)
			return s;
	}
}

/* CPL (SDM 5.5): 0 in real mode, 3 in virtual-8086 mode, else SS.DPL. */
static int profile_cpl(const struct x86_state *s)
{
	if (!(s->cr0 & X86_CR0_PE))
		return 0;
	if (s->rflags & X86_FLAGS_VM)
		return 3;
	return s->seg[X86_SS].dpl;
}

void profile_sample(struct profile *p, const struct x86_state *s)
{
	uint64_t lin = s->seg[X86_CS].base + s->rip;
	if (!(s->cr0 & X86_CR0_PE) || !(s->efer & X86_EFER_LMA))
		lin &= 0xffffffffu;
	/* The address space: CR3's table address (PCID and flag bits off). */
	uint64_t as = (s->cr0 & X86_CR0_PG) ? s->cr3 & 0x000ffffffffff000ull : UINT64_MAX;
	uint8_t where;
	uint64_t what;
	if (profile_cpl(s) == 3) {
		where = WHERE_USER, what = 0;
	} else {
		long i = sym_find(p, lin);
		where = i < 0 ? WHERE_PAGE : WHERE_SYM;
		what = i < 0 ? lin & ~0xfffull : (uint64_t)i;
	}
	pthread_mutex_lock(&p->lock);
	struct profile_slot *slot = slot_get(p, as, what, where);
	if (slot) {
		slot->count++;
		p->samples++;
	}
	pthread_mutex_unlock(&p->lock);
}

/* ---- output ---- */

static void where_name(const struct profile *p, const struct profile_slot *s, char *buf,
		       size_t size)
{
	if (s->where == WHERE_SYM)
		snprintf(buf, size, "%s", p->syms[s->what].name);
	else if (s->where == WHERE_PAGE)
		snprintf(buf, size, "0x%llx", (unsigned long long)s->what);
	else
		snprintf(buf, size, "[user]");
}

static void as_name(const struct profile_slot *s, char *buf, size_t size)
{
	if (s->as == UINT64_MAX)
		snprintf(buf, size, "nopaging");
	else
		snprintf(buf, size, "cr3=0x%llx", (unsigned long long)s->as);
}

static int cmp_count_desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b;
}

/* Samples merged over address spaces (flat table) or over symbols (per
 * address space). */
static int by_what(const void *a, const void *b)
{
	const struct profile_slot *x = a, *y = b;
	if (x->where != y->where)
		return x->where - y->where;
	return x->what < y->what ? -1 : x->what > y->what;
}

static int by_as(const void *a, const void *b)
{
	const struct profile_slot *x = a, *y = b;
	return x->as < y->as ? -1 : x->as > y->as;
}

static int by_count(const void *a, const void *b)
{
	const struct profile_slot *x = a, *y = b;
	return cmp_count_desc(x->count, y->count);
}

/* Merge runs of equal keys (sorted by cmp) into their first slot; returns
 * the merged count.  user[]: the user-mode samples per merged slot. */
static size_t merge(struct profile_slot *v, size_t n, int (*cmp)(const void *, const void *),
		    uint64_t *user)
{
	qsort(v, n, sizeof(*v), cmp);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t u = v[i].where == WHERE_USER ? v[i].count : 0;
		if (m && !cmp(&v[m - 1], &v[i])) {
			v[m - 1].count += v[i].count;
			user[m - 1] += u;
			continue;
		}
		user[m] = u;
		v[m++] = v[i];
	}
	return m;
}

static double pct(uint64_t n, uint64_t total)
{
	return total ? 100.0 * (double)n / (double)total : 0.0;
}

int profile_write(struct profile *p, uint64_t insns)
{
	size_t n = 0;
	struct profile_slot *v = malloc((p->used + 1) * sizeof(*v));
	uint64_t *user = calloc(p->used + 1, sizeof(*user));
	size_t flen = strlen(p->path) + sizeof(".folded");
	char *fpath = malloc(flen);
	if (!v || !user || !fpath) {
		free(v), free(user), free(fpath);
		return ember_error(-ENOMEM, "--profile %s: out of memory", p->path);
	}
	snprintf(fpath, flen, "%s.folded", p->path);
	for (size_t i = 0; i < p->nslots; i++)
		if (p->slot[i].count)
			v[n++] = p->slot[i];
	int r = 0;
	FILE *f = fopen(fpath, "w");
	if (!f) {
		r = ember_error(-errno, "--profile %s: %s", fpath, strerror(errno));
		goto out;
	}
	char as[32], sym[256];
	qsort(v, n, sizeof(*v), by_count);
	for (size_t i = 0; i < n; i++) {
		as_name(&v[i], as, sizeof(as));
		where_name(p, &v[i], sym, sizeof(sym));
		fprintf(f, "%s;%s;%s %llu\n", v[i].where == WHERE_USER ? "user" : "kernel", as, sym,
			(unsigned long long)v[i].count);
	}
	if (fclose(f)) {
		r = ember_error(-EIO, "--profile %s: write failed", fpath);
		goto out;
	}

	f = fopen(p->path, "w");
	if (!f) {
		r = ember_error(-errno, "--profile %s: %s", p->path, strerror(errno));
		goto out;
	}
	uint64_t total = p->samples, nuser = 0;
	for (size_t i = 0; i < n; i++)
		nuser += v[i].where == WHERE_USER ? v[i].count : 0;
	fprintf(f,
		"# ember guest profile: %llu samples, one every %llu instructions retired "
		"(%llu instructions in all; time halted is not sampled)\n",
		(unsigned long long)total, (unsigned long long)p->period,
		(unsigned long long)insns);
	if (p->symbols_path)
		fprintf(f, "# symbols: %s (%zu code symbols)\n", p->symbols_path, p->nsyms);
	else
		fprintf(f, "# symbols: none (samples named by 4 KiB page)\n");
	fprintf(f, "# kernel mode %.2f%% (%llu), user mode %.2f%% (%llu)\n#\n",
		pct(total - nuser, total), (unsigned long long)(total - nuser), pct(nuser, total),
		(unsigned long long)nuser);
	fprintf(f, "# percent    samples  mode    symbol\n");
	struct profile_slot *w = malloc((n + 1) * sizeof(*w));
	if (!w) {
		fclose(f);
		r = ember_error(-ENOMEM, "--profile %s: out of memory", p->path);
		goto out;
	}
	memcpy(w, v, n * sizeof(*w));
	size_t m = merge(w, n, by_what, user);
	qsort(w, m, sizeof(*w), by_count);
	for (size_t i = 0; i < m; i++) {
		where_name(p, &w[i], sym, sizeof(sym));
		fprintf(f, "%8.2f%% %10llu  %-6s  %s\n", pct(w[i].count, total),
			(unsigned long long)w[i].count,
			w[i].where == WHERE_USER ? "user" : "kernel", sym);
	}
	memcpy(w, v, n * sizeof(*w));
	m = merge(w, n, by_as, user);
	/* No symbol is named per address space: 'what' carries the user
	 * samples through the sort, which user[] (indexed before it) cannot. */
	for (size_t i = 0; i < m; i++)
		w[i].what = user[i];
	qsort(w, m, sizeof(*w), by_count);
	fprintf(f, "#\n# address spaces (CR3): percent    samples  of them user\n");
	for (size_t i = 0; i < m; i++) {
		as_name(&w[i], as, sizeof(as));
		fprintf(f, "# %-24s %8.2f%% %10llu %10llu\n", as, pct(w[i].count, total),
			(unsigned long long)w[i].count, (unsigned long long)w[i].what);
	}
	free(w);
	if (fclose(f))
		r = ember_error(-EIO, "--profile %s: write failed", p->path);
out:
	free(v), free(user), free(fpath);
	return r;
}

/* ---- life ---- */

uint64_t profile_period(const struct profile *p)
{
	return p->period;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nsyms; i++)
		free(p->syms[i].name);
	free(p->syms);
	free(p->slot);
	free(p->symbols_path);
	free(p->path);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

struct profile *profile_create(const char *path, uint64_t period, const char *symbols,
			       const char *kernel)
{
	struct profile *p = calloc(1, sizeof(*p));
	if (!p) {
		ember_error(-ENOMEM, "--profile: out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->period = period;
	p->path = strdup(path);
	p->nslots = 1024;
	p->slot = calloc(p->nslots, sizeof(*p->slot));
	if (!p->path || !p->slot) {
		ember_error(-ENOMEM, "--profile: out of memory");
		goto fail;
	}
	if (symbols && syms_load(p, symbols) < 0)
		goto fail;
	/* Else the kernel's own symbols, if it is an ELF that has them (not a
	 * stripped vmlinux, not a bzImage): without, pages name the samples. */
	if (!symbols && kernel && syms_load(p, kernel) < 0) {
		for (size_t i = 0; i < p->nsyms; i++)
			free(p->syms[i].name);
		p->nsyms = 0;
	}
	/* Fail now, not after the run, when the profile cannot be written. */
	FILE *f = fopen(path, "w");
	if (!f) {
		ember_error(-errno, "--profile %s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	return p;
fail:
	profile_free(p);
	return NULL;
}
