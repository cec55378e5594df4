# mk/trace.mk - observability (src/trace): Zydis 4 disassembles traced
# instructions, json-c writes --stats-json and parses it back in tests.
LDLIBS += -lZydis -ljson-c
