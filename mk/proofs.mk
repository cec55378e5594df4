# mk/proofs.mk - proofs of the emulator: difftest (the host CPU via KVM vs the
# emulator), zydis-lencheck (decoder lengths vs Zydis), libFuzzer targets.
#   make difftest-full   1,000,000 differential cases
#   make lencheck-full   10,000,000 byte strings per mode
#   make fuzz            build the fuzzers (clang); make fuzz-run FUZZ_SECONDS=600

DIFFTEST_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/difftest/*.c))

$(BUILD)/difftest: tools/difftest.c $(DIFFTEST_OBJS) $(LIBX86)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(DIFFTEST_OBJS) $(LIBX86) $(LDLIBS) -o $@

.PHONY: difftest-full
difftest-full: $(BUILD)/difftest
	$(BUILD)/difftest --seed 20261121 --cases 1000000

TEST_DEPS += $(BUILD)/difftest

# Zydis is linked into this tool only (libzydis-dev).
$(BUILD)/zydis-lencheck: tools/zydis-lencheck.c $(LIBX86)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LIBX86) -lZydis $(LDLIBS) -o $@

.PHONY: lencheck-full
lencheck-full: $(BUILD)/zydis-lencheck
	for m in 16 32 64; do $(BUILD)/zydis-lencheck --mode $$m --count 10000000 --seed 20261121 || exit 1; done

TEST_DEPS += $(BUILD)/zydis-lencheck
