# SPDX-License-Identifier: MIT
#
# tests/bridge_lib.sh - what the bridge test scripts share, sourced after
# setting `name` (the test's name in its messages) and `tag` (a prefix for
# the rings and bridges it makes): the tool in $S, rings $A and $B, a
# temporary directory $tmp, the processes in pids[] killed at exit, fail(),
# within(), await(), stat_field() and its tests.
build=${SHMRING_BUILD_DIR:-.}
S=$build/shmring
if [ ! -x "$S" ]; then
	echo "$name: SKIP: no shmring tool at $S"
	exit 77
fi
A=/$tag-a
B=/$tag-b
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	"$S" rm "$A" "$B" >/dev/null 2>&1
	rm -f "/dev/shm/shmring-bridge.$tag-rx" "/dev/shm/shmring-bridge.$tag-tx"
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "$name: FAIL: $*"
	for f in "$tmp"/*.log; do echo "--- $f"; tail -5 "$f"; done
	exit 1
}

# show_state: each process of pids[] still running (state, where it sleeps,
# and its threads' stacks where gdb is installed), and the rings' counts.
show_state() {
	local p
	for p in "${pids[@]}"; do
		[ -d "/proc/$p" ] || continue
		ps -o pid=,stat=,wchan:24=,etime=,args= -p "$p"
		if command -v gdb >/dev/null; then
			gdb -q -batch -p "$p" -ex 'thread apply all bt 12' 2>/dev/null | grep -E '^(Thread|#)'
		fi
	done
	"$S" stat "$A" 2>&1 | head -12
	"$S" stat "$B" 2>&1 | head -12
}

# within SECONDS CMD...: run CMD every 50 ms until it succeeds (0), or until
# SECONDS have passed (1).
within() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# exited PID: the process is gone, or has exited and, a zombie, waits to be
# waited for.
exited() {
	local st
	st=$(sed -n 's/^[0-9]* (.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ]
}

# await PID SECONDS WHAT: wait for a child of this shell and return its exit
# status; one still running after SECONDS fails the test, saying which step
# hung and where everything stood (not the ctest timeout, which says nothing).
await() {
	local pid=$1 secs=$2 what=$3
	if within "$secs" exited "$pid"; then
		wait "$pid"
		return
	fi
	echo "$name: $what (pid $pid) still running after $secs s"
	show_state
	fail "$what did not finish"
}

# stat_field TARGET FIELD: a number from `shmring stat --json TARGET` (a
# ring, or bridge:NAME); empty if there is none.
stat_field() {
	"$S" stat --json "$1" 2>/dev/null | sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p" | head -1
}

# field_is TARGET FIELD VALUE, field_at_least TARGET FIELD N: tests of it.
field_is() { [ "$(stat_field "$1" "$2")" = "$3" ]; }
field_at_least() {
	local v
	v=$(stat_field "$1" "$2")
	[ "${v:-0}" -ge "$3" ]
}
