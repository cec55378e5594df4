# mk/fw.mk - firmware ember carries: the option ROM that boots Linux from
# fw_cfg (src/fw/linuxboot.S), assembled like the test guests (GNU as,
# 16-bit, origin 0) and linked into the VMM as the bytes linuxboot_rom[].
FW_DIR := $(BUILD)/fw

$(FW_DIR)/linuxboot.bin: src/fw/linuxboot.S
	@mkdir -p $(dir $@)
	$(say) AS $<
	$(Q)$(GUEST_CC) -nostdlib -ffreestanding -c $< -o $(FW_DIR)/linuxboot.o
	$(Q)$(LD) -Ttext=0 -e 0 $(FW_DIR)/linuxboot.o -o $(FW_DIR)/linuxboot.elf
	$(Q)objcopy -O binary -j .text $(FW_DIR)/linuxboot.elf $@

$(FW_DIR)/linuxboot_blob.o: $(FW_DIR)/linuxboot.bin
	$(Q)printf '\t.section .rodata\n\t.globl linuxboot_rom, linuxboot_rom_end\nlinuxboot_rom:\n\t.incbin "%s"\nlinuxboot_rom_end:\n\t.section .note.GNU-stack,"",@progbits\n' \
		$< | $(CC) -c -x assembler - -o $@

VMM_OBJS += $(FW_DIR)/linuxboot_blob.o
