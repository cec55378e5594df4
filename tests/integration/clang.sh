#!/usr/bin/env bash
# clang.sh - the whole tree builds warning-free (-Wall -Wextra -Werror) with
# clang as well as gcc (make test built it with the default cc already), in a
# separate build directory so nothing is shared with the gcc build.
set -u
cd "$(dirname "$0")/../.."
if ! command -v clang >/dev/null; then
	echo "SKIP clang-build: clang is not installed (scripts/install-deps.sh)"
	exit 0
fi
log=build/clang-build.log
if make -s CC=clang BUILD=build/clang -j2 all >"$log" 2>&1; then
	echo "PASS clang-build: make CC=clang all, no warnings"
else
	echo "FAIL clang-build: $(grep -m1 -E 'error|warning' "$log") (full log: $log)"
fi
