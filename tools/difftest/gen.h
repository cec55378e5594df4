/*
 * tools/difftest/gen.h - test-case generators of the differential tester, one
 * table of instruction forms per class.  Not a general assembler: it encodes
 * just what the tables describe.  Encodings follow the Intel SDM vol. 2, ch. 2
 * and appendix A; undefined flags follow each instruction's "Flags Affected".
 */
#ifndef DIFFTEST_GEN_H
#define DIFFTEST_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "dt.h"

struct form;
struct gen;

/* A class: a table of forms (gen_int.h) and a hook for what it uses implicitly. */
struct gen_class {
	const char *name;
	const char *what;
	const struct form *forms;
	const unsigned *nr;
	void (*hook)(struct gen *g);
	bool compat;  /* runs in 32-bit compatibility mode (CS.L=0, CS.D=1) */
	bool fp;      /* the case carries and compares the x87/SSE state (genfp.h) */
	bool claimed; /* the emulator implements it: tests/integration/difftest.sh runs it */
};

extern const struct gen_class gen_classes[];
extern const unsigned gen_nr_classes;

int gen_class_find(const char *name);

/* Deterministic: the same (seed, class, index) always gives the same case. */
void gen_case(struct dt_case *c, uint64_t seed, unsigned cls, uint64_t index);

#endif
