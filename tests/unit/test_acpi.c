/*
 * test_acpi.c - the ACPI tables read back the way an OS finds them (ACPI
 * 6.4 5.2.5.1: "RSD PTR " on a 16-byte boundary in 0xE0000-0xFFFFF, both
 * RSDP checksums, the XSDT's entries, each table's checksum), their fields
 * checked against the spec and layout.h, and then handed to ACPICA's own
 * disassembler (iasl -d) and interpreter (acpiexec), which parse and
 * checksum them independently of the code that wrote them.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices/acpipm.h"
#include "pci/pci.h"
#include "test_boot.h"

static uint8_t sum(const struct memmap *m, uint64_t a, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += tb_u8(m, a + i);
	return s;
}

static uint16_t u16(const struct memmap *m, uint64_t a)
{
	return (uint16_t)(tb_u8(m, a) | tb_u8(m, a + 1) << 8);
}

static uint64_t find_rsdp(const struct memmap *m)
{
	for (uint64_t a = 0xE0000; a < 0x100000; a += 16)
		if (tb_u32(m, a) == 0x20445352 && tb_u32(m, a + 4) == 0x20525450) /* "RSD PTR " */
			return a;
	return 0;
}

/* The table with signature sig among the XSDT's entries, or 0. */
static uint64_t find_table(const struct memmap *m, const char *sig)
{
	uint64_t xsdt = tb_u64(m, find_rsdp(m) + 24);
	uint32_t len = tb_u32(m, xsdt + 4);
	for (uint64_t p = xsdt + 36; p + 8 <= xsdt + len; p += 8) {
		uint64_t t = tb_u64(m, p);
		char s[4];
		memmap_read(m, t, s, 4);
		if (!memcmp(s, sig, 4))
			return t;
	}
	return 0;
}

static void write_tables(struct memmap *m, int cpus)
{
	tb_mem(m, TB_MEM);
	T_EQ(acpi_write(m, cpus), 0);
}

static void test_rsdp_and_roots(void)
{
	struct memmap m;
	write_tables(&m, 1);
	uint64_t rsdp = find_rsdp(&m);
	T_EQ(rsdp, LAYOUT_ACPI_RSDP);
	T_EQ(sum(&m, rsdp, 20), 0);
	T_EQ(tb_u8(&m, rsdp + 15), 2); /* ACPI 2.0+ form */
	T_EQ(tb_u32(&m, rsdp + 20), 36);
	T_EQ(sum(&m, rsdp, 36), 0);
	uint64_t rsdt = tb_u32(&m, rsdp + 16), xsdt = tb_u64(&m, rsdp + 24);
	T_EQ(tb_u32(&m, rsdt), 0x54445352); /* "RSDT" */
	T_EQ(tb_u32(&m, xsdt), 0x54445358); /* "XSDT" */
	uint32_t rlen = tb_u32(&m, rsdt + 4), xlen = tb_u32(&m, xsdt + 4);
	T_EQ(sum(&m, rsdt, rlen), 0);
	T_EQ(sum(&m, xsdt, xlen), 0);
	T_EQ((rlen - 36) / 4, (xlen - 36) / 8);
	for (uint32_t i = 0; i < (rlen - 36) / 4; i++) {
		uint64_t t = tb_u64(&m, xsdt + 36 + 8 * i);
		T_EQ(tb_u32(&m, rsdt + 36 + 4 * i), t);
		T_EQ(sum(&m, t, tb_u32(&m, t + 4)), 0);
	}
	T_CHECK(find_table(&m, "FACP") && find_table(&m, "APIC"), "XSDT must list FACP and APIC");
	/* The tables must lie in the reserved BIOS area: not e820 RAM. */
	T_CHECK(xsdt >= LAYOUT_EBDA_START && xsdt < LAYOUT_HIMEM_START, "XSDT at %#llx",
		(unsigned long long)xsdt);
	memmap_destroy(&m);
}

/* FADT fields against the hardware devices/acpipm.c implements. */
static void test_fadt(void)
{
	struct memmap m;
	write_tables(&m, 1);
	uint64_t f = find_table(&m, "FACP");
	T_CHECK(f, "no FACP");
	T_EQ(tb_u8(&m, f + 8), 6);	 /* revision */
	T_EQ(tb_u32(&m, f + 4), 276);	 /* revision 6 length */
	T_EQ(u16(&m, f + 46), 9);	 /* SCI_INT */
	T_EQ(tb_u32(&m, f + 48), 0);	 /* no SMI_CMD: always in ACPI mode */
	T_EQ(tb_u32(&m, f + 56), 0x600); /* PM1a_EVT_BLK */
	T_EQ(tb_u32(&m, f + 64), 0x604); /* PM1a_CNT_BLK */
	T_EQ(tb_u32(&m, f + 76), 0x608); /* PM_TMR_BLK */
	T_EQ(tb_u8(&m, f + 88), 4);
	T_EQ(tb_u8(&m, f + 89), 2);
	T_EQ(tb_u8(&m, f + 91), 4);
	T_EQ(tb_u8(&m, f + 108), 0x32); /* century */
	uint16_t boot = u16(&m, f + 109);
	T_CHECK(boot & 2, "IAPC_BOOT_ARCH must say 8042");
	T_CHECK(boot & 1, "IAPC_BOOT_ARCH must say legacy devices");
	uint32_t flags = tb_u32(&m, f + 112);
	T_CHECK(flags & (1u << 10), "RESET_REG_SUP");
	T_CHECK(flags & (1u << 8), "TMR_VAL_EXT (32-bit timer)");
	T_CHECK(!(flags & (1u << 20)), "not hardware-reduced");
	T_CHECK(!(flags & (1u << 4)), "fixed power button present");
	/* RESET_REG: system I/O, 8 bits at 0xCF9, value 6. */
	T_EQ(tb_u8(&m, f + 116), 1);
	T_EQ(tb_u8(&m, f + 117), 8);
	T_EQ(tb_u64(&m, f + 120), 0xCF9);
	T_EQ(tb_u8(&m, f + 128), 6);
	uint64_t dsdt = tb_u64(&m, f + 140), facs = tb_u32(&m, f + 36);
	T_EQ(tb_u32(&m, f + 40), dsdt);
	T_EQ(tb_u64(&m, f + 132), 0);	    /* X_FIRMWARE_CTRL: 0 when FIRMWARE_CTRL is set */
	T_EQ(tb_u32(&m, dsdt), 0x54445344); /* "DSDT" */
	T_EQ(sum(&m, dsdt, tb_u32(&m, dsdt + 4)), 0);
	T_EQ(tb_u32(&m, facs), 0x53434146); /* "FACS" */
	T_EQ(facs & 63, 0);		    /* 64-byte aligned */
	/* X_PM1a_EVT and X_PM_TMR agree with the 32-bit blocks. */
	T_EQ(tb_u64(&m, f + 152), 0x600);
	T_EQ(tb_u8(&m, f + 149), 32);
	T_EQ(tb_u64(&m, f + 212), 0x608);
	memmap_destroy(&m);
}

static void check_madt(int cpus)
{
	struct memmap m;
	write_tables(&m, cpus);
	uint64_t t = find_table(&m, "APIC");
	T_CHECK(t, "no APIC table");
	uint32_t len = tb_u32(&m, t + 4);
	T_EQ(tb_u32(&m, t + 36), LAYOUT_LAPIC_BASE);
	T_EQ(tb_u32(&m, t + 40) & 1, 1); /* PCAT_COMPAT */
	int lapics = 0, ioapics = 0, nmis = 0;
	int gsi_of[16];
	uint16_t flags_of[16] = {0};
	for (int i = 0; i < 16; i++)
		gsi_of[i] = i;
	for (uint64_t p = t + 44; p < t + len; p += tb_u8(&m, p + 1)) {
		uint8_t type = tb_u8(&m, p), l = tb_u8(&m, p + 1);
		T_CHECK(l >= 2, "entry length %u", l);
		if (l < 2)
			break;
		switch (type) {
		case 0:
			T_EQ(l, 8);
			T_EQ(tb_u8(&m, p + 3), lapics); /* APIC IDs 0..N-1 */
			T_EQ(tb_u32(&m, p + 4) & 1, 1);
			lapics++;
			break;
		case 1:
			T_EQ(l, 12);
			T_EQ(tb_u32(&m, p + 4), LAYOUT_IOAPIC_BASE);
			T_EQ(tb_u32(&m, p + 8), 0);
			T_CHECK(tb_u8(&m, p + 2) >= cpus,
				"IOAPIC id must not collide with a CPU's");
			ioapics++;
			break;
		case 2:
			T_EQ(l, 10);
			T_EQ(tb_u8(&m, p + 2), 0);
			gsi_of[tb_u8(&m, p + 3) & 15] = (int)tb_u32(&m, p + 4);
			flags_of[tb_u8(&m, p + 3) & 15] = u16(&m, p + 8);
			break;
		case 4:
			T_EQ(l, 6);
			T_EQ(tb_u8(&m, p + 2), 0xFF);
			T_EQ(tb_u8(&m, p + 5), 1); /* LINT1 */
			nmis++;
			break;
		default:
			T_CHECK(0, "unexpected MADT entry type %u", type);
		}
	}
	T_EQ(lapics, cpus);
	T_EQ(ioapics, 1);
	T_EQ(nmis, 1);
	T_EQ(gsi_of[0], 2);
	T_EQ(gsi_of[9], 9);
	T_EQ(flags_of[9], 0xD); /* active high, level */
	T_EQ(gsi_of[4], 4);
	memmap_destroy(&m);
}

static void test_madt_1(void)
{
	check_madt(1);
}

static void test_madt_8(void)
{
	check_madt(8);
}

static void test_madt_254(void)
{
	check_madt(254);
}

static void test_too_many(void)
{
	struct memmap m;
	tb_mem(&m, TB_MEM);
	T_CHECK(acpi_write(&m, 255) < 0, "255 CPUs must be refused");
	TB_ERR("--cpus", "255");
	memmap_destroy(&m);
}

/* ---- ACPICA as the oracle ---------------------------------------------- */

static char tmpdir[64];

static bool have_tool(const char *tool)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* Write the table at gpa to tmpdir/name.dat. */
static void dump_table(const struct memmap *m, uint64_t gpa, const char *name)
{
	uint32_t len = tb_u32(m, gpa + 4);
	uint8_t *b = malloc(len);
	memmap_read(m, gpa, b, len);
	char path[128];
	snprintf(path, sizeof(path), "%s/%s.dat", tmpdir, name);
	FILE *f = fopen(path, "wb");
	T_CHECK(f && fwrite(b, 1, len, f) == len, "cannot write %s", path);
	if (f)
		fclose(f);
	free(b);
}

/* Run cmd in tmpdir; its output in *out (malloc'd); returns the status. */
static int run(const char *cmd, char **out)
{
	char full[512];
	snprintf(full, sizeof(full), "cd %s && %s 2>&1", tmpdir, cmd);
	FILE *p = popen(full, "r");
	size_t cap = 1 << 16, n = 0;
	*out = calloc(1, cap + 1);
	if (!p)
		return -1;
	size_t r;
	while ((r = fread(*out + n, 1, cap - n, p)) > 0 && n + r < cap)
		n += r;
	if (r > 0)
		n += r;
	(*out)[n] = 0;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *b = calloc(1, 1 << 20);
	size_t n = fread(b, 1, (1 << 20) - 1, f);
	b[n] = 0;
	fclose(f);
	return b;
}

static void test_iasl_disassembles(void)
{
	if (!have_tool("iasl")) {
		T_SKIP("iasl not installed (acpica-tools, scripts/install-deps.sh)");
		return;
	}
	struct memmap m;
	write_tables(&m, 4);
	uint64_t rsdp = find_rsdp(&m);
	uint64_t fadt = find_table(&m, "FACP");
	dump_table(&m, tb_u64(&m, rsdp + 24), "xsdt");
	dump_table(&m, tb_u32(&m, rsdp + 16), "rsdt");
	dump_table(&m, fadt, "facp");
	dump_table(&m, find_table(&m, "APIC"), "apic");
	dump_table(&m, tb_u64(&m, fadt + 140), "dsdt");
	dump_table(&m, tb_u32(&m, fadt + 36), "facs");
	char *out;
	static const char *names[] = {"xsdt", "rsdt", "facp", "apic", "dsdt", "facs"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "iasl -d %s.dat", names[i]);
		int st = run(cmd, &out);
		T_CHECK(st == 0, "%s: iasl -d exited %d:\n%s", names[i], st, out);
		/* iasl reports a bad checksum or length, and fields it cannot
		 * parse, as "Warning"/"Error"/"Invalid" lines. */
		T_CHECK(!strstr(out, "Error") && !strstr(out, "Warning") && !strstr(out, "Invalid"),
			"%s: iasl complains:\n%s", names[i], out);
		free(out);
		char dsl[32];
		snprintf(dsl, sizeof(dsl), "%s.dsl", names[i]);
		char *d = slurp(dsl);
		T_CHECK(d, "iasl wrote no %s", dsl);
		if (d && strcmp(names[i], "facs"))
			T_CHECK(strstr(d, "Checksum") && !strstr(d, "Incorrect checksum"),
				"%s: checksum not verified:\n%s", names[i], d);
		if (d && !strcmp(names[i], "apic")) {
			/* iasl's own decoding of the MADT entries. */
			int n = 0;
			for (const char *p = d; (p = strstr(p, "Processor Local APIC")); p++)
				n++;
			T_EQ(n, 4);
			T_CHECK(strstr(d, "Interrupt Source Override") && strstr(d, "I/O APIC"),
				"apic.dsl lacks the IOAPIC or the overrides");
		}
		if (d && !strcmp(names[i], "facp"))
			T_CHECK(strstr(d, "Reset Register Supported (V2) : 1") &&
				    strstr(d, "Hardware Reduced (V5) : 0"),
				"facp.dsl flags differ from what ember means:\n%.2000s", d);
		free(d);
	}
	memmap_destroy(&m);
}

/* ACPICA's acpiexec loads ember's DSDT (m: the tables, written) and
 * evaluates path; false (and a SKIP) without acpiexec. */
static bool dsdt_eval(struct memmap *m, const char *path, char **out)
{
	if (!have_tool("acpiexec")) {
		T_SKIP("acpiexec not installed (acpica-tools, scripts/install-deps.sh)");
		return false;
	}
	write_tables(m, 1);
	dump_table(m, tb_u64(m, find_table(m, "FACP") + 140), "dsdt");
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "acpiexec -b 'evaluate %s' dsdt.dat", path);
	int st = run(cmd, out);
	T_CHECK(st == 0, "acpiexec exited %d:\n%s", st, *out);
	return true;
}

/* ACPICA's interpreter loads the DSDT and evaluates \_S5 to the package
 * the PM device acts on. */
static void test_acpiexec_s5(void)
{
	struct memmap m;
	char *out;
	if (!dsdt_eval(&m, "\\_S5", &out))
		return;
	char want[64];
	snprintf(want, sizeof(want), "%08X", ACPIPM_SLP_TYP_S5);
	T_CHECK(strstr(out, "Package") && strstr(out, want),
		"\\_S5 must evaluate to a package holding SLP_TYP %d:\n%s", ACPIPM_SLP_TYP_S5, out);
	free(out);
	memmap_destroy(&m);
}

/* ACPICA's acpiexec evaluates \_SB.PCI0._PRT: every slot's INTA#-INTD# (no
 * link device: source 0) to the GSI pci.c drives; iasl -d shows _CRS naming
 * a bus range, the configuration ports and the windows pci.c decodes. */
static void test_acpiexec_pci(void)
{
	struct memmap m;
	char *out;
	if (!dsdt_eval(&m, "\\_SB.PCI0._PRT", &out))
		return;
	T_CHECK(strstr(out, "[Package] Contains 128 Elements"), "_PRT: 128 entries:\n%.2000s", out);
	unsigned entries = 0, bad = 0;
	const char *p = strstr(out, "Contains 128 Elements");
	while (p && (p = strstr(p, "[Package] Contains 4 Elements:"))) {
		unsigned long long v[4] = {0};
		const char *q = p + 1;
		int i;
		for (i = 0; i < 4; i++) {
			q = strstr(q, "[Integer] = ");
			if (!q || sscanf(q, "[Integer] = %llx", &v[i]) != 1)
				break;
			q++;
		}
		unsigned slot = entries / 4, pin = entries % 4;
		if (i < 4 || v[0] != ((unsigned long long)slot << 16 | 0xFFFF) || v[1] != pin || v[2] != 0 ||
		    v[3] != pci_intx_gsi(PCI_DEVFN(slot, 0), pin + 1))
			bad++;
		entries++;
		p++;
	}
	T_EQ(entries, 128);
	T_EQ(bad, 0);
	free(out);
	int st = run("iasl -d dsdt.dat >/dev/null 2>&1 && cat dsdt.dsl", &out);
	T_CHECK(st == 0, "iasl -d: %d", st);
	/* The windows, as iasl decodes the resource template. */
	T_CHECK(strstr(out, "PNP0A03") && strstr(out, "WordBusNumber") &&
		    strstr(out, "0x0CF8,             // Range Minimum") &&
		    strstr(out, "0xC000,             // Range Minimum") &&
		    strstr(out, "0xFFFF,             // Range Maximum") &&
		    strstr(out, "0xC0000000,         // Range Minimum") &&
		    strstr(out, "0xFEBFFFFF,         // Range Maximum"),
		"_CRS differs:\n%.4000s", out);
	free(out);
	memmap_destroy(&m);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ember-acpi-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	T_RUN(test_rsdp_and_roots);
	T_RUN(test_fadt);
	T_RUN(test_madt_1);
	T_RUN(test_madt_8);
	T_RUN(test_madt_254);
	T_RUN(test_too_many);
	T_RUN(test_iasl_disassembles);
	T_RUN(test_acpiexec_s5);
	T_RUN(test_acpiexec_pci);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmpdir);
	T_EXIT();
}
