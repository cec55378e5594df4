/*
 * boot/acpi_fwcfg.c - ember's ACPI tables (acpi.c) in the relocatable form a
 * firmware loads from fw_cfg: the RSDP in "etc/acpi/rsdp", every other table
 * in "etc/acpi/tables", and "etc/table-loader", the commands that tell the
 * firmware where to put the two files (RSDP in the F segment, the tables in
 * high memory), which pointer fields to rebase and which checksums to redo.
 * Not a table builder: it walks what acpi_write() produced (RSDP -> RSDT and
 * XSDT -> tables, FADT -> FACS and DSDT), so every table acpi.c adds, and
 * every pointer it follows, relocates without a change here.
 * Command format: QEMU's hw/acpi/bios-linker-loader (documented in its
 * header: 128-byte little-endian commands ALLOCATE, ADD_POINTER,
 * ADD_CHECKSUM), which SeaBIOS's romfile_loader reads.  ACPI 6.4 5.2.5-5.2.9.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/acpi_fwcfg.h"
#include "boot/loaders.h"
#include "layout.h"
#include "util.h"

#define LOADER_ALLOCATE	    1
#define LOADER_ADD_POINTER  2
#define LOADER_ADD_CHECKSUM 3
#define LOADER_CMD_SIZE	    128
#define LOADER_FILE_SIZE    56
#define LOADER_ZONE_HIGH    1
#define LOADER_ZONE_FSEG    2

#define ACPI_HDR_SIZE 36

struct acpi_fwcfg_build {
	struct acpi_fwcfg *out;
	const uint8_t *area; /* the tables as acpi_write() placed them */
	uint64_t tables_gpa; /* where etc/acpi/tables starts in that placement */
	size_t cap;	     /* loader commands allocated */
	size_t end;	     /* the end of the last table seen, in the file */
};

static uint8_t *acpi_fwcfg_cmd(struct acpi_fwcfg_build *b, uint32_t type)
{
	struct acpi_fwcfg *o = b->out;
	if (o->loader_len + LOADER_CMD_SIZE > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64 * LOADER_CMD_SIZE;
		uint8_t *p = realloc(o->loader, cap);
		if (!p)
			return NULL;
		o->loader = p;
		b->cap = cap;
	}
	uint8_t *c = o->loader + o->loader_len;
	memset(c, 0, LOADER_CMD_SIZE);
	put32(c, type);
	o->loader_len += LOADER_CMD_SIZE;
	return c;
}

static int acpi_fwcfg_alloc(struct acpi_fwcfg_build *b, const char *file, uint32_t align,
			    uint8_t zone)
{
	uint8_t *c = acpi_fwcfg_cmd(b, LOADER_ALLOCATE);
	if (!c)
		return -ENOMEM;
	memcpy(c + 4, file, strlen(file));
	put32(c + 4 + LOADER_FILE_SIZE, align);
	c[8 + LOADER_FILE_SIZE] = zone;
	return 0;
}

/*
 * The pointer field of `size` bytes at `off` in dst_file holds a placed
 * address in the tables; make it an offset in etc/acpi/tables and have the
 * firmware add that file's address back.
 */
static int acpi_fwcfg_pointer(struct acpi_fwcfg_build *b, const char *dst_file, uint8_t *dst,
			      uint32_t off, uint8_t size)
{
	uint64_t v = size == 4 ? get32(dst + off) : get64(dst + off);
	if (v < b->tables_gpa || v - b->tables_gpa >= b->out->tables_len)
		return -EINVAL;
	v -= b->tables_gpa;
	if (size == 4)
		put32(dst + off, (uint32_t)v);
	else
		put64(dst + off, v);
	uint8_t *c = acpi_fwcfg_cmd(b, LOADER_ADD_POINTER);
	if (!c)
		return -ENOMEM;
	memcpy(c + 4, dst_file, strlen(dst_file));
	memcpy(c + 4 + LOADER_FILE_SIZE, ACPI_FWCFG_TABLES, strlen(ACPI_FWCFG_TABLES));
	put32(c + 4 + 2 * LOADER_FILE_SIZE, off);
	c[8 + 2 * LOADER_FILE_SIZE] = size;
	return 0;
}

static int acpi_fwcfg_checksum(struct acpi_fwcfg_build *b, const char *file, uint32_t off,
			       uint32_t start, uint32_t len)
{
	uint8_t *c = acpi_fwcfg_cmd(b, LOADER_ADD_CHECKSUM);
	if (!c)
		return -ENOMEM;
	memcpy(c + 4, file, strlen(file));
	put32(c + 4 + LOADER_FILE_SIZE, off);
	put32(c + 8 + LOADER_FILE_SIZE, start);
	put32(c + 12 + LOADER_FILE_SIZE, len);
	return 0;
}

/* The table at placed address gpa: its offset in etc/acpi/tables, checked
 * to lie wholly inside it (with its header length when it has one). */
static int acpi_fwcfg_table(struct acpi_fwcfg_build *b, uint64_t gpa, bool facs, uint32_t *off)
{
	struct acpi_fwcfg *o = b->out;
	if (gpa < b->tables_gpa || gpa - b->tables_gpa + ACPI_HDR_SIZE > o->tables_len)
		return -EINVAL;
	*off = (uint32_t)(gpa - b->tables_gpa);
	uint32_t len = get32(o->tables + *off + 4);
	if (len < (facs ? 64u : ACPI_HDR_SIZE) || len > o->tables_len - *off)
		return -EINVAL;
	if (*off + len > b->end)
		b->end = *off + len;
	return 0;
}

/* Rebase the FADT's FACS/DSDT pointers (32- and 64-bit forms). */
static int acpi_fwcfg_fadt(struct acpi_fwcfg_build *b, uint32_t fadt)
{
	static const struct {
		uint32_t off;
		uint8_t size;
	} ptrs[] = {{36, 4}, {40, 4}, {132, 8}, {140, 8}}; /* FACS, DSDT, X_FACS, X_DSDT */
	uint8_t *t = b->out->tables;
	uint32_t len = get32(t + fadt + 4);
	for (size_t i = 0; i < ARRAY_SIZE(ptrs); i++) {
		if (ptrs[i].off + ptrs[i].size > len)
			continue;
		uint64_t v = ptrs[i].size == 4 ? get32(t + fadt + ptrs[i].off)
					       : get64(t + fadt + ptrs[i].off);
		if (!v)
			continue;
		uint32_t toff;
		int r = acpi_fwcfg_table(b, v, ptrs[i].off == 36 || ptrs[i].off == 132, &toff);
		r = r
			?: acpi_fwcfg_pointer(b, ACPI_FWCFG_TABLES, t, fadt + ptrs[i].off,
					      ptrs[i].size);
		if (r)
			return r;
	}
	return 0;
}

int acpi_fwcfg_build(int cpus, struct acpi_fwcfg *out)
{
	memset(out, 0, sizeof(*out));
	struct memmap m;
	memmap_init(&m);
	int r = acpi_write(&m, cpus);
	const struct memregion *area = r ? NULL : memmap_find(&m, LAYOUT_ACPI_RSDP);
	if (!area) {
		memmap_destroy(&m);
		return r ? r : ember_error(-EINVAL, "internal: no ACPI tables to hand to fw_cfg");
	}
	struct acpi_fwcfg_build b = {.out = out, .area = area->hva};
	const uint8_t *rsdp = area->hva + (LAYOUT_ACPI_RSDP - area->gpa);
	uint64_t rsdt = get32(rsdp + 16), xsdt = get64(rsdp + 24);

	/* etc/acpi/tables: from the lowest table the RSDP names to the end
	 * of the area, cut after the walk at the end of the last table. */
	b.tables_gpa = rsdt < xsdt ? rsdt : xsdt;
	uint64_t end = area->gpa + area->size;
	r = -EINVAL;
	if (b.tables_gpa < area->gpa || b.tables_gpa >= end)
		goto out;
	out->tables_len = (size_t)(end - b.tables_gpa);
	out->tables = malloc(out->tables_len);
	out->rsdp_len = 36; /* ACPI 2.0+ form (5.2.5.3) */
	out->rsdp = malloc(out->rsdp_len);
	r = -ENOMEM;
	if (!out->tables || !out->rsdp)
		goto out;
	memcpy(out->tables, area->hva + (b.tables_gpa - area->gpa), out->tables_len);
	memcpy(out->rsdp, rsdp, out->rsdp_len);

	/* The RSDP where a scan finds it (F segment), the tables anywhere
	 * high; the FACS inside needs 64-byte alignment, so the file does. */
	r = acpi_fwcfg_alloc(&b, ACPI_FWCFG_RSDP, 16, LOADER_ZONE_FSEG);
	r = r ?: acpi_fwcfg_alloc(&b, ACPI_FWCFG_TABLES, 64, LOADER_ZONE_HIGH);
	uint32_t roff, xoff;
	r = r ?: acpi_fwcfg_table(&b, rsdt, false, &roff);
	r = r ?: acpi_fwcfg_table(&b, xsdt, false, &xoff);
	r = r ?: acpi_fwcfg_pointer(&b, ACPI_FWCFG_RSDP, out->rsdp, 16, 4);
	r = r ?: acpi_fwcfg_pointer(&b, ACPI_FWCFG_RSDP, out->rsdp, 24, 8);
	if (r)
		goto out;
	uint8_t *t = out->tables;
	/* Every table once, whether the RSDT or the XSDT names it; the DSDT
	 * and FACS through the FADT. */
	uint32_t done[64], ndone = 0;
	for (int x = 0; x < 2 && !r; x++) {
		uint32_t sdt = x ? xoff : roff, esize = x ? 8 : 4;
		uint32_t n = (get32(t + sdt + 4) - ACPI_HDR_SIZE) / esize;
		for (uint32_t i = 0; i < n && !r; i++) {
			uint32_t at = sdt + ACPI_HDR_SIZE + esize * i, toff;
			uint64_t v = x ? get64(t + at) : get32(t + at);
			r = acpi_fwcfg_table(&b, v, false, &toff);
			r = r ?: acpi_fwcfg_pointer(&b, ACPI_FWCFG_TABLES, t, at, (uint8_t)esize);
			bool seen = false;
			for (uint32_t k = 0; k < ndone; k++)
				seen |= done[k] == toff;
			if (r || seen)
				continue;
			if (ndone == ARRAY_SIZE(done)) {
				r = -ENOSPC;
				break;
			}
			done[ndone++] = toff;
			if (!memcmp(t + toff, "FACP", 4)) {
				r = acpi_fwcfg_fadt(&b, toff);
				uint32_t dsdt = get32(t + toff + 40);
				if (!r && dsdt < out->tables_len && ndone < ARRAY_SIZE(done))
					done[ndone++] = dsdt; /* offset now */
			}
		}
	}
	/* Checksums last: the firmware computes them over patched bytes. */
	for (uint32_t k = 0; k < ndone && !r; k++)
		r = acpi_fwcfg_checksum(&b, ACPI_FWCFG_TABLES, done[k] + 9, done[k],
					get32(t + done[k] + 4));
	r = r ?: acpi_fwcfg_checksum(&b, ACPI_FWCFG_TABLES, roff + 9, roff, get32(t + roff + 4));
	r = r ?: acpi_fwcfg_checksum(&b, ACPI_FWCFG_TABLES, xoff + 9, xoff, get32(t + xoff + 4));
	r = r ?: acpi_fwcfg_checksum(&b, ACPI_FWCFG_RSDP, 8, 0, 20);
	r = r ?: acpi_fwcfg_checksum(&b, ACPI_FWCFG_RSDP, 32, 0, 36);
	if (!r)
		out->tables_len = b.end;
out:
	memmap_destroy(&m);
	if (r) {
		acpi_fwcfg_free(out);
		if (r == -ENOMEM)
			return ember_error(r, "fw_cfg: out of memory for the ACPI tables");
		return ember_error(r,
				   "internal: ACPI tables cannot be made relocatable for fw_cfg");
	}
	return 0;
}

void acpi_fwcfg_free(struct acpi_fwcfg *a)
{
	free(a->rsdp);
	free(a->tables);
	free(a->loader);
	memset(a, 0, sizeof(*a));
}
