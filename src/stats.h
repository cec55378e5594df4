/*
 * stats.h - the --stats table printed when the guest stops: how it stopped,
 * timing, exits by reason per vCPU, port I/O and MMIO by named range.
 */
#ifndef EMBER_STATS_H
#define EMBER_STATS_H

#include <stdio.h>

struct vm;

void stats_print(struct vm *vm, FILE *f);

#endif
