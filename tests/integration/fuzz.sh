#!/usr/bin/env bash
# tests/integration/fuzz.sh - runs each libFuzzer target (fuzz/) briefly with a
# fixed seed from the seed corpus in fuzz/corpus: PASS if nothing crashes, hangs
# or trips ASan/UBSan.  SKIP without clang/libFuzzer.  Long runs: make fuzz-run.
set -u
cd "$(dirname "$0")/../.."
# Runs per target: the decoder is fast, execution slower (~1k inputs/s).
runs_fuzz_decode=${FUZZ_RUNS:-20000}
runs_fuzz_exec=${FUZZ_RUNS:-3000}
runs_fuzz_irqchip=${FUZZ_RUNS:-20000} # ~5k inputs/s
runs_fuzz_virtq=${FUZZ_RUNS:-20000}
runs_fuzz_pci=${FUZZ_RUNS:-5000}
runs_fuzz_net=${FUZZ_RUNS:-200000}
runs_fuzz_blk=${FUZZ_RUNS:-20000}
runs_fuzz_fwcfg=${FUZZ_RUNS:-20000}

if ! command -v clang >/dev/null; then
	echo "SKIP fuzz: clang is not installed (scripts/install-deps.sh)"
	exit 0
fi
if ! make -s fuzz >build/fuzz-build.log 2>&1; then
	echo "FAIL fuzz: make fuzz failed (see build/fuzz-build.log)"
	exit 0
fi
for t in fuzz_decode fuzz_exec fuzz_irqchip fuzz_virtq fuzz_pci fuzz_net fuzz_blk fuzz_fwcfg; do
	runs_var=runs_$t
	runs=${!runs_var}
	work=$(mktemp -d)
	cp fuzz/corpus/$t/* "$work"/ 2>/dev/null
	out=$(timeout 300 build/fuzz/$t -seed=1 -runs="$runs" -timeout=10 -artifact_prefix="$work/" \
		"$work" 2>&1)
	rc=$?
	# The crash site: the UBSan line, or frame #0 of a sanitizer report.
	site=$(printf '%s\n' "$out" | grep -m1 -E 'runtime error|^ *#0 ' |
		grep -oE 'src/((x86|devices|pci|virtio|block)/)?[a-z0-9_]+\.c:[0-9]+' | head -n 1)
	crash=$(ls "$work"/crash-* "$work"/timeout-* "$work"/leak-* 2>/dev/null | head -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "PASS fuzz-$t ($runs runs)"
	else
		reason=$(printf '%s\n' "$out" | grep -m1 -E 'ERROR|runtime error|timeout|deadly' || echo "exit $rc")
		[ -n "$crash" ] && cp "$crash" build/ && crash="build/$(basename "$crash")"
		echo "FAIL fuzz-$t: $reason${site:+ at $site}; reproduce: build/fuzz/$t $crash"
	fi
	rm -rf "$work"
done
