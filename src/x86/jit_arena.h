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

#endif
