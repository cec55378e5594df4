# mk/x86.mk - the emulator's tools and tests: sst286-check (80286 hardware
# vectors), emu-bench.  `make sst286-full` runs every recorded 80286 test.
SST286_DIR ?= ../shared/testdata/sst286

.PHONY: sst286-full
sst286-full: $(BUILD)/sst286-check
	$(BUILD)/sst286-check $(SST286_DIR)

TEST_DEPS += $(BUILD)/sst286-check
