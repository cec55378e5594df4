/*
 * x86/jit.h - the translator's hooks in the run loop (jit.c): the dispatcher
 * that runs translated blocks in place of cpu_burst, and the invalidation
 * the self-modifying-code machinery calls.  Emulator-internal.
 */
#ifndef EMBER_X86_JIT_H
#define EMBER_X86_JIT_H

#include "x86/cpu.h"

/* Run translated 64-bit code for up to budget instructions; 0 when the
 * instruction at RIP is not for the translator (cpu_step takes it). */
uint64_t jit_burst(struct x86_cpu *cpu, uint64_t budget);
/* Guest-physical [gpa, gpa+len) of c was written (len 0: maybe all of it)
 * by cpu c (self) or another thread: its blocks there die before c runs
 * another block. */
void jit_written(struct x86_cpu *c, bool self, uint64_t gpa, unsigned len);
/* Drop every block (from the CPU's own thread, outside translated code). */
void jit_flush(struct x86_cpu *cpu);
/* The mode the environment asks for (EMBER_EMU_MODE), at CPU creation. */
void jit_default_mode(struct x86_cpu *cpu);
void jit_free(struct x86_cpu *cpu);

#endif
