#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# cli_file_kill.sh - File backend with `shmring put` and `shmring get` from a
# shell script: put reads numbered lines from one open file (descriptor 3,
# whose offset every put shares and leaves just after the last line it sent),
# get appends to an output file; both are SIGKILLed at random moments for 20
# rounds and started again. A final put sends the rest while a final get
# drains the ring to end-of-stream.
#
# What is checked: every line of the input arrives, in order, none is cut;
# a line may arrive twice in a row, at most once per kill (a put killed
# after its send but before it moved the offset sends that line again; a get
# killed after its write but before its release writes that message again).
# Skipped (77) when the tool is not built. Usage: cli_file_kill.sh [SEED]
set -u

tool="${SHMRING_BUILD_DIR:-}/shmring"
if [ -z "${SHMRING_BUILD_DIR:-}" ] || [ ! -x "$tool" ]; then
	echo "SKIP: the shmring tool is not built (SHMRING_BUILD_DIR='${SHMRING_BUILD_DIR:-}')"
	exit 77
fi
dir=$(mktemp -d /tmp/shmring-test-cli-kill-XXXXXX) || exit 1
running=()
cleanup() {
	for p in "${running[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	for f in put.err get.err; do
		[ -s "$dir/$f" ] && { echo "--- $f (last lines)"; tail -n 5 "$dir/$f"; }
	done
	exit 1
}

seed=${1:-$(( $$ ^ $(date +%s) ))}
RANDOM=$seed
echo "seed $seed (run again with: $0 $seed)"

ring="file:$dir/ring"
lines=1000000
rounds=20
"$tool" create --kind spsc --slot-size 32 --capacity 64 "$ring" || fail "create $ring"
seq 1 "$lines" | awk '{ printf "line-%07d\n", $1 }' >"$dir/in" || fail "making the input"
exec 3<"$dir/in"
: >"$dir/out"

# A random pause of 10..200 ms.
pause() {
	sleep "0.$(printf '%03d' $(( 10 + RANDOM % 190 )))"
}

# Wait until the put $1 has attached: a get started before that would find
# the ring at end-of-stream (the last put's death) and end at once.
attached() {
	for ((i = 0; i < 500; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		"$tool" stat --json "$ring" 2>/dev/null | grep -q '"producers":1,' && return 0
		sleep 0.01
	done
	fail "put did not attach within 5 s"
}

# Start a put (behind the command words given, if any), wait for it to
# attach, then a get; their pids in $put and $get.
start() {
	"$@" "$tool" put "$ring" <&3 2>>"$dir/put.err" &
	put=$!
	running=("$put")
	attached "$put"
	"$tool" get "$ring" >>"$dir/out" 2>>"$dir/get.err" &
	get=$!
	running=("$put" "$get")
}

kills=0
# (bash's notes on the jobs it finds killed go nowhere: the kills are meant)
exec 4>&2 2>/dev/null
for ((round = 1; round <= rounds; round++)); do
	start
	# Kill one, then the other, each at its own random moment.
	if (( RANDOM % 2 )); then first=$put second=$get; else first=$get second=$put; fi
	pause
	kill -9 "$first" 2>/dev/null && kills=$((kills + 1))
	pause
	kill -9 "$second" 2>/dev/null && kills=$((kills + 1))
	wait "$put" "$get"
	running=()
done
exec 2>&4 4>&-
echo "$rounds rounds, $kills kills, $(wc -l <"$dir/out") lines received so far"

# The rest: get drains to end-of-stream once the last put has closed.
start timeout 90
wait "$put" || fail "the last put failed ($?)"
for ((i = 0; i < 300; i++)); do
	kill -0 "$get" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$get" 2>/dev/null && fail "the last get did not end at end-of-stream"
wait "$get" || fail "the last get failed"
running=()
exec 3<&-

# Every line whole, in order, each input line present; duplicates only
# next to their first copy, at most one per kill. One exception: a get
# killed inside its write() of a line that straddles a page of the output
# file leaves the first part of it (the kernel stops a write between pages
# for a fatal signal); the message was not released, so the next get writes
# it again whole, and the fragment is followed at once by that line. Such a
# fragment counts as one of the kill's duplicates; any other cut fails.
awk -v n="$lines" -v kills="$kills" '
	!/^line-[0-9][0-9][0-9][0-9][0-9][0-9][0-9]$/ {
		whole = substr($0, length($0) - 11)
		frag = substr($0, 1, length($0) - 12)
		if (whole ~ /^line-[0-9][0-9][0-9][0-9][0-9][0-9][0-9]$/ && frag != "" &&
		    index(whole, frag) == 1 && length(frag) < 12) {
			cuts++
			$0 = whole
		} else {
			print "cut or foreign line " NR ": " $0; bad = 1; exit
		}
	}
	{
		v = substr($0, 6) + 0
		if (v == last) { dups++; next }
		if (v != last + 1) { print "line " NR ": " v " after " last; bad = 1; exit }
		last = v
	}
	END {
		if (bad) exit 1
		if (last != n) { print "received up to " last " of " n; exit 1 }
		if (dups + cuts > kills) { print dups " duplicates and " cuts " cut writes for " kills " kills"; exit 1 }
		print "all " n " lines in order, " dups + 0 " duplicate(s) and " cuts + 0 " cut write(s) for " kills " kills"
	}' "$dir/out" || fail "the output is not the input"
exit 0
