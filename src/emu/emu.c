/*
 * emu/emu.c - the emulator engine: not in this build yet (being written);
 * main.c reports that clearly instead of running.
 */
#include "vm.h"

const struct engine engine_emu = { .name = "emu" };
const bool engine_emu_boots_linux = false;
