# mk/proofs.mk - proofs of the emulator: difftest (the host CPU, under KVM or
# natively in a host process, vs the emulator), zydis-lencheck (decoder
# lengths vs Zydis, ties settled on the CPU), libFuzzer targets.
#   make difftest-full   1,000,000 differential cases
#   make lencheck-full   10,000,000 byte strings per mode
#   make fuzz            build the fuzzers (clang); make fuzz-run FUZZ_SECONDS=600

DIFFTEST_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/difftest/*.c))

$(DIFFTEST_OBJS): $(wildcard tools/difftest/*.h)

$(BUILD)/difftest: tools/difftest.c $(DIFFTEST_OBJS) $(LIBX86) $(wildcard tools/difftest/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(DIFFTEST_OBJS) $(LIBX86) $(LDLIBS) -o $@

.PHONY: difftest-full
difftest-full: $(BUILD)/difftest
	$(BUILD)/difftest --seed 20261121 --cases 1000000

TEST_DEPS += $(BUILD)/difftest

# Zydis is linked into this tool only (libzydis-dev).  The difftest's native
# engine breaks ties on the CPU.
LENCHECK_OBJS := $(addprefix $(BUILD)/obj/tools/difftest/,native.o machine.o fpu.o)
$(BUILD)/zydis-lencheck: tools/zydis-lencheck.c $(LENCHECK_OBJS) $(LIBX86)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LENCHECK_OBJS) $(LIBX86) -lZydis $(LDLIBS) -o $@

.PHONY: lencheck-full
lencheck-full: $(BUILD)/zydis-lencheck
	rc=0; for m in 16 32 64; do \
		$(BUILD)/zydis-lencheck --mode $$m --count 10000000 --seed 20261121 || rc=1; \
	done; exit $$rc

TEST_DEPS += $(BUILD)/zydis-lencheck

# libFuzzer targets: the emulator's sources built again with clang, ASan, UBSan
# and coverage instrumentation; only the fuzz target itself links libFuzzer.
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := $(BUILD)/fuzz/fuzz_decode $(BUILD)/fuzz/fuzz_exec $(BUILD)/fuzz/fuzz_irqchip \
		$(BUILD)/fuzz/fuzz_virtq $(BUILD)/fuzz/fuzz_pci $(BUILD)/fuzz/fuzz_net \
		$(BUILD)/fuzz/fuzz_blk \
		$(BUILD)/fuzz/fuzz_fwcfg
FUZZ_X86_OBJS := $(X86_SRCS:%.c=$(BUILD)/fuzz/obj/%.o)
# The interrupt controllers' models, for fuzz_irqchip (pure devices: no VMM glue).
$(BUILD)/fuzz/fuzz_irqchip: $(BUILD)/fuzz/obj/src/devices/lapic.o $(BUILD)/fuzz/obj/src/devices/ioapic.o
# The virtqueue walker on a fake guest RAM; PCI bus 0 and the virtio transport.
FUZZ_VIRTQ_OBJS := $(addprefix $(BUILD)/fuzz/obj/src/,virtio/virtqueue.o iov.o dma.o memmap.o shadow.o \
		util.o)
$(BUILD)/fuzz/fuzz_virtq: $(FUZZ_VIRTQ_OBJS)
$(BUILD)/fuzz/fuzz_pci: $(FUZZ_VIRTQ_OBJS) $(addprefix $(BUILD)/fuzz/obj/src/,pci/pci.o \
		pci/i440fx.o virtio/virtio_pci.o bus.o)
# virtio-net's transmit parser (pure: the header and the frame's bytes).
$(BUILD)/fuzz/fuzz_net: $(BUILD)/fuzz/obj/src/virtio/net_hdr.o
# The virtio-blk request parser, for fuzz_blk (pure: no queue, no backend).
$(BUILD)/fuzz/fuzz_blk: $(BUILD)/fuzz/obj/src/virtio/blkreq.o $(BUILD)/fuzz/obj/src/iov.o

# fw_cfg: the model and the device-state helpers it saves through.
$(BUILD)/fuzz/fuzz_fwcfg: $(BUILD)/fuzz/obj/src/devices/fwcfg.o $(BUILD)/fuzz/obj/src/devices/device.o
$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzz/%: fuzz/%.c $(FUZZ_X86_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer $(filter %.c %.o,$^) -o $@

.PHONY: fuzz fuzz-run
fuzz: $(FUZZ_TARGETS)

# Each target for FUZZ_SECONDS, growing a corpus in build/fuzz/corpus-NAME
# from the seeds in fuzz/corpus/NAME; crashes land in build/fuzz/.
fuzz-run: fuzz
	for t in $(FUZZ_TARGETS); do \
		n=$$(basename $$t); mkdir -p $(BUILD)/fuzz/corpus-$$n; \
		$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -artifact_prefix=$(BUILD)/fuzz/ \
			$(BUILD)/fuzz/corpus-$$n fuzz/corpus/$$n || exit 1; \
	done

-include $(shell find $(BUILD)/fuzz/obj -name '*.d' 2>/dev/null)

# Dependencies of the programs compiled and linked in one step.
-include $(BUILD)/difftest.d $(BUILD)/zydis-lencheck.d $(FUZZ_TARGETS:%=%.d)
