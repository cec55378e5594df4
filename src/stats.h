/*
 * stats.h - the --stats table and the --stats-json file written when the
 * guest stops: how it stopped, timing, exits by reason with the time the
 * VMM spent on each, port I/O by port and device, MMIO by named range,
 * HLTs, interrupts, guest faults by vector, instructions by CPU mode.
 */
#ifndef EMBER_STATS_H
#define EMBER_STATS_H

#include <stdio.h>

struct vm;

void stats_print(struct vm *vm, FILE *f);
/* JSON, schema "ember-stats-1" (README).  0 or -errno with ember_error(). */
int stats_write_json(struct vm *vm, const char *path);

#endif
