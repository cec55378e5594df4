# loops.awk - turn the loop programs of tools/emu-bench.c (its bench_*[] byte
# arrays, one instruction per line with its disassembly in a comment) into
# GNU as .byte lines, so work64.rom runs exactly those bytes.  For each array
# NAME it defines NAME: and NAME_end:, NAME_count_at (offset of the imm32 of
# the first "mov $imm,%rcx", the loop count) and NAME_hlt_at (offset of the
# hlt that ends the program).  Not a C parser: it relies on that layout.
/^static const uint8_t bench_[a-z]+\[\] = \{$/ {
	name = $4
	sub(/\[\]/, "", name)
	count = hlt = 0
	print name ":"
	next
}
name != "" && /^};/ {
	if (!count || !hlt) {
		print "loops.awk: " name ": no loop count or hlt found" > "/dev/stderr"
		exit 1
	}
	print name "_end:"
	name = ""
	next
}
name != "" {
	if (!count && /0x48, 0xc7, 0xc1,.*mov +\$0x[0-9a-f]+,%rcx/) {
		print name "_count_at = . - " name " + 3"
		count = 1
	}
	if (!hlt && /\/\*.*: hlt *\*\//) {
		print name "_hlt_at = . - " name
		hlt = 1
	}
	sub(/[ \t]*\/\*.*/, "")
	sub(/,[ \t]*$/, "")
	sub(/^[ \t]+/, "")
	print "\t.byte " $0
}
