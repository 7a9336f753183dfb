#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Instructions the hot paths were measured with are in the code that runs,
# x86-64 only. A compiler not installed is not checked.
#
# The SPSC consumer's read-ahead (shmring__lane_read_ahead() in
# shmring/lane.h): a prefetcht0 in the library's shmring_try_recv() or a
# function it calls, three calls deep (LIBRARY, as built: at -O2 the short
# receive may stay a function of its own, at -O0 two), and in a program's
# own receive through the lane's inline call, compiled at -O2 by gcc and by
# clang. A compiler is free to drop a __builtin_prefetch(), and GCC 12
# dropped this one without a word.
# The other kinds' producers ask for their line ahead for writing
# (shmring__mring_write_ahead() in ringbuf/mring.h, write_ahead() in
# ringbuf/msg.c): a prefetchw in each of their sends and in the
# many-producer reserve, or in what it calls, in the library as built.
# The SPSC sends read the caller's message 8 bytes a load
# (shmring__copy_in() in shmring/lane.h): no vector register in the
# library's shmring_try_send() (the SPSC short path is in its body), nor in
# a program's inline send, gcc and clang at -O2. A compiler merging those
# loads into 16-byte ones would make each message wait for the one before
# it (docs/INTERNALS.md).
# usage: check_hot_paths.sh SOURCE_DIR LIBRARY
set -euo pipefail
src=$1 lib=$2
if [ "$(uname -m)" != x86_64 ]; then
	echo "not x86-64: the check reads x86 instructions" >&2
	exit 77
fi
if ! command -v objdump >/dev/null 2>&1; then
	echo "objdump not installed" >&2
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# body FILE FUNCTION: the instructions of FUNCTION.
body() {
	objdump -d --no-show-raw-insn "$1" |
		awk -v fn="<$2>:" '$2 == fn {on = 1; next} /^[0-9a-f]+ </ {on = 0} on'
}

# prefetches FILE FUNCTION [INSN]: the INSN (prefetcht0) instructions in
# FUNCTION's body and in the bodies of the functions it calls or jumps to,
# three calls deep (where the compiler did not inline the short receive: at
# -O2 one call down, at -O0 two; a send's write-ahead at -O0 three).
callees() {
	body "$1" "$2" | sed -n 's/.*\(call\|jmp\) .*<\([A-Za-z0-9_.]*\)>.*/\2/p' |
		grep -v '@plt$' | sort -u
}
prefetches() {
	local f=$1 seen=" $2 " next=$2 insn=${3:-prefetcht0} fn callee depth
	for depth in 1 2 3; do
		local found=""
		for fn in $next; do
			for callee in $(callees "$f" "$fn"); do
				case $seen in *" $callee "*) continue ;; esac
				seen="$seen$callee "
				found="$found $callee"
			done
		done
		next=$found
	done
	for fn in $seen; do body "$f" "$fn"; done | grep -c "$insn" || true
}

n=$(prefetches "$lib" shmring_try_recv)
if [ "$n" = 0 ]; then
	echo "$lib: no prefetcht0 in shmring_try_recv or what it calls" >&2
	exit 1
fi
echo "$lib: shmring_try_recv reads ahead"

for fn in shmring__mpsc_send shmring__mpmc_send shmring__spmc_send shmring__mpsc_reserve \
	shmring__mpmc_reserve shmring__msg_send; do
	if [ "$(prefetches "$lib" "$fn" prefetchw)" = 0 ]; then
		echo "$lib: no prefetchw in $fn or what it calls" >&2
		exit 1
	fi
done
echo "$lib: the other kinds' producers write ahead"

# vectors FILE FUNCTION: the instructions of FUNCTION that use a vector register.
vectors() {
	body "$1" "$2" | grep -E '%[xyz]mm' || true
}
if [ -n "$(vectors "$lib" shmring_try_send)" ]; then
	echo "$lib: shmring_try_send moves data through a vector register; the SPSC send" \
		"reads the message 8 bytes a load (shmring__copy_in()):" >&2
	vectors "$lib" shmring_try_send >&2
	exit 1
fi
echo "$lib: the SPSC send reads the message 8 bytes a load"

cat >"$tmp/user.c" <<'C'
#include <shmring/shmring.h>
int user_recv(struct shmring_lane *l, void *msg);
int user_recv(struct shmring_lane *l, void *msg)
{
	return shmring_lane_try_recv(l, msg);
}
int user_send(struct shmring_lane *l, const void *msg);
int user_send(struct shmring_lane *l, const void *msg)
{
	return shmring_lane_try_send(l, msg);
}
C
for cc in gcc clang; do
	if ! command -v "$cc" >/dev/null 2>&1; then
		echo "$cc: not installed, not checked"
		continue
	fi
	"$cc" -std=c11 -O2 -I"$src/include" -c "$tmp/user.c" -o "$tmp/user.o"
	if [ "$(prefetches "$tmp/user.o" user_recv)" = 0 ]; then
		echo "$cc: no prefetcht0 in a receive through shmring_lane_try_recv()" >&2
		exit 1
	fi
	echo "$cc: the inline receive reads ahead"
	if [ -n "$(vectors "$tmp/user.o" user_send)" ]; then
		echo "$cc: a send through shmring_lane_try_send() moves data through a vector" \
			"register:" >&2
		vectors "$tmp/user.o" user_send >&2
		exit 1
	fi
	echo "$cc: the inline send reads the message 8 bytes a load"
done
