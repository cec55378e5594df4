# ember - build, test and benchmark.  GNU make, C11 (gnu11 for designated
# range initialisers in the opcode tables).  Area-specific rules live in mk/*.mk.
#
#   make            build/ember and everything the tests need
#   make test       install packages (apt), build, run every test
#   make run        install, build, fetch Debian's kernel + busybox, boot it
#   make bench      benchmarks, as ratios against peers measured in the same run

CC      ?= cc
BUILD   := build
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -fno-strict-aliasing
CPPFLAGS += -Isrc -D_GNU_SOURCE -MMD -MP
LDLIBS  += -lpthread -llzma -lz -lslirp -luring

# The emulator library includes nothing from the VMM (src/x86 only).
X86_SRCS := $(wildcard src/x86/*.c)
VMM_SRCS := $(filter-out src/main.c,$(wildcard src/*.c src/devices/*.c src/boot/*.c \
		src/kvm/*.c src/emu/*.c src/trace/*.c src/pci/*.c src/virtio/*.c src/net/*.c \
		src/block/*.c))
X86_OBJS := $(X86_SRCS:%.c=$(BUILD)/obj/%.o)
VMM_OBJS := $(VMM_SRCS:%.c=$(BUILD)/obj/%.o)
LIBX86   := $(BUILD)/libx86.a
LIBEMBER := $(BUILD)/libember.a

TEST_SRCS := $(wildcard tests/unit/test_*.c)
TESTS     := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRCS := $(wildcard tools/*.c)
TOOLS     := $(TOOL_SRCS:tools/%.c=$(BUILD)/%)

# Quiet by default, kernel style; V=1 shows the commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-7s %s\n'
endif

# Extra targets that area makefiles append to (guests, fuzzers...).
TEST_DEPS :=

.PHONY: all test run bench deps guest clean format
all: $(BUILD)/ember $(TESTS) $(TOOLS)

include $(wildcard mk/*.mk)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The emulator library includes nothing from the VMM, checked by its build:
# its include root holds x86/ only (a link to src/x86), and no source
# climbs out of its directory with a relative "../" include.
X86_INC := $(BUILD)/inc-x86
$(X86_INC)/x86:
	@mkdir -p $(X86_INC)
	$(Q)ln -sfn $(CURDIR)/src/x86 $@
$(X86_OBJS): CPPFLAGS := $(filter-out -Isrc,$(CPPFLAGS)) -I$(X86_INC)
$(X86_OBJS): | $(X86_INC)/x86
$(BUILD)/obj/src/x86/%.o: src/x86/%.c
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)! grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"\.\.' $< || \
		{ echo "$<: the emulator may not include outside src/x86" >&2; exit 1; }
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIBX86): $(X86_OBJS)
	@mkdir -p $(dir $@)
	$(say) AR $@
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIBEMBER): $(VMM_OBJS)
	@mkdir -p $(dir $@)
	$(say) AR $@
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/ember: $(BUILD)/obj/src/main.o $(LIBEMBER) $(LIBX86)
	$(say) LINK $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(LIBEMBER) $(LIBX86)
	@mkdir -p $(dir $@)
	$(say) TEST $@
	$(Q)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $< $(LIBEMBER) $(LIBX86) $(LDLIBS) -o $@

$(BUILD)/%: tools/%.c $(LIBEMBER) $(LIBX86)
	@mkdir -p $(dir $@)
	$(say) TOOL $@
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LIBEMBER) $(LIBX86) $(LDLIBS) -o $@

deps:
	@scripts/install-deps.sh

# The default guest is fetched first (apt) so the loader tests see Debian's
# real kernel; if apt is unreachable those tests say SKIP and why.
test: deps
	$(MAKE) all $(TEST_DEPS)
	-scripts/fetch-guest.sh >$(BUILD)/fetch-guest.log 2>&1 || tail -3 $(BUILD)/fetch-guest.log
	tests/run.sh

guest: deps
	scripts/fetch-guest.sh

run: deps
	$(MAKE) all
	scripts/fetch-guest.sh
	$(BUILD)/ember run --kernel guest/vmlinux --initrd guest/initramfs.cpio.gz \
		--append "console=ttyS0 reboot=k $(APPEND)"

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
