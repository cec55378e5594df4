# mk/trace.mk - observability (src/trace): Zydis 4 disassembles traced
# instructions, json-c writes --stats-json and parses it back in tests.
# `make trace-bench` (part of `make bench`) measures what observability
# costs the emulator with tracing off: ember against a build of the same
# sources with -DEMBER_NO_TRACE (TRACE_COMPILED 0), median CPU time of
# TRACE_BENCH_REPS alternating runs (CPU time) of bench/pio64.rom.  Prints ratios;
# never asserts a timing.
LDLIBS += -lZydis -ljson-c

TRACE_BENCH_DIR  := $(BUILD)/trace-bench
TRACE_BENCH_REPS ?= 7
TRACE_BENCH_ROM  := $(BUILD)/bench/pio64.rom
TRACE_BENCH_RUN  := run --accel emu --mem 128M --serial none --bios $(TRACE_BENCH_ROM)

.PHONY: trace-bench
bench: trace-bench
trace-bench: $(BUILD)/ember $(BUILD)/bench/measure $(TRACE_BENCH_ROM)
	@$(MAKE) --no-print-directory BUILD=$(TRACE_BENCH_DIR) CC="$(CC) -DEMBER_NO_TRACE" \
		$(TRACE_BENCH_DIR)/ember >/dev/null
	@m() { $(BUILD)/bench/measure "$$@" 2>&1 >/dev/null | sed -n 's/.*cpu_ms=\([0-9.]*\).*/\1/p'; }; \
	med() { sort -g | awk '{ v[NR] = $$1 } END { print v[int((NR + 1) / 2)] }'; }; \
	for i in $$(seq $(TRACE_BENCH_REPS)); do \
		m $(TRACE_BENCH_DIR)/ember $(TRACE_BENCH_RUN) >>$(TRACE_BENCH_DIR)/out.ms; \
		m $(BUILD)/ember $(TRACE_BENCH_RUN) >>$(TRACE_BENCH_DIR)/off.ms; \
		m $(BUILD)/ember $(TRACE_BENCH_RUN) --stats >>$(TRACE_BENCH_DIR)/stats.ms 2>/dev/null; \
		m $(BUILD)/ember $(TRACE_BENCH_RUN) --trace exit,pio --trace-file /dev/null \
			>>$(TRACE_BENCH_DIR)/pio.ms; \
	done; \
	out=$$(med <$(TRACE_BENCH_DIR)/out.ms) off=$$(med <$(TRACE_BENCH_DIR)/off.ms); \
	st=$$(med <$(TRACE_BENCH_DIR)/stats.ms) pio=$$(med <$(TRACE_BENCH_DIR)/pio.ms); \
	rm -f $(TRACE_BENCH_DIR)/*.ms; \
	echo "trace-bench: emu engine, bench/pio64.rom, median of $(TRACE_BENCH_REPS) runs (CPU ms, less sensitive than wall time to other load)"; \
	awk -v o="$$out" -v f="$$off" -v s="$$st" -v p="$$pio" 'BEGIN { \
		printf "  hooks compiled out     %9.1f\n", o; \
		printf "  tracing off            %9.1f  ratio %.3f (target < 1.02)\n", f, f / o; \
		printf "  --stats                %9.1f  ratio %.3f\n", s, s / o; \
		printf "  --trace exit,pio       %9.1f  ratio %.3f\n", p, p / o }'
