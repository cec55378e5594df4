/*
 * boot/aml.c - the AML encoder (see aml.h).  Objects with a PkgLength are
 * written with a 4-byte placeholder and moved down when closed, so the
 * encoding is always the shortest one (20.2.4).
 */
#include <string.h>

#include "boot/aml.h"

#define AML_ZERO	0x00
#define AML_ONE		0x01
#define AML_NAME	0x08
#define AML_BYTE	0x0A
#define AML_WORD	0x0B
#define AML_DWORD	0x0C
#define AML_QWORD	0x0E
#define AML_SCOPE	0x10
#define AML_BUFFER	0x11
#define AML_PACKAGE	0x12
#define AML_EXT		0x5B
#define AML_DEVICE	0x82
#define AML_ROOT	'\\'
#define AML_DUAL_NAME	0x2E
#define AML_PKGLEN_ROOM 4

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->cap = cap;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->overflow || n > a->cap - a->len) {
		a->overflow = true;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

void aml_namestring(struct aml *a, const char *name)
{
	if (*name == AML_ROOT) {
		aml_byte(a, AML_ROOT);
		name++;
	}
	size_t n = strlen(name);
	if (n == 8) /* two segments: "_SB_PCI0" */
		aml_byte(a, AML_DUAL_NAME);
	aml_bytes(a, name, n);
}

void aml_name(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME);
	aml_namestring(a, name);
}

void aml_int(struct aml *a, uint64_t v)
{
	if (v == 0)
		aml_byte(a, AML_ZERO);
	else if (v == 1)
		aml_byte(a, AML_ONE);
	else if (v <= 0xFF)
		aml_byte(a, AML_BYTE), aml_le(a, v, 1);
	else if (v <= 0xFFFF)
		aml_byte(a, AML_WORD), aml_le(a, v, 2);
	else if (v <= 0xFFFFFFFFULL)
		aml_byte(a, AML_DWORD), aml_le(a, v, 4);
	else
		aml_byte(a, AML_QWORD), aml_le(a, v, 8);
}

/* Three letters of five bits ('A' = 1) and four hex digits, big-endian. */
void aml_eisaid(struct aml *a, const char id[7])
{
	unsigned v = (unsigned)(id[0] - '@') << 10 | (unsigned)(id[1] - '@') << 5 |
		     (unsigned)(id[2] - '@');
	uint8_t b[4] = {(uint8_t)(v >> 8), (uint8_t)v, 0, 0};
	for (int i = 0; i < 4; i++) {
		char c = id[3 + i];
		unsigned d = c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'A' + 10);
		b[2 + i / 2] |= (uint8_t)(d << (i % 2 ? 0 : 4));
	}
	aml_byte(a, AML_DWORD);
	aml_bytes(a, b, 4);
}

static void aml_open(struct aml *a)
{
	if (a->depth == AML_MAX_DEPTH) {
		a->overflow = true;
		return;
	}
	a->open[a->depth++] = a->len;
	aml_le(a, 0, AML_PKGLEN_ROOM);
}

void aml_scope(struct aml *a, const char *name)
{
	aml_byte(a, AML_SCOPE);
	aml_open(a);
	aml_namestring(a, name);
}

void aml_device(struct aml *a, const char *name)
{
	aml_byte(a, AML_EXT);
	aml_byte(a, AML_DEVICE);
	aml_open(a);
	aml_namestring(a, name);
}

void aml_package(struct aml *a, unsigned n)
{
	aml_byte(a, AML_PACKAGE);
	aml_open(a);
	aml_byte(a, (uint8_t)n);
}

/* A buffer's size is a TermArg after the PkgLength: closed as a WordConst. */
#define AML_BUFFER_SIZE_BYTES 3
void aml_buffer(struct aml *a)
{
	aml_byte(a, AML_BUFFER);
	aml_open(a);
	aml_le(a, 0, AML_BUFFER_SIZE_BYTES);
}

void aml_close(struct aml *a)
{
	if (a->overflow || !a->depth)
		return;
	size_t start = a->open[--a->depth];
	size_t body = a->len - start - AML_PKGLEN_ROOM;
	uint8_t *p = a->buf + start;
	if (p[-1] == AML_BUFFER) {
		size_t n = body - AML_BUFFER_SIZE_BYTES;
		p[AML_PKGLEN_ROOM] = AML_WORD;
		p[AML_PKGLEN_ROOM + 1] = (uint8_t)n;
		p[AML_PKGLEN_ROOM + 2] = (uint8_t)(n >> 8);
	}
	/* PkgLength counts itself: 1 byte up to 63, else 2-4 bytes of 4 + 8k
	 * bits with the count in the lead byte's top two bits. */
	unsigned k = body + 1 <= 63 ? 1 : body + 2 < (1u << 12) ? 2 : body + 3 < (1u << 20) ? 3 : 4;
	size_t total = body + k;
	uint8_t enc[4];
	if (k == 1) {
		enc[0] = (uint8_t)total;
	} else {
		enc[0] = (uint8_t)((k - 1) << 6 | (total & 0xF));
		for (unsigned i = 1; i < k; i++)
			enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	memmove(p + k, p + AML_PKGLEN_ROOM, body);
	memcpy(p, enc, k);
	a->len -= AML_PKGLEN_ROOM - k;
}
