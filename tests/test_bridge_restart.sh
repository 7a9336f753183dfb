#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_bridge_restart.sh tcp|zmq [ROUNDS] - ring -> bridge -> wire -> bridge
# -> ring across processes, the receiving bridge killed and restarted while
# messages flow:
#
#   put p1 \                                                   / get (checks)
#   put p2 -> ring A -> bridge (A -> wire) -> bridge (wire -> B) -> ring B
#
# Rounds alternate SIGKILL and SIGTERM of the receiving bridge, each
# followed by a restart with the same --name, which resumes its status
# object. At the end every line that reached B is checked: each producer's
# lines arrive once and in order, and what did not arrive is exactly what
# the receiving bridge counted lost (give or take the messages it counted
# in doubt: killed while putting one into B). Exit 0 pass, 1 fail, 77 skip.
set -u

mode=${1:-tcp}
rounds=${2:-4}
per=${BRIDGE_TEST_PER_PRODUCER:-20000}
name="test_bridge_restart $mode"
tag=${SHMRING_TEST_PREFIX:-shmt}-br$mode-$$
. "$(dirname "$0")/bridge_lib.sh"
if [ "$mode" = zmq ] && ! "$S" bridge --help | grep -q zmq+tcp; then
	echo "test_bridge_restart: SKIP: this shmring was built without ZeroMQ"
	exit 77
fi

# Below the ephemeral range (32768-60999 by default): a connect elsewhere on
# the machine (test_sock makes tens of thousands) never takes it as its
# source port, which would keep a listener from binding it.
port=$((20000 + (RANDOM * 7 + $$) % 12000))
case $mode in
tcp) wire_in=tcp:127.0.0.1:$port wire_out=tcp:127.0.0.1:$port ;;
zmq) wire_in="zmq+tcp://127.0.0.1:$port?bind" wire_out=zmq+tcp://127.0.0.1:$port ;;
*) echo "usage: $0 tcp|zmq [ROUNDS]" >&2; exit 2 ;;
esac

"$S" create --kind mpsc --slot-size 64 --capacity 4096 "$A" || fail "create $A"
"$S" create --kind mpsc --slot-size 64 --capacity 4096 "$B" || fail "create $B"

# B keeps a producer attached between the receiving bridge's lives, so that
# the consumer does not take a restart for the end of the stream. It is
# attached before anything else: a receiving bridge killed before it (a slow
# start, under a sanitizer with the CPUs busy) left B with no producer, and
# the consumer took that for the end of the stream.
mkfifo "$tmp/hold" || fail "mkfifo"
"$S" put "$B" <"$tmp/hold" &
holder=$!
pids+=("$holder")
exec 9>"$tmp/hold"
# Only the holder's input is the fifo's write end (fd 9): nothing else started
# from here keeps it, so that closing it ends B's stream at once.
within 15 field_is "$B" producers 1 || fail "the put holding B open had not attached after 15 s"

start_rx() {
	"$S" bridge --name "$tag-rx" "$wire_in" "$B" 2>>"$tmp/rx.log" 9>&- &
	rx=$!
	pids+=("$rx")
}
start_rx
sleep 0.2
"$S" bridge --name "$tag-tx" --connect-timeout 10 "$A" "$wire_out" 2>>"$tmp/tx.log" 9>&- &
tx=$!
pids+=("$tx")
"$S" get --timeout 30 "$B" >"$tmp/out.txt" 2>"$tmp/get.log" 9>&- &
getter=$!
pids+=("$getter")

# Two producers, each pacing itself so that the restarts fall mid-stream.
for p in 1 2; do
	seq 1 "$per" | awk -v p="$p" '{ print "p" p, $1; if (NR % 500 == 0) { fflush(); system("sleep 0.02") } }' |
		"$S" put "$A" 2>>"$tmp/put$p.log" 9>&- &
	eval "put$p=\$!"
	pids+=("$!")
done

for r in $(seq 1 "$rounds"); do
	sleep 0.$((2 + RANDOM % 4))
	if [ $((r % 2)) -eq 1 ]; then
		kill -9 "$rx"
	else
		kill -TERM "$rx"
	fi
	await "$rx" 15 "the receiving bridge (signalled in round $r)" 2>/dev/null
	sleep 0.$((RANDOM % 3))
	start_rx
	# This life has resumed the status object before the next signal: any
	# sooner (a slow start under a sanitizer), it would count no restart.
	within 15 field_at_least "bridge:$tag-rx" restarts "$r" ||
		fail "the receiving bridge had not resumed $r times 15 s after its restart"
done

await "$put1" 45 "producer 1" || fail "producer 1 failed"
await "$put2" 10 "producer 2" || fail "producer 2 failed"
# Everything leaves A, then the sender stops (sending its END), then the
# receiver (draining what came).
within 10 field_is "$A" count 0
sleep 0.5
kill -TERM "$tx"
await "$tx" 15 "the sending bridge (SIGTERM)" || fail "the sending bridge exited with an error"
sleep 0.5
kill -TERM "$rx"
await "$rx" 15 "the receiving bridge (SIGTERM)" || fail "the receiving bridge exited with an error"
exec 9>&- # the holder's end of input: it detaches, and B's stream ends
await "$holder" 10 "the put holding B open" || fail "the put holding B open failed"
await "$getter" 10 "the get reading B" || fail "the get reading B failed"

line=$(grep 'forwarded=' "$tmp/rx.log" | tail -1)
[ -n "$line" ] || fail "the receiving bridge printed no counts"
val() { echo "$line" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
lost=$(val lost)
dups=$(val duplicates)
doubt=$(val in_doubt)
restarts=$(val restarts)
got=$(wc -l <"$tmp/out.txt")
sent=$((2 * per))
echo "test_bridge_restart $mode: sent $sent, received $got, lost (counted) $lost," \
	"in doubt $doubt, duplicates $dups, restarts $restarts"
echo "  receiver: $line"
echo "  sender:   $(grep 'forwarded=' "$tmp/tx.log" | tail -1)"

# Each producer's lines once and in order.
awk '{ n = $2 + 0; if (n <= last[$1]) { print "producer " $1 ": " n " after " last[$1]; bad = 1 } last[$1] = n }
     END { exit bad }' "$tmp/out.txt" || fail "a line arrived twice or out of order"
[ "$restarts" -ge "$rounds" ] || fail "the receiving bridge resumed $restarts times, not $rounds"
# Nothing silently lost: what is missing was counted.
[ $((got + lost)) -le "$sent" ] || fail "received $got + lost $lost > sent $sent"
[ $((got + lost + doubt)) -ge "$sent" ] || fail "received $got + lost $lost (+ in doubt $doubt) < sent $sent: messages silently lost"
echo "test_bridge_restart $mode: PASS"
exit 0
