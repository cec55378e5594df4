# mk/x86.mk - the emulator's tools and tests: sst286-check (80286 hardware
# vectors, a fast subset runs in `make test` via tests/integration/sst286.sh),
# emu-bench.  `make sst286-full` runs every recorded 80286 test;
# `make emu-bench` measures the interpreter's speed.
SST286_DIR ?= $(firstword $(wildcard ../shared/testdata/sst286 /work/shared/testdata/sst286) \
		../shared/testdata/sst286)

.PHONY: sst286-full emu-bench
sst286-full: $(BUILD)/sst286-check
	$(BUILD)/sst286-check $(SST286_DIR)

emu-bench: $(BUILD)/emu-bench
	$(BUILD)/emu-bench

TEST_DEPS += $(BUILD)/sst286-check
