/*
 * boot/bzimage.c - Linux bzImage through the 64-bit boot protocol: load the
 * protected-mode kernel, build the zero page, enter at load address + 0x200
 * in long mode; and extract-vmlinux (decompress the payload).  Not the
 * 16-bit real-mode setup path, nor EFI.  Follows the Linux x86 boot
 * protocol (Documentation/arch/x86/boot.rst) and zero-page.rst.
 */
#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "boot/loaders.h"
#include "layout.h"
#include "util.h"

/* Setup header fields: offsets in the file and in struct boot_params. */
#define HDR_SETUP_SECTS	     0x1F1
#define HDR_SYSSIZE	     0x1F4
#define HDR_BOOT_FLAG	     0x1FE
#define HDR_JUMP	     0x200
#define HDR_HEADER	     0x202
#define HDR_VERSION	     0x206
#define HDR_TYPE_OF_LOADER   0x210
#define HDR_LOADFLAGS	     0x211
#define HDR_CODE32_START     0x214
#define HDR_RAMDISK_IMAGE    0x218
#define HDR_RAMDISK_SIZE     0x21C
#define HDR_CMD_LINE_PTR     0x228
#define HDR_INITRD_ADDR_MAX  0x22C
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE	     0x234
#define HDR_XLOADFLAGS	     0x236
#define HDR_CMDLINE_SIZE     0x238
#define HDR_PAYLOAD_OFFSET   0x248
#define HDR_PAYLOAD_LENGTH   0x24C
#define HDR_PREF_ADDRESS     0x258
#define HDR_INIT_SIZE	     0x260
#define HDR_MIN_END	     0x264 /* end of init_size: the fields we read */

/* struct boot_params fields outside the setup header (zero-page.rst). */
#define ZP_ACPI_RSDP_ADDR    0x070 /* boot protocol 2.14+ (struct boot_params) */
#define ZP_EXT_RAMDISK_IMAGE 0x0C0
#define ZP_EXT_RAMDISK_SIZE  0x0C4
#define ZP_EXT_CMD_LINE_PTR  0x0C8
#define ZP_E820_ENTRIES	     0x1E8
#define ZP_HDR_MAX_END	     0x290 /* the setup header area ends here */
#define ZP_E820_TABLE	     0x2D0
#define ZP_E820_MAX	     128
#define ZP_SIZE		     0x1000

#define LOADED_HIGH   0x01
#define XLF_KERNEL_64 0x01

/* 2.12 introduced xloadflags, which says whether the 64-bit entry exists. */
#define BZIMAGE_MIN_VERSION 0x020C

struct bzimage {
	size_t setup_size; /* (setup_sects + 1) * 512: where the kernel starts */
	size_t hdr_end;	   /* 0x202 + byte at 0x201 */
	uint16_t version;
};

/* Checks shared by loading and extracting. */
static int bzimage_parse(const char *name, const uint8_t *buf, size_t len, uint16_t min_version,
			 const char *why, struct bzimage *bz)
{
	if (len < HDR_HEADER + 4 || memcmp(buf + HDR_HEADER, "HdrS", 4))
		return ember_error(
		    -ENOEXEC, "%s: not a bzImage: setup header signature missing at 0x202", name);
	if (get16(buf + HDR_BOOT_FLAG) != 0xAA55)
		return ember_error(
		    -ENOEXEC, "%s: not a bzImage: boot_flag at 0x1FE is 0x%04x, expected 0xAA55",
		    name, get16(buf + HDR_BOOT_FLAG));
	bz->version = get16(buf + HDR_VERSION);
	if (bz->version < min_version)
		return ember_error(-ENOEXEC,
				   "%s: boot protocol %u.%02u is too old: ember needs %u.%02u+ %s",
				   name, bz->version >> 8, bz->version & 0xFF, min_version >> 8,
				   min_version & 0xFF, why);
	bz->hdr_end = HDR_HEADER + (size_t)buf[HDR_JUMP + 1];
	if (bz->hdr_end < HDR_MIN_END || bz->hdr_end > len)
		return ember_error(-ENOEXEC,
				   "%s: setup header ends at 0x%zx (byte at 0x201), expected "
				   "0x%x..0x%zx",
				   name, bz->hdr_end, HDR_MIN_END, len);
	unsigned sects = buf[HDR_SETUP_SECTS] ? buf[HDR_SETUP_SECTS] : 4;
	bz->setup_size = (size_t)(sects + 1) * 512;
	if (bz->setup_size >= len)
		return ember_error(-ENOEXEC,
				   "%s: truncated: the %u setup sectors end at 0x%zx but the file "
				   "is %zu bytes",
				   name, sects, bz->setup_size, len);
	return 0;
}

static bool bzimage_fits(const struct memmap *m, uint64_t addr, uint64_t need)
{
	return addr >= LAYOUT_HIMEM_START && boot_is_ram(m, addr, need);
}

int bzimage_load(struct memmap *m, const struct boot_input *in, struct x86_state *bsp)
{
	const char *name = in->kernel_name;
	const uint8_t *buf = in->kernel;
	struct bzimage bz;
	int ret = bzimage_parse(name, buf, in->kernel_len, BZIMAGE_MIN_VERSION,
				"for the 64-bit entry (Linux 3.8+)", &bz);
	if (ret)
		return ret;
	if (!(buf[HDR_LOADFLAGS] & LOADED_HIGH))
		return ember_error(-ENOEXEC, "%s: a zImage (LOADED_HIGH clear), not a bzImage",
				   name);
	if (!(get16(buf + HDR_XLOADFLAGS) & XLF_KERNEL_64))
		return ember_error(-ENOEXEC,
				   "%s: no 64-bit entry point (XLF_KERNEL_64 clear in xloadflags): "
				   "a 32-bit kernel?",
				   name);
	uint64_t kernel_len = in->kernel_len - bz.setup_size;
	uint64_t syssize = (uint64_t)get32(buf + HDR_SYSSIZE) * 16;
	if (syssize > kernel_len)
		return ember_error(
		    -ENOEXEC,
		    "%s: truncated: syssize says %llu bytes of protected-mode kernel, "
		    "the file has %llu after the setup",
		    name, (unsigned long long)syssize, (unsigned long long)kernel_len);

	/*
	 * Where to load.  The kernel needs init_size bytes from its runtime
	 * start.  A relocatable kernel runs where it is loaded (aligned up to
	 * kernel_alignment): prefer pref_address, else the lowest aligned
	 * address above 1 MiB.  A non-relocatable one moves itself to
	 * pref_address, so load it there.
	 */
	uint64_t pref = get64(buf + HDR_PREF_ADDRESS);
	uint64_t align = get32(buf + HDR_KERNEL_ALIGNMENT);
	uint64_t need = get32(buf + HDR_INIT_SIZE);
	if (need < kernel_len)
		need = kernel_len;
	uint64_t load;
	if (buf[HDR_RELOCATABLE]) {
		if (align < 0x1000 || (align & (align - 1)) || align > (1ULL << 30))
			return ember_error(-ENOEXEC,
					   "%s: kernel_alignment 0x%llx is not a power of two "
					   "between 4 KiB and 1 GiB",
					   name, (unsigned long long)align);
		load = pref > LAYOUT_HIMEM_START && pref < LAYOUT_4G ? pref : LAYOUT_HIMEM_START;
		load = (load + align - 1) & ~(align - 1);
		if (!bzimage_fits(m, load, need))
			load = (LAYOUT_HIMEM_START + align - 1) & ~(align - 1);
	} else {
		load = pref ? pref : LAYOUT_KERNEL_LOAD;
	}
	if (!bzimage_fits(m, load, need))
		return ember_error(-ENOMEM,
				   "%s: the kernel needs 0x%llx bytes (init_size) from 0x%llx, "
				   "RAM below 4 GiB ends at 0x%llx: give more --mem",
				   name, (unsigned long long)need, (unsigned long long)load,
				   (unsigned long long)memmap_low_ram_end(m));
	if (memmap_write(m, load, buf + bz.setup_size, kernel_len))
		return ember_error(-EFAULT, "%s: cannot write the kernel at 0x%llx", name,
				   (unsigned long long)load);

	uint64_t cmdline;
	ret = boot_write_cmdline(m, in, (uint64_t)get32(buf + HDR_CMDLINE_SIZE) + 1, &cmdline);
	if (ret)
		return ret;
	uint64_t initrd;
	ret = boot_place_initrd(m, in, load + need, (uint64_t)get32(buf + HDR_INITRD_ADDR_MAX) + 1,
				&initrd);
	if (ret)
		return ret;

	/* The zero page: zeroed, the image's setup header, then our fields. */
	uint8_t zp[ZP_SIZE] = {0};
	size_t hdr_end = bz.hdr_end < ZP_HDR_MAX_END ? bz.hdr_end : ZP_HDR_MAX_END;
	memcpy(zp + HDR_SETUP_SECTS, buf + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);
	zp[HDR_TYPE_OF_LOADER] = 0xFF; /* undefined loader */
	put32(zp + HDR_CODE32_START, (uint32_t)load);
	put32(zp + HDR_CMD_LINE_PTR, (uint32_t)cmdline);
	put32(zp + ZP_EXT_CMD_LINE_PTR, (uint32_t)(cmdline >> 32));
	put64(zp + ZP_ACPI_RSDP_ADDR, LAYOUT_ACPI_RSDP);
	uint64_t initrd_size = initrd ? in->initrd_len : 0;
	put32(zp + HDR_RAMDISK_IMAGE, (uint32_t)initrd);
	put32(zp + HDR_RAMDISK_SIZE, (uint32_t)initrd_size);
	put32(zp + ZP_EXT_RAMDISK_IMAGE, (uint32_t)(initrd >> 32));
	put32(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)(initrd_size >> 32));
	struct e820_entry e820[E820_MAX];
	int n = e820_build(m, e820);
	zp[ZP_E820_ENTRIES] = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		uint8_t *p = zp + ZP_E820_TABLE + 20 * i;
		put64(p, e820[i].addr);
		put64(p + 8, e820[i].size);
		put32(p + 16, e820[i].type);
	}
	if (memmap_write(m, LAYOUT_ZERO_PAGE, zp, sizeof(zp)))
		return ember_error(-EFAULT, "%s: no RAM at 0x%llx for the zero page", name,
				   (unsigned long long)LAYOUT_ZERO_PAGE);
	ret = boot_write_gdt(m, true);
	ret = ret ?: boot_write_page_tables(m);
	ret = ret ?: mptable_write(m, in->cpus);
	ret = ret ?: acpi_write(m, in->cpus);
	if (ret)
		return ret;
	boot_state_entry(bsp, true, load + 0x200);
	bsp->gpr[X86_RSI] = LAYOUT_ZERO_PAGE;
	return 0;
}

/* Upper bound on a decompressed vmlinux: refuse decompression bombs. */
#define BZIMAGE_MAX_VMLINUX (1ULL << 30)

static int bzimage_grow(uint8_t **out, size_t *cap, size_t used)
{
	if (*cap - used >= 1 << 20)
		return 0;
	if (*cap >= BZIMAGE_MAX_VMLINUX)
		return -EFBIG;
	size_t ncap = *cap ? *cap * 2 : 64 << 20;
	uint8_t *p = realloc(*out, ncap);
	if (!p)
		return -ENOMEM;
	*out = p;
	*cap = ncap;
	return 0;
}

static int bzimage_unxz(const char *name, const uint8_t *in, size_t len, bool alone, uint8_t **out,
			size_t *out_len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret lr =
	    alone ? lzma_alone_decoder(&s, UINT64_MAX) : lzma_stream_decoder(&s, UINT64_MAX, 0);
	if (lr != LZMA_OK)
		return ember_error(-ENOMEM, "%s: cannot start the xz decoder", name);
	size_t cap = 0;
	int ret = 0;
	s.next_in = in;
	s.avail_in = len;
	do {
		ret = bzimage_grow(out, &cap, s.total_out);
		if (ret)
			break;
		s.next_out = *out + s.total_out;
		s.avail_out = cap - s.total_out;
		/* LZMA_FINISH: the input is all there; trailing bytes (the
		 * kernel appends the size) end the stream without error. */
		lr = lzma_code(&s, LZMA_FINISH);
	} while (lr == LZMA_OK);
	*out_len = s.total_out;
	lzma_end(&s);
	if (ret == -EFBIG)
		return ember_error(ret, "%s: payload decompresses to more than %llu MiB", name,
				   BZIMAGE_MAX_VMLINUX >> 20);
	if (ret)
		return ember_error(ret, "%s: out of memory decompressing the payload", name);
	if (lr != LZMA_STREAM_END)
		return ember_error(-EINVAL, "%s: corrupt %s payload (liblzma error %d)", name,
				   alone ? "lzma" : "xz", (int)lr);
	return 0;
}

static int bzimage_gunzip(const char *name, const uint8_t *in, size_t len, uint8_t **out,
			  size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return ember_error(-ENOMEM, "%s: cannot start the gzip decoder", name);
	size_t cap = 0, total = 0;
	int zr = Z_OK, ret = 0;
	/* zlib counts in uInt: feed at most 1 GiB at a time. */
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)(len < (1u << 30) ? len : (1u << 30));
	while (zr == Z_OK) {
		ret = bzimage_grow(out, &cap, total);
		if (ret)
			break;
		size_t room = cap - total;
		z.next_out = *out + total;
		z.avail_out = (uInt)(room < (1u << 30) ? room : (1u << 30));
		uInt before = z.avail_out;
		zr = inflate(&z, Z_NO_FLUSH);
		total += before - z.avail_out;
		if (zr == Z_BUF_ERROR && z.avail_in == 0)
			break;
	}
	inflateEnd(&z);
	*out_len = total;
	if (ret == -EFBIG)
		return ember_error(ret, "%s: payload decompresses to more than %llu MiB", name,
				   BZIMAGE_MAX_VMLINUX >> 20);
	if (ret)
		return ember_error(ret, "%s: out of memory decompressing the payload", name);
	if (zr != Z_STREAM_END)
		return ember_error(-EINVAL, "%s: corrupt gzip payload (%s)", name,
				   z.msg ? z.msg : "truncated");
	return 0;
}

/* Payload magics (boot.rst, payload_offset). */
static const struct {
	uint8_t magic[4];
	uint8_t len;
	const char *name;
} bzimage_formats[] = {
    {.magic = {0xFD, '7', 'z', 'X'}, .len = 4, .name = "xz"},
    {.magic = {0x5D, 0x00}, .len = 2, .name = "lzma"},
    {.magic = {0x1F, 0x8B}, .len = 2, .name = "gzip"},
    {.magic = {0x1F, 0x9E}, .len = 2, .name = "gzip (old)"},
    {.magic = {'B', 'Z'}, .len = 2, .name = "bzip2"},
    {.magic = {0x02, 0x21}, .len = 2, .name = "lz4"},
    {.magic = {0x28, 0xB5, 0x2F, 0xFD}, .len = 4, .name = "zstd"},
    {.magic = {0x89, 'L', 'Z', 'O'}, .len = 4, .name = "lzo"},
};

int bzimage_extract(const char *name, const uint8_t *buf, size_t len, uint8_t **out,
		    size_t *out_len)
{
	struct bzimage bz;
	*out = NULL;
	*out_len = 0;
	int ret = bzimage_parse(name, buf, len, 0x0208, "for payload_offset", &bz);
	if (ret)
		return ret;
	uint64_t off = bz.setup_size + (uint64_t)get32(buf + HDR_PAYLOAD_OFFSET);
	uint64_t plen = get32(buf + HDR_PAYLOAD_LENGTH);
	if (!get32(buf + HDR_PAYLOAD_OFFSET) || plen == 0)
		return ember_error(-ENOEXEC, "%s: setup header has no payload (payload_offset 0)",
				   name);
	if (off > len || plen > len - off)
		return ember_error(-ENOEXEC,
				   "%s: payload (%llu bytes at 0x%llx) lies outside the file (%zu "
				   "bytes)",
				   name, (unsigned long long)plen, (unsigned long long)off, len);
	const uint8_t *p = buf + off;
	const char *fmt = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(bzimage_formats) && !fmt; i++)
		if (plen >= bzimage_formats[i].len &&
		    !memcmp(p, bzimage_formats[i].magic, bzimage_formats[i].len))
			fmt = bzimage_formats[i].name;
	if (!fmt)
		return ember_error(-ENOEXEC,
				   "%s: payload at 0x%llx has an unknown format (%02x %02x)", name,
				   (unsigned long long)off, p[0], plen > 1 ? p[1] : 0);
	if (!strcmp(fmt, "xz") || !strcmp(fmt, "lzma"))
		ret = bzimage_unxz(name, p, plen, !strcmp(fmt, "lzma"), out, out_len);
	else if (!strcmp(fmt, "gzip"))
		ret = bzimage_gunzip(name, p, plen, out, out_len);
	else
		ret = ember_error(-ENOTSUP,
				  "%s: payload is %s-compressed; extract-vmlinux handles xz, lzma "
				  "and gzip",
				  name, fmt);
	if (!ret && !elf_is_elf(*out, *out_len))
		ret = ember_error(-EINVAL, "%s: decompressed payload is not an ELF file", name);
	if (ret) {
		free(*out);
		*out = NULL;
		*out_len = 0;
	}
	return ret;
}

/* 16-bit boot protocol fields (boot.rst) only the fw_cfg path writes. */
#define HDR_VID_MODE	 0x1FA
#define HDR_HEAP_END_PTR 0x224
#define CAN_USE_HEAP	 0x80

static int bzimage_fw_layout(const struct boot_request *req, size_t file_len,
			     uint64_t low_ram_end, struct boot_fw_linux *l)
{
	const char *name = req->kernel;
	struct bzimage bz;
	/* 2.02: cmd_line_ptr; 2.03: initrd_addr_max. */
	int ret = bzimage_parse(name, l->file, file_len, 0x0203,
				"to be booted by the firmware (cmd_line_ptr, initrd_addr_max)", &bz);
	if (ret)
		return ret;
	if (!(l->file[HDR_LOADFLAGS] & LOADED_HIGH))
		return ember_error(-ENOEXEC, "%s: a zImage (LOADED_HIGH clear), not a bzImage",
				   name);
	l->setup_len = bz.setup_size;
	l->setup = malloc(l->setup_len);
	if (!l->setup)
		return ember_error(-ENOMEM, "%s: out of memory", name);
	memcpy(l->setup, l->file, l->setup_len);
	l->kernel = l->file + bz.setup_size;
	l->kernel_len = file_len - bz.setup_size;
	l->setup_addr = (uint32_t)LAYOUT_BOOT16_SETUP;
	l->kernel_addr = get32(l->setup + HDR_CODE32_START);
	if (l->kernel_addr < LAYOUT_HIMEM_START)
		l->kernel_addr = (uint32_t)LAYOUT_KERNEL_LOAD;
	uint64_t need = get32(l->setup + HDR_INIT_SIZE);
	if (need < l->kernel_len)
		need = l->kernel_len;

	const char *cmd = req->cmdline ? req->cmdline : "";
	l->cmdline_len = strlen(cmd) + 1;
	uint64_t max = bz.version >= 0x0206 ? (uint64_t)get32(l->setup + HDR_CMDLINE_SIZE) + 1 : 256;
	if (max > LAYOUT_CMDLINE_MAX)
		max = LAYOUT_CMDLINE_MAX;
	if (l->cmdline_len > max)
		return ember_error(-E2BIG,
				   "--append: command line is %zu bytes, %s accepts at most %llu",
				   l->cmdline_len - 1, name, (unsigned long long)max - 1);
	l->cmdline = strdup(cmd);
	if (!l->cmdline)
		return ember_error(-ENOMEM, "%s: out of memory", name);
	l->cmdline_addr = (uint32_t)LAYOUT_CMDLINE;

	if (req->initrd) {
		ret = read_file(req->initrd, &l->initrd, &l->initrd_len);
		if (ret)
			return ret;
		uint64_t top = (uint64_t)get32(l->setup + HDR_INITRD_ADDR_MAX) + 1;
		uint64_t ram_top = low_ram_end > LAYOUT_FW_HIGH_RESERVE
				       ? low_ram_end - LAYOUT_FW_HIGH_RESERVE
				       : 0;
		if (ram_top < top)
			top = ram_top;
		uint64_t floor = l->kernel_addr + need;
		if (l->initrd_len == 0)
			return ember_error(-EINVAL, "%s: initrd is empty", req->initrd);
		if (l->initrd_len > top || ((top - l->initrd_len) & ~0xFFFULL) < floor)
			return ember_error(-ENOMEM,
					   "%s: initrd of %zu bytes does not fit in RAM between the "
					   "kernel end 0x%llx and 0x%llx: give more --mem",
					   req->initrd, l->initrd_len, (unsigned long long)floor,
					   (unsigned long long)top);
		l->initrd_addr = (uint32_t)((top - l->initrd_len) & ~0xFFFULL);
	}
	if (l->kernel_addr + need > LAYOUT_4G || l->kernel_addr + need > low_ram_end)
		return ember_error(-ENOMEM,
				   "%s: the kernel needs 0x%llx bytes (init_size) from 0x%x, RAM "
				   "below 4 GiB ends at 0x%llx: give more --mem",
				   name, (unsigned long long)need, l->kernel_addr,
				   (unsigned long long)low_ram_end);

	/* What a boot loader writes into the header (boot.rst, "Loading the
	 * rest of the kernel"). */
	uint8_t *h = l->setup;
	h[HDR_TYPE_OF_LOADER] = 0xFF; /* undefined loader */
	h[HDR_LOADFLAGS] |= CAN_USE_HEAP;
	put16(h + HDR_HEAP_END_PTR, LAYOUT_BOOT16_HEAP_END - 0x200);
	put32(h + HDR_CMD_LINE_PTR, l->cmdline_addr);
	put32(h + HDR_RAMDISK_IMAGE, l->initrd_addr);
	put32(h + HDR_RAMDISK_SIZE, (uint32_t)l->initrd_len);
	if (get16(h + HDR_VID_MODE) == 0)
		put16(h + HDR_VID_MODE, 0xFFFF); /* "normal": never ask */
	return 0;
}

int boot_fw_linux(const struct boot_request *req, uint64_t low_ram_end, struct boot_fw_linux *out)
{
	memset(out, 0, sizeof(*out));
	size_t len = 0;
	int ret = read_file(req->kernel, &out->file, &len);
	ret = ret ?: bzimage_fw_layout(req, len, low_ram_end, out);
	if (ret)
		boot_fw_linux_free(out);
	return ret;
}

void boot_fw_linux_free(struct boot_fw_linux *l)
{
	free(l->file);
	free(l->setup);
	free(l->initrd);
	free(l->cmdline);
	memset(l, 0, sizeof(*l));
}
