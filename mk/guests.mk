# mk/guests.mk - test guest programs (tests/guests/*.S) assembled with GNU as
# and ld into build/guests/: 64 KiB firmware ROMs (rom.ld) and one multiboot
# v1 ELF32 kernel.  GUEST_CC is gcc even under `make CC=clang`: the guests
# rely on GNU as 16-bit relocations.
GUEST_CC     ?= gcc
GUEST_DIR    := $(BUILD)/guests
GUEST_ROMS   := $(patsubst tests/guests/%.S,$(GUEST_DIR)/%.rom,\
		$(filter-out tests/guests/multiboot.S,$(wildcard tests/guests/*.S)))
GUEST_ELFS   := $(GUEST_DIR)/multiboot.elf
GUESTS       := $(GUEST_ROMS) $(GUEST_ELFS) $(GUEST_DIR)/kvmprobe
GUEST_FLAGS  := -nostdlib -ffreestanding -Itests/guests

TEST_DEPS += $(GUESTS)
all: $(GUESTS)

.PHONY: guests
guests: $(GUESTS)

# 64 KiB ROMs; bigrom.rom is 256 KiB (rom256.ld).
GUEST_LDS := tests/guests/rom.ld
$(GUEST_DIR)/bigrom.rom: GUEST_LDS := tests/guests/rom256.ld
$(GUEST_DIR)/%.rom: tests/guests/%.S tests/guests/lib.inc tests/guests/rom.ld tests/guests/rom256.ld
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_FLAGS) -c $< -o $(GUEST_DIR)/$*.o
	$(LD) -T $(GUEST_LDS) $(GUEST_DIR)/$*.o -o $(GUEST_DIR)/$*.rom.elf
	objcopy -O binary --gap-fill 0xff $(GUEST_DIR)/$*.rom.elf $@

$(GUEST_DIR)/multiboot.elf: tests/guests/multiboot.S tests/guests/lib.inc tests/guests/multiboot.ld
	@mkdir -p $(dir $@)
	$(GUEST_CC) -m32 $(GUEST_FLAGS) -c $< -o $(GUEST_DIR)/multiboot.o
	$(LD) -m elf_i386 --no-warn-rwx-segments -T tests/guests/multiboot.ld $(GUEST_DIR)/multiboot.o -o $@

# kvmprobe: the same ROMs on raw KVM, to tell host limits from ember bugs.
$(GUEST_DIR)/kvmprobe: tests/guests/kvmprobe.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< -o $@
