# mk/bench.mk - `make bench`: bench/run.sh measures ember against a minimal
# raw KVM program (bench/rawkvm.c), QEMU and, for the emulator's speed
# workloads (work64.rom), the host CPU, in the same run, and prints a table
# of ratios.  The helpers build with `all` so -Werror covers them.
BENCH_DIR   := $(BUILD)/bench
BENCH_TOOLS := $(BENCH_DIR)/rawkvm $(BENCH_DIR)/measure $(BENCH_DIR)/work64
BENCH_ROMS  := $(BENCH_DIR)/exit.rom $(BENCH_DIR)/pio.rom $(BENCH_DIR)/pio64.rom \
	       $(BENCH_DIR)/work64.rom

# tests/integration/bench_rom.sh checks work64.rom against QEMU and the host.
TEST_DEPS += $(BENCH_DIR)/work64.rom $(BENCH_DIR)/work64
all: $(BENCH_TOOLS) $(BENCH_ROMS) $(BENCH_DIR)/blkio

bench: all
	bench/run.sh

$(BENCH_DIR)/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< -o $@

# blkio runs inside the guest (bench/blk.sh): static, nothing of ember's.
$(BENCH_DIR)/blkio: bench/blkio.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -static $< -o $@

# The loop programs of tools/emu-bench.c as .byte lines for work64.S.
$(BENCH_DIR)/loops.inc: tools/emu-bench.c bench/loops.awk
	@mkdir -p $(dir $@)
	awk -f bench/loops.awk $< >$@.tmp && mv $@.tmp $@
$(BENCH_DIR)/work64.rom: $(BENCH_DIR)/loops.inc

$(BENCH_DIR)/%.rom: bench/%.S bench/pio.S tests/guests/lib.inc tests/guests/rom.ld
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_FLAGS) -I$(BENCH_DIR) -c $< -o $(BENCH_DIR)/$*.o
	$(LD) -T tests/guests/rom.ld $(BENCH_DIR)/$*.o -o $(BENCH_DIR)/$*.rom.elf
	objcopy -O binary --gap-fill 0xff $(BENCH_DIR)/$*.rom.elf $@
-include $(wildcard $(BENCH_DIR)/*.d)
