/*
 * boot/acpi_fwcfg.h - ember's ACPI tables as the three fw_cfg files a
 * firmware (SeaBIOS) installs itself: etc/acpi/rsdp, etc/acpi/tables and
 * the etc/table-loader commands that place and patch them (acpi_fwcfg.c).
 */
#ifndef EMBER_BOOT_ACPI_FWCFG_H
#define EMBER_BOOT_ACPI_FWCFG_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_FWCFG_RSDP	  "etc/acpi/rsdp"
#define ACPI_FWCFG_TABLES "etc/acpi/tables"
#define ACPI_FWCFG_LOADER "etc/table-loader"

struct acpi_fwcfg {
	uint8_t *rsdp, *tables, *loader;
	size_t rsdp_len, tables_len, loader_len;
};

/* The tables acpi_write() makes for cpus CPUs, relocatable.  0 or -errno
 * (ember_error); acpi_fwcfg_free() after success. */
int acpi_fwcfg_build(int cpus, struct acpi_fwcfg *out);
void acpi_fwcfg_free(struct acpi_fwcfg *a);

#endif
