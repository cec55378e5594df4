/* pio64.S - pio64.rom: pio.S with 64 x 50000 port writes, for the emulators. */
#define PIO_OUTER 64
#include "pio.S"
