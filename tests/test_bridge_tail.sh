#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_bridge_tail.sh - the tail of a stream over tcp: is never lost in
# silence. ring A -> bridge -> tcp: -> bridge -> ring B -> get. The receiving
# bridge is stopped (SIGSTOP), the sender forwards 500 more messages into the
# connection, the receiver is killed there and restarted, and nothing more
# comes from A: the sender, idle, learns of the dead connection only when it
# closes and sends its END. It must then connect again and send its kept
# records again, so every message arrives (or is counted lost), not
# "forwarded" by one side and missing on the other with nothing said.
# Exit 0 pass, 1 fail, 77 skip.
set -u

name=test_bridge_tail
tag=${SHMRING_TEST_PREFIX:-shmt}-brtail-$$
. "$(dirname "$0")/bridge_lib.sh"

# Wait until ring $1 holds $2 messages (at most 10 s).
wait_count() {
	within 10 field_is "$1" count "$2" ||
		fail "$1 never held $2 messages (holds $(stat_field "$1" count))"
}

# Below the ephemeral range (32768-60999 by default): a connect elsewhere on
# the machine (test_sock makes tens of thousands) never takes it as its
# source port, which would keep a listener from binding it.
port=$((20000 + (RANDOM * 7 + $$) % 12000))
"$S" create --kind mpsc --slot-size 64 --capacity 4096 "$A" || fail "create $A"
"$S" create --kind mpsc --slot-size 64 --capacity 4096 "$B" || fail "create $B"

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
start_rx
sleep 0.3
kill -TERM "$tx"
await "$tx" 15 "the sending bridge (SIGTERM)" || fail "the sending bridge exited with an error"
sleep 0.3
kill -TERM "$rx"
await "$rx" 15 "the receiving bridge (SIGTERM)" || fail "the receiving bridge exited with an error"

"$S" get -n 1500 --timeout 2 "$B" >"$tmp/out.txt" 2>"$tmp/get.log"
got=$(wc -l <"$tmp/out.txt")
line=$(grep 'forwarded=' "$tmp/rx.log" | tail -1)
lost=$(echo "$line" | sed -n 's/.* lost=\([0-9]*\).*/\1/p')
echo "test_bridge_tail: received $got of 1500, counted lost ${lost:-?}"
echo "  receiver: $line"
[ "$((got + ${lost:-0}))" -ge 1500 ] || fail "$((1500 - got)) messages missing and not counted lost"
seq 1 1500 | cmp -s - "$tmp/out.txt" || [ "${lost:-0}" -gt 0 ] ||
	fail "B does not hold 1..1500 in order"
echo "test_bridge_tail: PASS"
