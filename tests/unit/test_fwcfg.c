/*
 * test_fwcfg.c - the fw_cfg device against QEMU's docs/specs/fw_cfg.rst: the
 * "QEMU" signature and the ID with the DMA bit, the DMA register reading
 * "QEMU CFG" big-endian, the file directory (count and entries big-endian,
 * sorted by name), selector semantics (offset reset, zeros past the end,
 * bit 14 ignored), and every DMA operation (select, read, skip, write,
 * zero length, reads past the end zero-filled, the control word cleared or
 * set to the error bit) with the descriptor and data in a fake guest RAM.
 * Hostile descriptors: outside RAM, in a hole, wrapping past 2^64, lengths
 * near 2^32, writes to read-only items and past an item's end, a
 * descriptor its own destination: the error bit, never an access outside
 * RAM.  Also the PC's ACPI tables in table-loader form, replayed here as a
 * firmware would (ALLOCATE, ADD_POINTER, ADD_CHECKSUM) and checked with
 * the ACPI checksum rules at two different placements.
 */
#include <errno.h>

#include "boot/acpi_fwcfg.h"
#include "boot/loaders.h"
#include "devices/device.h"
#include "devices/fwcfg.h"
#include "t.h"

/* Fake guest memory: RAM at [RAM_BASE, RAM_BASE + RAM_SIZE), nothing else. */
#define RAM_BASE 0x10000ULL
#define RAM_SIZE 0x10000ULL
static uint8_t ram[RAM_SIZE];
static uint64_t maps, written_gpa, written_len, writes_seen;

static void *f_map(void *opaque, uint64_t gpa, uint64_t len, bool write)
{
	maps++;
	if (!len || gpa < RAM_BASE || gpa - RAM_BASE >= RAM_SIZE ||
	    len > RAM_SIZE - (gpa - RAM_BASE))
		return NULL;
	return ram + (gpa - RAM_BASE);
}

static void f_written(void *opaque, uint64_t gpa, uint64_t len)
{
	writes_seen++;
	written_gpa = gpa;
	written_len = len;
}

static const struct fwcfg_ops ops = {.dma_map = f_map, .dma_written = f_written};

static uint64_t in(struct fwcfg *f, unsigned off, unsigned size)
{
	return fwcfg_bus_ops.read(f, off, size);
}

static void out(struct fwcfg *f, unsigned off, unsigned size, uint64_t v)
{
	fwcfg_bus_ops.write(f, off, size, v);
}

static uint32_t bswap32(uint32_t v)
{
	return __builtin_bswap32(v);
}

/* A descriptor at gpa in fake RAM, big-endian as the spec wants. */
static void desc(uint64_t gpa, uint32_t control, uint32_t length, uint64_t addr)
{
	uint8_t *d = ram + (gpa - RAM_BASE);
	uint32_t v[4] = {bswap32(control), bswap32(length), bswap32((uint32_t)(addr >> 32)),
			 bswap32((uint32_t)addr)};
	memcpy(d, v, 16);
}

/* The guest's two 32-bit writes (high half first), each value
 * big-endian in port order, as SeaBIOS and Linux do. */
static void kick(struct fwcfg *f, uint64_t gpa)
{
	out(f, FWCFG_PORT_DMA, 4, bswap32((uint32_t)(gpa >> 32)));
	out(f, FWCFG_PORT_DMA + 4, 4, bswap32((uint32_t)gpa));
}

static uint32_t control_of(uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, ram + (gpa - RAM_BASE), 4);
	return bswap32(v);
}

static struct fwcfg *mk(void)
{
	memset(ram, 0xAA, sizeof(ram));
	maps = writes_seen = 0;
	struct fwcfg *f = fwcfg_create(&ops, NULL);
	static const char blob[] = "0123456789abcdef";
	if (f) {
		fwcfg_add_file(f, "zeta", blob, 16, false);
		fwcfg_add_file(f, "alpha", "A", 1, false);
		fwcfg_add_file(f, "etc/rw", "xxxxxxxx", 8, true);
		fwcfg_add_u32(f, FWCFG_KERNEL_SIZE, 0x11223344);
	}
	return f;
}

static void test_signature_and_id(void)
{
	struct fwcfg *f = mk();
	out(f, FWCFG_PORT_CTL, 2, FWCFG_SIGNATURE);
	char sig[5] = {0};
	for (int i = 0; i < 4; i++)
		sig[i] = (char)in(f, FWCFG_PORT_DATA, 1);
	T_STREQ(sig, "QEMU");
	T_EQ(in(f, FWCFG_PORT_DATA, 1), 0); /* past the end */
	out(f, FWCFG_PORT_CTL, 2, FWCFG_ID);
	uint32_t id = 0;
	for (int i = 0; i < 4; i++)
		id |= (uint32_t)in(f, FWCFG_PORT_DATA, 1) << (8 * i);
	T_EQ(id, FWCFG_VERSION | FWCFG_VERSION_DMA);
	/* The DMA register reads "QEMU CFG" (0x51454d5520434647, big-endian). */
	T_EQ(in(f, FWCFG_PORT_DMA, 4), 0x554D4551);	/* bytes Q E M U */
	T_EQ(in(f, FWCFG_PORT_DMA + 4, 4), 0x47464320); /* ' ' C F G */
	T_EQ(in(f, FWCFG_PORT_DMA + 7, 1), 'G');
	/* Selecting again starts over; bit 14 does not change the item. */
	out(f, FWCFG_PORT_CTL, 2, FWCFG_SIGNATURE | FWCFG_WRITE_BIT);
	T_EQ(in(f, FWCFG_PORT_DATA, 1), 'Q');
	out(f, FWCFG_PORT_DATA, 1, 'X'); /* data port writes: ignored */
	T_EQ(in(f, FWCFG_PORT_DATA, 1), 'E');
	/* A key nobody set reads 0. */
	out(f, FWCFG_PORT_CTL, 2, 0x1234);
	T_EQ(in(f, FWCFG_PORT_DATA, 1), 0);
	out(f, FWCFG_PORT_CTL, 2, FWCFG_KERNEL_SIZE);
	T_EQ(in(f, FWCFG_PORT_DATA, 1), 0x44); /* little-endian numbers */
	fwcfg_destroy(f);
}

static void test_file_dir(void)
{
	struct fwcfg *f = mk();
	out(f, FWCFG_PORT_CTL, 2, FWCFG_FILE_DIR);
	uint8_t dir[4 + 3 * 64];
	for (size_t i = 0; i < sizeof(dir); i++)
		dir[i] = (uint8_t)in(f, FWCFG_PORT_DATA, 1);
	T_EQ(bswap32(*(uint32_t *)dir), 3);
	const char *names[] = {"alpha", "etc/rw", "zeta"}; /* sorted */
	const uint32_t sizes[] = {1, 8, 16};
	const uint16_t keys[] = {0x21, 0x22, 0x20}; /* in the order added */
	for (int i = 0; i < 3; i++) {
		const uint8_t *e = dir + 4 + 64 * i;
		T_EQ(bswap32(*(const uint32_t *)e), sizes[i]);
		T_EQ((e[4] << 8) | e[5], keys[i]);
		T_STREQ((const char *)e + 8, names[i]);
	}
	T_EQ(fwcfg_add_file(f, "alpha", "B", 1, false), -EEXIST);
	T_EQ(fwcfg_add_file(f, "", "B", 1, false), -EINVAL);
	char longname[FWCFG_NAME_MAX + 1];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[FWCFG_NAME_MAX] = 0;
	T_EQ(fwcfg_add_file(f, longname, "B", 1, false), -EINVAL);
	T_EQ(fwcfg_add_bytes(f, FWCFG_SIGNATURE, "x", 1), -EINVAL);
	T_EQ(fwcfg_add_bytes(f, FWCFG_FILE_DIR, "x", 1), -EINVAL);
	T_EQ(fwcfg_add_bytes(f, FWCFG_KERNEL_SIZE, "x", 1), -EEXIST);
	fwcfg_destroy(f);
}

#define D   0x10000ULL /* descriptor */
#define BUF 0x10100ULL /* destination */

static void test_dma_read_skip(void)
{
	struct fwcfg *f = mk();
	desc(D, 0x20u << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_READ, 4, BUF);
	kick(f, D);
	T_EQ(control_of(D), 0);
	T_CHECK(!memcmp(ram + (BUF - RAM_BASE), "0123", 4), "first 4 bytes of zeta");
	T_EQ(ram[BUF - RAM_BASE + 4], 0xAA); /* nothing beyond length */
	T_EQ(writes_seen, 2);		     /* the data, then the control word */
	/* No select: the offset goes on; skip 4, read 4. */
	desc(D, FWCFG_DMA_SKIP, 4, 0);
	kick(f, D);
	T_EQ(control_of(D), 0);
	desc(D, FWCFG_DMA_READ, 4, BUF);
	kick(f, D);
	T_CHECK(!memcmp(ram + (BUF - RAM_BASE), "89ab", 4), "bytes 8-11 after a skip");
	/* The port sees the same offset. */
	T_EQ(in(f, FWCFG_PORT_DATA, 1), 'c');
	/* Reading past the end zero-fills. */
	desc(D, FWCFG_DMA_READ, 8, BUF);
	kick(f, D);
	T_EQ(control_of(D), 0);
	T_CHECK(!memcmp(ram + (BUF - RAM_BASE), "def\0\0\0\0\0", 8), "tail then zeros");
	T_EQ(written_gpa, D);
	/* A skip past the end stops at it. */
	desc(D, 0x20u << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_SKIP, 100, 0);
	kick(f, D);
	T_EQ(in(f, FWCFG_PORT_DATA, 1), 0);
	/* Zero length: done, nothing mapped but the descriptor. */
	maps = 0;
	desc(D, 0x20u << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_READ, 0, 0xFFFFFFFFFFFFF000ULL);
	kick(f, D);
	T_EQ(control_of(D), 0);
	T_EQ(maps, 2);
	/* The address register reads the signature again after a transfer. */
	T_EQ(in(f, FWCFG_PORT_DMA, 4), 0x554D4551);
	T_EQ(fwcfg_dma_errors(f), 0);
	fwcfg_destroy(f);
}

static void test_dma_write(void)
{
	struct fwcfg *f = mk();
	/* A read-only item refuses. */
	memcpy(ram + (BUF - RAM_BASE), "WXYZ", 4);
	desc(D, 0x20u << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_WRITE, 4, BUF);
	kick(f, D);
	T_EQ(control_of(D), FWCFG_DMA_ERROR);
	out(f, FWCFG_PORT_CTL, 2, 0x20);
	T_EQ(in(f, FWCFG_PORT_DATA, 1), '0');
	/* A writable one takes it at the offset... */
	desc(D, 0x22u << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_WRITE, 4, BUF);
	kick(f, D);
	T_EQ(control_of(D), 0);
	size_t len;
	const uint8_t *rw = fwcfg_file_data(f, "etc/rw", &len);
	T_CHECK(rw && len == 8 && !memcmp(rw, "WXYZxxxx", 8), "write at offset 0");
	/* ...but never past its end: dropped whole. */
	desc(D, FWCFG_DMA_WRITE, 5, BUF);
	kick(f, D);
	T_EQ(control_of(D), FWCFG_DMA_ERROR);
	T_CHECK(!memcmp(rw, "WXYZxxxx", 8), "a write past the end changes nothing");
	desc(D, FWCFG_DMA_WRITE, 4, BUF);
	kick(f, D);
	T_EQ(control_of(D), 0);
	T_CHECK(!memcmp(rw, "WXYZWXYZ", 8), "write at offset 4");
	T_EQ(fwcfg_dma_errors(f), 2);
	fwcfg_destroy(f);
}

static void test_dma_hostile(void)
{
	struct fwcfg *f = mk();
	static const struct {
		const char *what;
		uint32_t length;
		uint64_t addr;
	} bad[] = {
	    {"destination below RAM", 4, RAM_BASE - 4},
	    {"destination straddling RAM's end", 16, RAM_BASE + RAM_SIZE - 8},
	    {"destination in MMIO", 4, 0xFEC00000ULL},
	    {"length near 2^32", 0xFFFFFFFFu, BUF},
	    {"wraps past 2^64", 0x20, 0xFFFFFFFFFFFFFFF0ULL},
	    {"above 4 GiB, no RAM", 16, 0x100000000ULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		desc(D, 0x20u << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_READ, bad[i].length,
		     bad[i].addr);
		kick(f, D);
		T_CHECK(control_of(D) == FWCFG_DMA_ERROR, "%s: control %#x, want the error bit",
			bad[i].what, control_of(D));
	}
	/* A descriptor outside RAM: nothing to write back, nothing done. */
	uint64_t errors = fwcfg_dma_errors(f);
	kick(f, 0xFFFFFFFFFFFFFFF8ULL);
	kick(f, 0x1000);
	T_EQ(fwcfg_dma_errors(f), errors + 2);
	/* The descriptor as its own destination: the read lands, then the
	 * control word is written (0: done). */
	desc(D, 0x20u << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_READ, 16, D);
	kick(f, D);
	T_EQ(control_of(D), 0);
	T_CHECK(!memcmp(ram + 4, "456789abcdef", 12), "the item over the descriptor");
	/* Narrow writes: the high half only stores; the first write to the
	 * low half starts a transfer with what the register holds then, and
	 * the register is 0 again after it. */
	desc(D, 0x21u << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_READ, 1, BUF);
	errors = fwcfg_dma_errors(f);
	for (int i = 0; i < 4; i++)
		out(f, FWCFG_PORT_DMA + i, 1, 0);
	T_EQ(fwcfg_dma_errors(f), errors);
	out(f, FWCFG_PORT_DMA + 4, 2, 0x0100); /* bytes 00 01: gpa 0x00010000 = D */
	T_EQ(control_of(D), 0);
	T_EQ(ram[BUF - RAM_BASE], 'A');
	out(f, FWCFG_PORT_DMA + 7, 1, 0x00); /* gpa 0: no RAM there */
	T_EQ(fwcfg_dma_errors(f), errors + 1);
	fwcfg_destroy(f);
}

static void test_save_load(void)
{
	struct fwcfg *f = mk();
	out(f, FWCFG_PORT_CTL, 2, 0x20);
	in(f, FWCFG_PORT_DATA, 1);
	in(f, FWCFG_PORT_DATA, 1);
	uint8_t buf[64];
	size_t n = fwcfg_save(f, buf, sizeof(buf));
	T_CHECK(n > 0 && n <= sizeof(buf), "save size %zu", n);
	fwcfg_reset(f);
	T_EQ(in(f, FWCFG_PORT_DATA, 1), 'Q'); /* reset: selector 0 */
	T_EQ(fwcfg_load(f, buf, n), 0);
	T_EQ(in(f, FWCFG_PORT_DATA, 1), '2');
	/* An offset past the item's end is refused, the state kept. */
	uint8_t bad[64];
	memcpy(bad, buf, n);
	out(f, FWCFG_PORT_CTL, 2, 0x21); /* "alpha": 1 byte */
	n = fwcfg_save(f, bad, sizeof(bad));
	bad[6] = 5; /* magic (4), selector (2), then the offset */
	T_EQ(fwcfg_load(f, bad, n), -EINVAL);
	T_EQ(in(f, FWCFG_PORT_DATA, 1), 'A');
	T_EQ(fwcfg_load(f, buf, n - 1), -EINVAL);
	fwcfg_destroy(f);
}

/* A firmware's table loader, from the command format: allocate each file
 * at a given address, add the source file's address to each pointer, redo
 * each checksum; then check every table the way an OS does. */
static uint8_t acpi_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

static void replay(const struct acpi_fwcfg *a, uint64_t rsdp_at, uint64_t tables_at, uint8_t *rsdp,
		   uint8_t *tables, int *allocs)
{
	memcpy(rsdp, a->rsdp, a->rsdp_len);
	memcpy(tables, a->tables, a->tables_len);
	*allocs = 0;
	for (size_t off = 0; off + 128 <= a->loader_len; off += 128) {
		const uint8_t *c = a->loader + off;
		const char *file = (const char *)c + 4;
		uint8_t *dst = !strcmp(file, ACPI_FWCFG_RSDP) ? rsdp : tables;
		switch (get32(c)) {
		case 1:
			++*allocs;
			break;
		case 2: {
			const char *src = (const char *)c + 60;
			uint64_t base = !strcmp(src, ACPI_FWCFG_RSDP) ? rsdp_at : tables_at;
			uint32_t at = get32(c + 116);
			if (c[120] == 4)
				put32(dst + at, (uint32_t)(get32(dst + at) + base));
			else
				put64(dst + at, get64(dst + at) + base);
			break;
		}
		case 3:
			dst[get32(c + 60)] -= acpi_sum(dst + get32(c + 64), get32(c + 68));
			break;
		}
	}
}

static void check_placed(const struct acpi_fwcfg *a, uint64_t rsdp_at, uint64_t tables_at)
{
	static uint8_t rsdp[64], tables[0x20000];
	int allocs;
	T_CHECK(a->tables_len <= sizeof(tables), "tables %zu bytes", a->tables_len);
	replay(a, rsdp_at, tables_at, rsdp, tables, &allocs);
	T_EQ(allocs, 2);
	T_CHECK(!memcmp(rsdp, "RSD PTR ", 8), "RSDP signature");
	T_EQ(acpi_sum(rsdp, 20), 0);
	T_EQ(acpi_sum(rsdp, 36), 0);
	uint64_t rsdt = get32(rsdp + 16), xsdt = get64(rsdp + 24);
	T_CHECK(rsdt >= tables_at && rsdt < tables_at + a->tables_len, "RSDT at %#" PRIx64, rsdt);
	const uint8_t *r = tables + (rsdt - tables_at), *x = tables + (xsdt - tables_at);
	T_CHECK(!memcmp(r, "RSDT", 4) && !memcmp(x, "XSDT", 4), "RSDT/XSDT signatures");
	T_EQ(acpi_sum(r, get32(r + 4)), 0);
	T_EQ(acpi_sum(x, get32(x + 4)), 0);
	unsigned n = (get32(r + 4) - 36) / 4;
	T_CHECK(n >= 2 && n == (get32(x + 4) - 36) / 8, "%u tables", n);
	bool fadt = false, madt = false;
	for (unsigned i = 0; i < n; i++) {
		uint64_t t = get32(r + 36 + 4 * i);
		T_EQ(get64(x + 36 + 8 * i), t);
		T_CHECK(t >= tables_at && t < tables_at + a->tables_len, "table at %#" PRIx64, t);
		const uint8_t *p = tables + (t - tables_at);
		T_EQ(acpi_sum(p, get32(p + 4)), 0);
		if (!memcmp(p, "FACP", 4)) {
			fadt = true;
			uint64_t dsdt = get32(p + 40), facs = get32(p + 36);
			T_EQ(get64(p + 140), dsdt);
			const uint8_t *d = tables + (dsdt - tables_at);
			T_CHECK(!memcmp(d, "DSDT", 4), "DSDT through the FADT");
			T_EQ(acpi_sum(d, get32(d + 4)), 0);
			T_CHECK(!memcmp(tables + (facs - tables_at), "FACS", 4), "FACS");
			T_EQ(facs % 64, 0);
		}
		madt |= !memcmp(p, "APIC", 4);
	}
	T_CHECK(fadt && madt, "FADT and MADT listed");
}

static void test_acpi_table_loader(void)
{
	struct acpi_fwcfg a;
	int r = acpi_fwcfg_build(2, &a);
	T_EQ(r, 0);
	if (r)
		return;
	T_EQ(a.rsdp_len, 36);
	T_EQ(a.loader_len % 128, 0);
	/* The first command allocates the RSDP in the F segment, 16-aligned. */
	T_STREQ((const char *)a.loader + 4, ACPI_FWCFG_RSDP);
	T_EQ(get32(a.loader + 60), 16);
	T_EQ(a.loader[64], 2);
	check_placed(&a, 0xF5A10, 0x0FFC0000);
	check_placed(&a, 0xF0000, 0xBFF00040);
	acpi_fwcfg_free(&a);
}

int main(void)
{
	T_RUN(test_signature_and_id);
	T_RUN(test_file_dir);
	T_RUN(test_dma_read_skip);
	T_RUN(test_dma_write);
	T_RUN(test_dma_hostile);
	T_RUN(test_save_load);
	T_RUN(test_acpi_table_loader);
	T_EXIT();
}
