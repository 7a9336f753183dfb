#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_bridge_tail.sh [stopped|held] - the tail of a stream over tcp: is
# never lost in silence. ring A -> bridge -> tcp: -> bridge -> ring B ->
# get. The receiving bridge dies with the last messages a sender forwarded,
# and nothing more comes from A: the sender, idle, learns of the dead
# connection only when it closes and sends its END. It must then connect
# again and send its kept records again, so every message arrives (or is
# counted lost), not "forwarded" by one side and missing on the other with
# nothing said.
#   stopped (the default): the receiver is stopped (SIGSTOP), the sender
#     forwards 500 more messages into the connection, the receiver is
#     killed there (what it never read makes its kernel reset the
#     connection) and restarted.
#   held: B is full when the last message comes; the receiver reads it and
#     waits for room with it in its own memory, and is killed there. Its
#     connection then ends with a plain close (nothing was left unread),
#     which a write does not fail on at once: the sender must look for the
#     close itself.
# Exit 0 pass, 1 fail, 77 skip.
set -u

mode=${1:-stopped}
name="test_bridge_tail $mode"
tag=${SHMRING_TEST_PREFIX:-shmt}-brtail-$$
. "$(dirname "$0")/bridge_lib.sh"

# Wait until ring $1 holds $2 messages (at most 10 s).
wait_count() {
	within 10 field_is "$1" count "$2" ||
		fail "$1 never held $2 messages (holds $(stat_field "$1" count))"
}

case $mode in
stopped) total=1500 bcap=4096 ;;
held) total=1025 bcap=1024 ;;
*) echo "usage: test_bridge_tail.sh [stopped|held]"; exit 2 ;;
esac

# Below the ephemeral range (32768-60999 by default): a connect elsewhere on
# the machine (test_sock makes tens of thousands) never takes it as its
# source port, which would keep a listener from binding it.
port=$((20000 + (RANDOM * 7 + $$) % 12000))
"$S" create --kind mpsc --slot-size 64 --capacity 4096 "$A" || fail "create $A"
"$S" create --kind mpsc --slot-size 64 --capacity "$bcap" "$B" || fail "create $B"

start_rx() {
	"$S" bridge --name "$tag-rx" "tcp:127.0.0.1:$port" "$B" 2>>"$tmp/rx.log" &
	rx=$!
	pids+=("$rx")
}
start_rx
sleep 0.2
"$S" bridge --name "$tag-tx" --connect-timeout 10 "$A" "tcp:127.0.0.1:$port" \
	2>>"$tmp/tx.log" &
tx=$!
pids+=("$tx")

: >"$tmp/out.txt"
if [ "$mode" = stopped ]; then
	# The first 1000 arrive in B and stay there (no consumer yet).
	seq 1 1000 | "$S" put "$A" || fail "put 1..1000"
	wait_count "$B" 1000
	# 500 more leave A while the receiver is stopped, then it dies with them.
	kill -STOP "$rx"
	seq 1001 1500 | "$S" put "$A" || fail "put 1001..1500"
	wait_count "$A" 0
	sleep 0.2
	kill -9 "$rx"
	kill -CONT "$rx" 2>/dev/null
	await "$rx" 15 "the receiving bridge (killed)" 2>/dev/null
else
	seq 1 1024 | "$S" put "$A" || fail "put 1..1024"
	wait_count "$B" 1024
	# B is full: the receiver takes the last message and holds it.
	echo 1025 | "$S" put "$A" || fail "put 1025"
	wait_count "$A" 0
	sleep 0.3
	kill -9 "$rx"
	await "$rx" 15 "the receiving bridge (killed)" 2>/dev/null
	# Room for the restarted receiver: the first 1024 taken out.
	"$S" get -n 1024 --timeout 2 "$B" >"$tmp/out.txt" 2>"$tmp/get1.log" ||
		fail "get 1..1024"
fi
start_rx
sleep 0.3
kill -TERM "$tx"
await "$tx" 15 "the sending bridge (SIGTERM)" || fail "the sending bridge exited with an error"
sleep 0.3
kill -TERM "$rx"
await "$rx" 15 "the receiving bridge (SIGTERM)" || fail "the receiving bridge exited with an error"

left=$((total - $(wc -l <"$tmp/out.txt")))
"$S" get -n "$left" --timeout 2 "$B" >>"$tmp/out.txt" 2>"$tmp/get.log"
got=$(wc -l <"$tmp/out.txt")
line=$(grep 'forwarded=' "$tmp/rx.log" | tail -1)
lost=$(echo "$line" | sed -n 's/.* lost=\([0-9]*\).*/\1/p')
sline=$(grep 'forwarded=' "$tmp/tx.log" | tail -1)
echo "$name: received $got of $total, counted lost ${lost:-?}"
echo "  receiver: $line"
echo "  sender: $sline"
[ "$((got + ${lost:-0}))" -ge "$total" ] || fail "$((total - got)) messages missing and not counted lost"
seq 1 "$total" | cmp -s - "$tmp/out.txt" || [ "${lost:-0}" -gt 0 ] ||
	fail "B does not hold 1..$total in order"
# The old connection was dead: the sender's counts say it connected again.
echo "$sline" | grep -q ' reconnects=[1-9]' || fail "the sender's counts show no reconnection"
echo "$name: PASS"
