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

struct gen_class {
	const char *name;
	const char *what;
};

extern const struct gen_class gen_classes[];
extern const unsigned gen_nr_classes;

int gen_class_find(const char *name);
/* The class runs in 32-bit compatibility mode. */
bool gen_class_compat(unsigned cls);

/* Deterministic: the same (seed, class, index) always gives the same case. */
void gen_case(struct dt_case *c, uint64_t seed, unsigned cls, uint64_t index);

#endif
