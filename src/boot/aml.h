/*
 * boot/aml.h - a small AML encoder (ACPI 6.4, 20.2) for the DSDT ember
 * writes: names, integers, strings, packages, buffers, scopes and devices,
 * with the PkgLength of each nested object patched when it is closed.
 * Writes into a caller's buffer; overflow is sticky and reported at the end.
 */
#ifndef EMBER_BOOT_AML_H
#define EMBER_BOOT_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 8

struct aml {
	uint8_t *buf;
	size_t cap, len;
	bool overflow;
	size_t open[AML_MAX_DEPTH]; /* where each open object's body starts */
	int depth;
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);
void aml_bytes(struct aml *a, const void *p, size_t n);
/* NameString: "\\_SB_", "PCI0", "_PRT" (4-character segments only). */
void aml_namestring(struct aml *a, const char *name);
/* Name (name, ...): the value follows (an integer, package, buffer...). */
void aml_name(struct aml *a, const char *name);
/* The smallest encoding of v (ZeroOp, OneOp, Byte/Word/DWord/QWordConst). */
void aml_int(struct aml *a, uint64_t v);
/* EisaId ("PNP0A03") as a DWordConst. */
void aml_eisaid(struct aml *a, const char id[7]);
/* Open Scope (name) / Device (name) / Package (n) / Buffer (): close each
 * with aml_close, which writes its PkgLength (and a buffer's size). */
void aml_scope(struct aml *a, const char *name);
void aml_device(struct aml *a, const char *name);
void aml_package(struct aml *a, unsigned n);
void aml_buffer(struct aml *a);
void aml_close(struct aml *a);

#endif
