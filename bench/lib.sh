# bench/lib.sh - helpers shared by bench/run.sh, bench/work64.sh and
# tests/integration/bench_rom.sh (sourced): medians, key=value fields, work64
# results, ratios and number formatting.  No measuring here.

# median: the median of the numbers on stdin, one a line (empty if none).
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "" }'; }
# field KEY: the first KEY=number on stdin.
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" | head -1; }
# result FILE: the digest of the "work64: result HEX" line in FILE (bench/work64.S
# and bench/work64.c print it), or empty.
result() { sed -n 's/^work64: result \([0-9a-f]*\)$/\1/p' "$1"; }
# ratio A B: A/B with two decimals, or "-" when either is missing.
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; else echo -; fi; }
# show X: X with three decimals, or "-".
show() { [ -n "$1" ] && printf '%.3f' "$1" || echo -; }
