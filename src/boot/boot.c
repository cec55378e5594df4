/*
 * boot/boot.c - choose the loader by what the user gave (--bios, or the
 * --kernel file's format) and provide what every direct-kernel loader
 * shares: command line, initrd placement, flat GDT, identity page tables,
 * the first-instruction CPU state.  Not a firmware: no BIOS services.
 * CPU state per Intel SDM vol. 3A 3.4.5 (descriptors), 4.5 (4-level paging).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/loaders.h"
#include "layout.h"
#include "shadow.h"
#include "util.h"

bool boot_is_ram(const struct memmap *m, uint64_t gpa, uint64_t len)
{
	if (gpa + len < gpa)
		return false;
	do {
		const struct memregion *r = memmap_find(m, gpa);
		if (!r || r->kind != MEMREGION_RAM)
			return false;
		uint64_t left = r->size - (gpa - r->gpa);
		if (len <= left)
			return true;
		gpa += left;
		len -= left;
	} while (len);
	return true;
}

int boot_write_cmdline(struct memmap *m, const struct boot_input *in, uint64_t limit,
		       uint64_t *addr)
{
	size_t n = strlen(in->cmdline) + 1;
	if (limit > LAYOUT_CMDLINE_MAX)
		limit = LAYOUT_CMDLINE_MAX;
	if (n > limit)
		return ember_error(-E2BIG,
				   "--append: command line is %zu bytes, %s accepts at most %llu",
				   n - 1, in->kernel_name, (unsigned long long)limit - 1);
	if (memmap_write(m, LAYOUT_CMDLINE, in->cmdline, n))
		return ember_error(-EFAULT, "--append: no RAM at 0x%llx for the command line",
				   (unsigned long long)LAYOUT_CMDLINE);
	*addr = LAYOUT_CMDLINE;
	return 0;
}

int boot_place_initrd(struct memmap *m, const struct boot_input *in, uint64_t floor,
		      uint64_t ceiling, uint64_t *addr)
{
	*addr = 0;
	if (!in->initrd_name)
		return 0;
	uint64_t top = memmap_low_ram_end(m);
	if (ceiling < top)
		top = ceiling;
	floor = (floor + 0xFFF) & ~0xFFFULL;
	uint64_t size = in->initrd_len;
	if (size == 0)
		return ember_error(-EINVAL, "%s: initrd is empty", in->initrd_name);
	if (size > top || ((top - size) & ~0xFFFULL) < floor ||
	    !boot_is_ram(m, (top - size) & ~0xFFFULL, size))
		return ember_error(
		    -ENOMEM,
		    "%s: initrd of %llu bytes does not fit in RAM between the kernel "
		    "end 0x%llx and 0x%llx: give more --mem",
		    in->initrd_name, (unsigned long long)size, (unsigned long long)floor,
		    (unsigned long long)top);
	*addr = (top - size) & ~0xFFFULL;
	if (memmap_write(m, *addr, in->initrd, size))
		return ember_error(-EFAULT, "%s: cannot write the initrd", in->initrd_name);
	return 0;
}

/*
 * A flat 4 GiB descriptor (SDM vol. 3A 3.4.5): limit 0xFFFFF with G=1,
 * base 0, P=1, S=1, DPL 0, and the accessed bit already set in the type
 * so the CPU never writes the table.
 */
static uint64_t boot_flat_desc(uint8_t type, bool l, bool db)
{
	return 0xFFFFULL | (uint64_t)type << 40 | 1ULL << 44 /* S */ | 1ULL << 47 /* P */ |
	       0xFULL << 48 /* limit 19:16 */ | (uint64_t)l << 53 | (uint64_t)db << 54 |
	       1ULL << 55 /* G */;
}

#define BOOT_TYPE_CODE 0xB /* execute/read, accessed */
#define BOOT_TYPE_DATA 0x3 /* read/write, accessed */

int boot_write_gdt(struct memmap *m, bool long_mode)
{
	uint8_t gdt[4 * 8] = {0}; /* 0x00 and 0x08 null, as Linux's boot GDT */
	put64(gdt + BOOT_CS, boot_flat_desc(BOOT_TYPE_CODE, long_mode, !long_mode));
	put64(gdt + BOOT_DS, boot_flat_desc(BOOT_TYPE_DATA, false, true));
	if (memmap_write(m, LAYOUT_BOOT_GDT, gdt, sizeof(gdt)))
		return ember_error(-EFAULT, "boot: no RAM at 0x%llx for the GDT",
				   (unsigned long long)LAYOUT_BOOT_GDT);
	return 0;
}

int boot_write_page_tables(struct memmap *m)
{
	uint8_t page[0x1000] = {0};
	put64(page, LAYOUT_PDPT | 0x3); /* present, writable */
	int ret = memmap_write(m, LAYOUT_PML4, page, sizeof(page));
	memset(page, 0, sizeof(page));
	for (int i = 0; i < LAYOUT_PD_COUNT; i++)
		put64(page + 8 * i, (LAYOUT_PD + 0x1000ULL * i) | 0x3);
	ret = ret ?: memmap_write(m, LAYOUT_PDPT, page, sizeof(page));
	for (int i = 0; i < LAYOUT_PD_COUNT && !ret; i++) {
		for (int j = 0; j < 512; j++) /* present, writable, 2 MiB page */
			put64(page + 8 * j, (((uint64_t)i << 30) + ((uint64_t)j << 21)) | 0x83);
		ret = memmap_write(m, LAYOUT_PD + 0x1000ULL * i, page, sizeof(page));
	}
	if (ret)
		return ember_error(-EFAULT, "boot: no RAM at 0x%llx for the page tables",
				   (unsigned long long)LAYOUT_PML4);
	return 0;
}

/* The hidden part a load of a boot_flat_desc() selector produces. */
static void boot_seg_flat(struct x86_seg *sg, uint16_t sel, uint8_t type, bool l, bool db)
{
	*sg = (struct x86_seg){.base = 0,
			       .limit = 0xFFFFFFFF,
			       .sel = sel,
			       .type = type,
			       .s = 1,
			       .dpl = 0,
			       .present = 1,
			       .l = l,
			       .db = db,
			       .g = 1};
}

void boot_state_entry(struct x86_state *s, bool long_mode, uint64_t rip)
{
	/* Start from RESET for the MSRs, DRs and APIC base, then do what a
	 * firmware and boot loader would have done before the jump. */
	x86_state_reset(s);
	memset(s->gpr, 0, sizeof(s->gpr));
	s->rip = rip;
	s->rflags = X86_FLAGS_FIXED; /* IF=0 */
	s->gpr[X86_RSP] = LAYOUT_BOOT_STACK;
	s->cr0 = X86_CR0_PE | X86_CR0_ET; /* caches on: CD/NW clear */
	s->cr4 = 0;
	s->cr3 = 0;
	s->efer = 0;
	if (long_mode) {
		s->cr0 |= X86_CR0_PG;
		s->cr4 = X86_CR4_PAE;
		s->cr3 = LAYOUT_PML4;
		s->efer = X86_EFER_LME | X86_EFER_LMA;
	}
	boot_seg_flat(&s->seg[X86_CS], BOOT_CS, BOOT_TYPE_CODE, long_mode, !long_mode);
	for (int i = 0; i < X86_NR_SEGS; i++)
		if (i != X86_CS && i != X86_LDTR && i != X86_TR)
			boot_seg_flat(&s->seg[i], BOOT_DS, BOOT_TYPE_DATA, false, true);
	/* No TSS in the GDT: TR holds a busy TSS at 0 of 0x68 bytes, which is
	 * what PVH requires and what VMX entry accepts. */
	s->seg[X86_TR] = (struct x86_seg){.limit = 0x67, .type = 0xB, .present = 1};
	s->seg[X86_LDTR] = (struct x86_seg){.unusable = 1};
	s->gdt = (struct x86_dtable){.base = LAYOUT_BOOT_GDT, .limit = 4 * 8 - 1};
	s->idt = (struct x86_dtable){.base = LAYOUT_BOOT_IDT, .limit = 0};
	s->fpu.fcw = 0x37F; /* as after FNINIT, which firmware has run */
}

static bool boot_has_bzimage_sig(const uint8_t *buf, size_t len)
{
	return len >= 0x206 && !memcmp(buf + 0x202, "HdrS", 4);
}

int boot_load_kernel(struct memmap *m, const struct boot_input *in, struct x86_state *bsp)
{
	const char *name = in->kernel_name;
	const uint8_t *buf = in->kernel;
	size_t len = in->kernel_len;

	if (elf_is_elf(buf, len)) {
		struct elf_file e;
		int ret = elf_parse(name, buf, len, &e);
		if (ret)
			return ret;
		const uint8_t *desc;
		uint32_t dlen;
		ret = elf_find_note(&e, "Xen", PVH_NOTE_PHYS32_ENTRY, &desc, &dlen);
		if (ret < 0)
			return ret;
		if (ret == 1) {
			/* Linux widens the note to 8 bytes on x86-64 (_ASM_PTR);
			 * Xen documents 4.  The entry is a 32-bit address. */
			if (dlen != 4 && dlen != 8)
				return ember_error(
				    -EINVAL,
				    "%s: PVH entry note (Xen, type 18) has a %u-byte "
				    "value, expected 4 or 8",
				    name, dlen);
			if (dlen == 8 && get32(desc + 4))
				return ember_error(-EINVAL, "%s: PVH entry 0x%llx is above 4 GiB",
						   name, (unsigned long long)get64(desc));
			return pvh_load(m, in, &e, get32(desc), bsp);
		}
	}
	if (!elf_is_elf(buf, len) && boot_has_bzimage_sig(buf, len))
		return bzimage_load(m, in, bsp);
	long off = multiboot_find(name, buf, len);
	if (off >= 0)
		return multiboot_load(m, in, (size_t)off, bsp);
	if (off != -ENOENT)
		return (int)off;
	if (elf_is_elf(buf, len))
		return ember_error(-ENOEXEC,
				   "%s: ELF kernel has neither a PVH entry note (Xen, type 18) nor "
				   "a multiboot header in its first 8 KiB",
				   name);
	if (len >= 0x200 && get16(buf + 0x1FE) == 0xAA55)
		return ember_error(-ENOEXEC,
				   "%s: not a bzImage: setup header signature missing at 0x202 "
				   "(a boot sector or a pre-2.00 zImage?)",
				   name);
	return ember_error(-ENOEXEC,
			   "%s: unknown kernel format: expected a bzImage (\"HdrS\" at 0x202), an "
			   "ELF with a PVH entry note, or a multiboot kernel",
			   name);
}

int boot_load_firmware(struct memmap *m, const char *name, const uint8_t *img, size_t len,
		       struct x86_state *bsp)
{
	if (len == 0 || len % 0x1000 || len > LAYOUT_BIOS_MAX_SIZE)
		return ember_error(
		    -EINVAL,
		    "%s: firmware image is %zu bytes, must be a multiple of 4 KiB up "
		    "to %llu MiB",
		    name, len, LAYOUT_BIOS_MAX_SIZE >> 20);
	uint8_t *rom = memmap_alloc(m, len);
	if (!rom)
		return ember_error(-ENOMEM, "%s: cannot allocate %zu bytes for the firmware", name,
				   len);
	memcpy(rom, img, len);
	uint64_t gpa = LAYOUT_4G - len;
	if (memmap_add(m, "bios", gpa, len, rom, MEMREGION_ROM))
		return ember_error(-EINVAL,
				   "%s: cannot map the firmware at 0x%llx-0xffffffff: the range is "
				   "taken or the memory map is full",
				   name, (unsigned long long)gpa);
	/* The reset vector runs at the top of 4 GiB, but the BIOS then jumps
	 * to F000:xxxx: its last 128 KiB appear again below 1 MiB. */
	uint64_t low = len < LAYOUT_BIOS_LOW_SIZE ? len : LAYOUT_BIOS_LOW_SIZE;
	if (memmap_add(m, "bios-low", LAYOUT_HIMEM_START - low, low, rom + len - low,
		       MEMREGION_ROM))
		return ember_error(-EINVAL,
				   "%s: cannot alias the firmware's last %llu KiB at 0x%llx: the "
				   "range is taken (RAM?) or the memory map is full",
				   name, (unsigned long long)low >> 10,
				   (unsigned long long)(LAYOUT_HIMEM_START - low));
	x86_state_reset(bsp);
	return 0;
}

int boot_setup(struct memmap *m, const struct boot_request *req, struct x86_state *bsp)
{
	/* An empty --append is no command line at all. */
	if (!req->kernel && (req->initrd || (req->cmdline && *req->cmdline)))
		return ember_error(-EINVAL, "--%s needs --kernel",
				   req->initrd ? "initrd" : "append");
	uint8_t *img = NULL, *initrd = NULL;
	size_t len = 0, initrd_len = 0;
	int ret;
	if (req->bios) {
		/* A --kernel goes to the firmware through fw_cfg (devices/fwcfg_pc.c);
		 * the firmware may shadow itself in the BIOS area's DRAM. */
		ret = read_file(req->bios, &img, &len);
		if (!ret)
			ret = boot_load_firmware(m, req->bios, img, len, bsp);
		free(img);
		if (!ret && shadow_init(m))
			ret = ember_error(-ENOMEM, "%s: out of memory for the BIOS area's shadow RAM",
					  req->bios);
		return ret;
	}
	if (!req->kernel)
		return ember_error(-EINVAL, "nothing to boot: give --kernel or --bios");
	ret = read_file(req->kernel, &img, &len);
	if (!ret && req->initrd)
		ret = read_file(req->initrd, &initrd, &initrd_len);
	if (!ret) {
		struct boot_input in = {
		    .kernel_name = req->kernel,
		    .kernel = img,
		    .kernel_len = len,
		    .initrd_name = req->initrd,
		    .initrd = initrd,
		    .initrd_len = initrd_len,
		    .cmdline = req->cmdline ? req->cmdline : "",
		    .cpus = req->cpus > 0 ? req->cpus : 1,
		};
		ret = boot_load_kernel(m, &in, bsp);
	}
	free(img);
	free(initrd);
	return ret;
}

int boot_extract_vmlinux(const char *bzimage_path, const char *out_path)
{
	uint8_t *buf, *out = NULL;
	size_t len, out_len = 0;
	int ret = read_file(bzimage_path, &buf, &len);
	if (ret)
		return ret;
	ret = bzimage_extract(bzimage_path, buf, len, &out, &out_len);
	free(buf);
	if (ret)
		return ret;
	int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = ember_error(-errno, "%s: %s", out_path, strerror(errno));
		goto out;
	}
	size_t done = 0;
	while (done < out_len) {
		ssize_t n = write(fd, out + done, out_len - done);
		if (n < 0) {
			ret =
			    ember_error(-errno, "%s: write failed: %s", out_path, strerror(errno));
			break;
		}
		done += (size_t)n;
	}
	if (close(fd) < 0 && !ret)
		ret = ember_error(-errno, "%s: write failed: %s", out_path, strerror(errno));
out:
	free(out);
	return ret;
}
