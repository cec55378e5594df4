/*
 * x86/jit_arena.h - the translator's code arena (jit_arena.c).
 */
#ifndef EMBER_X86_JIT_ARENA_H
#define EMBER_X86_JIT_ARENA_H

#include <stddef.h>
#include <stdint.h>

/* size bytes seen twice: *w read-write, *x read-execute (at near if the
 * host has room there, a hint only).  0 or -errno. */
int jit_arena_map(size_t size, void *near, uint8_t **w, uint8_t **x);
void jit_arena_unmap(size_t size, uint8_t *w, uint8_t *x);
/* Back [off, off+len) of both views before code goes there: the pages
 * allocated and mapped by two madvise calls instead of a host page fault
 * per 4 KiB on each view (one when the emitter writes, one when the host
 * first runs it).  Best effort: without MADV_POPULATE_* (Linux < 5.14)
 * the faults happen as before. */
void jit_arena_populate(uint8_t *w, uint8_t *x, size_t off, size_t len);

#endif
