/*
 * shadow.c - shadow RAM routing of [0xC0000, 1 MiB) (see shadow.h).
 * Modes are bytes read and written atomically: vCPU threads look them up
 * while the one programming the chipset changes them; gen tells the
 * emulator to drop the page pointers it cached.
 */
#include <errno.h>

#include "shadow.h"

int shadow_init(struct memmap *m)
{
	m->shadow.ram = memmap_alloc(m, SHADOW_SIZE);
	return m->shadow.ram ? 0 : -ENOMEM;
}

void shadow_write_pam(struct memmap *m, unsigned n, uint8_t v)
{
	struct memmap_shadow *s = &m->shadow;
	if (n >= sizeof(s->pam))
		return;
	s->pam[n] = v;
	const uint8_t *pam = s->pam;
	uint8_t mode[SHADOW_SEGMENTS];
	for (unsigned n = 1; n <= 6; n++) {
		mode[2 * (n - 1)] = pam[n] & 3;
		mode[2 * (n - 1) + 1] = (pam[n] >> 4) & 3;
	}
	for (unsigned i = 12; i < SHADOW_SEGMENTS; i++) /* F segment: 64 KiB */
		mode[i] = (pam[0] >> 4) & 3;
	bool changed = false;
	for (unsigned i = 0; i < SHADOW_SEGMENTS; i++) {
		changed |= __atomic_load_n(&s->mode[i], __ATOMIC_RELAXED) != mode[i];
		__atomic_store_n(&s->mode[i], mode[i], __ATOMIC_RELAXED);
	}
	if (changed)
		__atomic_fetch_add(&s->gen, 1, __ATOMIC_RELEASE);
}

void shadow_set_a20(struct memmap *m, bool on)
{
	uint8_t off = !on;
	if (__atomic_exchange_n(&m->shadow.a20_off, off, __ATOMIC_RELAXED) != off)
		__atomic_fetch_add(&m->shadow.gen, 1, __ATOMIC_RELEASE);
}

bool shadow_covers(const struct memmap *m, uint64_t gpa, uint64_t len)
{
	return m->shadow.ram && gpa < SHADOW_START + SHADOW_SIZE && gpa + len > SHADOW_START;
}

uint8_t *shadow_ptr(const struct memmap *m, uint64_t gpa, bool write)
{
	if (!m->shadow.ram || gpa - SHADOW_START >= SHADOW_SIZE)
		return NULL;
	uint64_t off = gpa - SHADOW_START;
	uint8_t mode = __atomic_load_n(&m->shadow.mode[off / SHADOW_SEGMENT], __ATOMIC_RELAXED);
	return mode & (write ? SHADOW_WRITE : SHADOW_READ) ? m->shadow.ram + off : NULL;
}

uint8_t *shadow_range(const struct memmap *m, uint64_t gpa, uint64_t len, bool write)
{
	if (!len || gpa + len < gpa || gpa < SHADOW_START || gpa + len > SHADOW_START + SHADOW_SIZE)
		return NULL;
	for (uint64_t a = gpa & ~(SHADOW_SEGMENT - 1); a < gpa + len; a += SHADOW_SEGMENT)
		if (!shadow_ptr(m, a, write))
			return NULL;
	return m->shadow.ram + (gpa - SHADOW_START);
}

unsigned shadow_gen(const struct memmap *m)
{
	return __atomic_load_n(&m->shadow.gen, __ATOMIC_ACQUIRE);
}
