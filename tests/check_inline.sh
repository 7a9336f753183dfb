#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A program's own inline wrappers around the SPSC calls are inlined
# (tests/lane_wrapper.c), compiled at -O2: by gcc every wrapper, the bare
# ones (q_) and those that also count (c_); by clang the bare ones, which
# clang's inliner takes while it finds the counting ones just over its
# limit (docs/BENCHMARKS.md). A compiler not installed is not checked.
# usage: check_inline.sh SOURCE_DIR
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checked=0
for pair in "gcc:q_|c_" "clang:q_"; do
	cc=${pair%%:*} names=${pair#*:}
	if ! command -v "$cc" >/dev/null 2>&1; then
		echo "$cc: not installed, not checked"
		continue
	fi
	"$cc" -std=c11 -O2 -Wall -Wextra -Werror -I"$src/include" -c "$src/tests/lane_wrapper.c" \
		-o "$tmp/w.o"
	calls=$(objdump -d "$tmp/w.o" | grep -cE "call.*<($names)(enq|deq)" || true)
	if [ "$calls" != 0 ]; then
		echo "$cc: $calls calls to a wrapper left in tests/lane_wrapper.c:" >&2
		objdump -d "$tmp/w.o" | grep -E "call.*<($names)(enq|deq)" >&2
		exit 1
	fi
	echo "$cc: wrappers $names inlined"
	checked=$((checked + 1))
done
if [ "$checked" = 0 ]; then
	echo "no compiler to check with" >&2
	exit 77
fi
