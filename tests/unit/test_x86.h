/*
 * test_x86.h - helpers the emulator's unit tests share.
 */
#ifndef EMBER_TEST_X86_H
#define EMBER_TEST_X86_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "x86/state.h"

/* A present, flat (base 0, 4 GiB, G=1) code or data segment register. */
static inline void test_x86_seg(struct x86_seg *sg, uint16_t sel, uint8_t type, int dpl, bool db,
				bool l)
{
	memset(sg, 0, sizeof(*sg));
	sg->sel = sel;
	sg->limit = 0xFFFFFFFF;
	sg->type = type;
	sg->s = 1;
	sg->dpl = dpl;
	sg->present = 1;
	sg->db = db;
	sg->l = l;
	sg->g = 1;
}

#endif
