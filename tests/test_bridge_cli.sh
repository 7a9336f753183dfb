#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_bridge_cli.sh - `shmring bridge` used wrongly says why and exits
# non-zero (2: usage, 1: failure); used rightly with --count it stops and
# says its counts; `shmring stat bridge:NAME` shows them. ZeroMQ's schemes
# work, or say the build has none, and help lists them only when built. A
# bridge listening on unix:/PATH removes the socket file it bound as it
# exits, and no other.
# Exit 0 pass, 1 fail, 77 skip.
set -u

build=${SHMRING_BUILD_DIR:-.}
S=$build/shmring
if [ ! -x "$S" ]; then
	echo "test_bridge_cli: SKIP: no shmring tool at $S"
	exit 77
fi
tag=${SHMRING_TEST_PREFIX:-shmt}-brcli-$$
tmp=$(mktemp -d)
live=
stale=
cleanup() {
	[ -n "$live" ] && kill -9 "$live" 2>/dev/null
	"$S" rm "/$tag-a" "/$tag-b" "/$tag-c" "/$tag-m" "/$tag-d" >/dev/null 2>&1
	rm -f "/dev/shm/$tag-e" "/dev/shm/$tag-z"
	rm -f "/dev/shm/shmring-bridge.$tag" "/dev/shm/shmring-bridge.$tag-rx" \
		"/dev/shm/shmring-bridge.$tag-ln"
	for p in $stale; do rm -f "/dev/shm/shmring-bridge.$p"; done
	rm -rf "$tmp"
}
trap cleanup EXIT
bad=0

# expect STATUS PATTERN ARGS...: the exit status, and stderr matching.
expect() {
	local want=$1 pat=$2 rc
	shift 2
	timeout 20 "$S" bridge "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want" ] || ! grep -Eq -- "$pat" "$tmp/err"; then
		echo "FAIL: shmring bridge $*: exit $rc (want $want), stderr:"
		sed 's/^/    /' "$tmp/err"
		echo "    (wanted /$pat/)"
		bad=1
	else
		echo "ok: shmring bridge $* -> $rc: $(head -1 "$tmp/err")"
	fi
}

"$S" create --kind spsc --slot-size 64 --capacity 64 "/$tag-a" || exit 1
"$S" create --kind spsc --slot-size 128 --capacity 64 "/$tag-b" || exit 1
"$S" create --kind spsc --slot-size 64 --capacity 64 "/$tag-c" || exit 1
"$S" create --kind msg --slot-size 32 --capacity 4096 "/$tag-m" || exit 1

# Usage: exit 2.
expect 2 'FROM and TO are needed'
expect 2 'FROM and TO are needed' "/$tag-a"
expect 2 'too many arguments' "/$tag-a" "/$tag-c" /x
expect 2 "unknown option '--cuont'" --cuont 3 "/$tag-a" "/$tag-c"
expect 2 "--count '0'" --count 0 "/$tag-a" "/$tag-c"
expect 2 "--timeout 'x'" --timeout x "/$tag-a" "/$tag-c"
# Failures: exit 1, the URI named first.
expect 1 "/$tag-nope: no such ring" "/$tag-nope" "/$tag-c"
expect 1 "nothing/x.*" "nothing/x" "/$tag-c"
expect 1 "has 128-byte slots" "/$tag-a" "/$tag-b"
expect 1 "records of at most 32 bytes" "/$tag-a" "/$tag-m"
# A name that is not a regular file was said as a bare errno ("Bad file
# descriptor" for a FIFO or a device): said what it is, as other commands do.
mkfifo "$tmp/fifo"
expect 1 "file:$tmp/fifo: a FIFO \(named pipe\), not a shmring segment" "file:$tmp/fifo" \
	"/$tag-c"
expect 1 "file:/dev/null: a character device, not a shmring segment" "/$tag-a" file:/dev/null
# An empty and an all-zero segment (a creator that died before writing the
# header) are said as stat says them: it said the library's "full or empty,
# or still being created".
: >"/dev/shm/$tag-e"
head -c 4096 /dev/zero >"/dev/shm/$tag-z"
expect 1 "/$tag-e: empty file \(still, after waiting for its creator\)" --timeout 0.2 \
	"/$tag-e" "/$tag-c"
expect 1 "/$tag-z: the creator never finished writing the header \(all zero" --timeout 0.2 \
	"/$tag-a" "/$tag-z"
rm -f "/dev/shm/$tag-e" "/dev/shm/$tag-z"
# A name of hundreds of bytes, said whole with the reason after it (the
# message was cut at 512 bytes, then not known to be about TO).
long=$tmp/no-such-dir
while [ ${#long} -lt 700 ]; do long=$long/$(printf 'd%.0s' $(seq 200)); done
expect 1 "file:$long/ring: no such ring" --timeout 0.2 "/$tag-a" "file:$long/ring"
# A duplex was said to be "of another kind (or a ring and a synchronisation
# object were taken for each other)".
"$S" create --duplex --capacity 16 "/$tag-d" || exit 1
expect 1 "/$tag-d: a duplex: its two ends belong to the programs" "/$tag-d" "/$tag-c"
expect 1 "/$tag-d: a duplex: its two ends belong to the programs" "/$tag-a" "/$tag-d"
expect 1 "tcp:127.0.0.1:1: .*(refused|nobody)" --connect-timeout 0.2 "/$tag-a" tcp:127.0.0.1:1
expect 1 "bogus:x.*" "/$tag-a" bogus:x
expect 2 "--name 'a/b'" --name a/b "/$tag-a" "/$tag-c"
expect 1 "no message for 0.3 s: forwarded 0 of 5" --count 5 --timeout 0.3 "/$tag-a" "/$tag-c"
# One ring as FROM and TO (here by two names) would forward each message to
# itself for ever.
expect 1 "are the same ring" --timeout 0.3 "/$tag-a" "posix:/$tag-a"
# So would one socket channel, or one ZeroMQ address bound and connected to.
expect 1 "are the same channel" --timeout 0.3 tcp:127.0.0.1:7 tcp:127.0.0.1:7
expect 1 "are the same channel" --timeout 0.3 "unix:$tmp/self" "unix:$tmp/self"
# By two names: what they resolve to is compared, not their text (the
# bridge listened, connected to itself and dropped each message it had
# forwarded to itself as a duplicate, so every message went nowhere).
# A listener on a wildcard address takes in every address of this host.
expect 1 "are the same channel \(both are port 7 of 127.0.0.1" --timeout 0.3 \
	tcp:127.0.0.1:7 tcp:localhost:7
expect 1 "are the same channel" --timeout 0.3 tcp:127.0.0.1:7 tcp:127.0.0.1:007
expect 1 "are the same channel" --timeout 0.3 tcp:0.0.0.0:7 tcp:127.0.0.1:7
expect 1 "are the same channel" --timeout 0.3 tcp:0.0.0.0:7 tcp:localhost:7
expect 1 "are the same channel" --timeout 0.3 "tcp:[::]:7" tcp:127.0.0.1:7
expect 1 "are the same channel" --timeout 0.3 "tcp:[::ffff:127.0.0.1]:7" tcp:127.0.0.1:7
# Linux connects to a wildcard address as to this host.
expect 1 "are the same channel" --timeout 0.3 tcp:127.0.0.1:7 tcp:0.0.0.0:7
# An address of this host that is not loopback, where it has one.
here=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -m1 -E '^[0-9.]+$')
if [ -n "$here" ]; then
	expect 1 "are the same channel" --timeout 0.3 tcp:0.0.0.0:7 "tcp:$here:7"
fi
mkdir "$tmp/d" && ln -s "$tmp/d" "$tmp/link"
expect 1 "are the same channel \(both are the socket file " --timeout 0.3 \
	"unix:$tmp/d/self" "unix:$tmp//link/self"
expect 1 "are the same channel \(both are the abstract socket @$tag" --timeout 0.3 \
	"unix:@$tag" "unix:@$tag"
# Other addresses or ports are other channels: nobody listens there.
expect 1 "tcp:127.0.0.2:$((20000 + $$ % 9000)): .*(refused|nobody)" --connect-timeout 0.2 \
	"tcp:127.0.0.1:$((20000 + $$ % 9000))" "tcp:127.0.0.2:$((20000 + $$ % 9000))"
expect 1 "tcp:127.0.0.1:$((20001 + $$ % 9000)): .*(refused|nobody)" --connect-timeout 0.2 \
	"tcp:127.0.0.1:$((20000 + $$ % 9000))" "tcp:127.0.0.1:$((20001 + $$ % 9000))"
expect 1 "unix:@$tag-2: .*(refused|nobody)" --connect-timeout 0.2 "unix:@$tag" "unix:@$tag-2"
# SIGTERM while the first connection is still tried is a stop, as once
# running (exit 0, drained: nothing was taken); it was a failure (exit 1,
# "Connection refused").
# The signal goes to the bridge alone, once its status object shows it
# has started (its handlers are in place by then). Sent through
# timeout(1), it went to timeout's whole process group and armed its
# kill-after: under ASan a bridge that had said it stopped was killed 2 s
# later (exit 137). A bridge that would not stop within 60 s is killed
# here: it fails the check instead of holding the suite.
"$S" bridge --connect-timeout 10 "/$tag-a" "unix:@$tag-nobody" 2>"$tmp/err" &
pid=$!
for _ in $(seq 200); do
	[ -e "/dev/shm/shmring-bridge.$pid" ] && break
	sleep 0.05
done
kill -TERM "$pid"
for _ in $(seq 600); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
kill -KILL "$pid" 2>/dev/null
wait "$pid"
rc=$?
if [ "$rc" != 0 ] || ! grep -q "stopped before a connection was made" "$tmp/err"; then
	echo "FAIL: SIGTERM during the first connect: exit $rc (want 0), stderr:"
	sed 's/^/    /' "$tmp/err"
	bad=1
else
	echo "ok: SIGTERM during the first connect -> 0: $(head -1 "$tmp/err")"
fi
if "$S" bridge --help | grep -q zmq+tcp; then
	expect 1 "a PUB socket only sends" zmq-pub+tcp://127.0.0.1:5 "/$tag-c"
	expect 1 "a SUB socket only receives" "/$tag-a" zmq-sub+tcp://127.0.0.1:5
	expect 1 "not a ZeroMQ endpoint" "/$tag-a" zmq+nothing
	expect 1 "unknown option '\?bnd'" "/$tag-a" "zmq+tcp://127.0.0.1:5?bnd"
	expect 1 "cannot bind" "zmq+tcp://256.1.1.1:5?bind" "/$tag-c"
	# libzmq takes a port modulo 65536: 70000 would be port 4464.
	expect 1 "not a TCP port: '70000'" --timeout 0.3 "/$tag-a" zmq+tcp://127.0.0.1:70000
	expect 1 "not a TCP port: '-1'" --timeout 0.3 "/$tag-a" zmq+tcp://127.0.0.1:-1
	expect 1 "not a TCP port: '0'" --timeout 0.3 "/$tag-a" zmq+tcp://127.0.0.1:0
	expect 1 "are the same channel" "zmq+tcp://127.0.0.1:7?bind" zmq+tcp://127.0.0.1:7
	expect 1 "are the same channel" --timeout 0.3 "zmq+tcp://*:7" zmq+tcp://127.0.0.1:7
	expect 1 "are the same channel" --timeout 0.3 "zmq+tcp://*:7" zmq+tcp://localhost:7
	expect 1 "are the same channel" --timeout 0.3 zmq+tcp://localhost:7 "zmq-pub+tcp://*:7"
	expect 1 "are the same channel" --timeout 0.3 "zmq+tcp://lo:7?bind" zmq+tcp://127.0.0.1:7
	expect 1 "are the same channel" --timeout 0.3 "zmq+ipc://$tmp/./z?bind" "zmq+ipc://$tmp//z"
	expect 1 "are the same channel" --timeout 0.3 "zmq+ipc://@$tag?bind" "zmq+ipc://@$tag"
	expect 2 "--max-size '0'" --max-size 0 "/$tag-a" zmq+tcp://127.0.0.1:5
	expect 2 "--max-size '2G'" --max-size 2G "/$tag-a" zmq+tcp://127.0.0.1:5
	expect 1 "--max-size applies to a ZeroMQ TO only: /$tag-c" --max-size 10 "/$tag-a" "/$tag-c"
	# Without a ZeroMQ endpoint to apply to, they were ignored (exit 0).
	expect 1 "--raw applies to a ZeroMQ TO only: /$tag-c" --raw --timeout 0.3 \
		"/$tag-a" "/$tag-c"
	expect 1 "--hwm applies to ZeroMQ only" --hwm 5 --timeout 0.3 "/$tag-a" "/$tag-c"
else
	expect 1 "built without ZeroMQ" "/$tag-a" zmq+tcp://127.0.0.1:5
	expect 2 "built without ZeroMQ" --hwm 5 "/$tag-a" "/$tag-c"
	expect 2 "built without ZeroMQ" --max-size 5 "/$tag-a" "/$tag-c"
fi

# no_sock WHAT PATH: nothing is left at PATH.
no_sock() {
	if [ -e "$2" ] || [ -L "$2" ]; then
		echo "FAIL: $1: $2 is still there"
		bad=1
	else
		echo "ok: $1: $2 is gone"
	fi
}
# A bridge listening on unix:/PATH removes the socket file it bound as it
# exits: by --timeout, SIGINT or SIGTERM (it was left behind, and 'shmring
# rm' refuses any unix: name).
expect 0 "forwarded=0" --timeout 0.2 "unix:$tmp/sock" "/$tag-c"
no_sock "after --timeout" "$tmp/sock"
for sig in INT TERM; do
	"$S" bridge --timeout 10 "unix:$tmp/sock" "/$tag-c" 2>/dev/null &
	live=$!
	for _ in $(seq 100); do [ -S "$tmp/sock" ] && break; sleep 0.05; done
	kill -"$sig" "$live"
	wait "$live"
	rc=$?
	live=
	[ "$rc" = 0 ] || { echo "FAIL: a listening bridge stopped by SIG$sig: exit $rc"; bad=1; }
	no_sock "after SIG$sig" "$tmp/sock"
done
# One a killed bridge left is taken over by the next bridge there, which
# removes it in its turn.
"$S" bridge --timeout 10 "unix:$tmp/sock" "/$tag-c" 2>/dev/null &
live=$!
for _ in $(seq 100); do [ -S "$tmp/sock" ] && break; sleep 0.05; done
kill -KILL "$live"
wait "$live" 2>/dev/null
stale="$stale $live"
live=
if [ -S "$tmp/sock" ]; then echo "ok: a killed bridge left its socket file"; else
	echo "FAIL: no socket file after a killed bridge"; bad=1; fi
expect 0 "forwarded=0" --timeout 0.2 "unix:$tmp/sock" "/$tag-c"
no_sock "taken over, then its bridge ended" "$tmp/sock"
# Only the file it bound: another listener that took the path meanwhile
# (its file removed, another bound there) keeps its own.
"$S" bridge --timeout 10 "unix:$tmp/sock" "/$tag-c" 2>/dev/null &
live=$!
for _ in $(seq 100); do [ -S "$tmp/sock" ] && break; sleep 0.05; done
"$S" rm --force "unix:$tmp/sock"
"$S" bridge --timeout 10 "unix:$tmp/sock" "/$tag-m" 2>/dev/null &
other=$!
for _ in $(seq 100); do [ -S "$tmp/sock" ] && break; sleep 0.05; done
kill -TERM "$live"
wait "$live"
live=
if [ -S "$tmp/sock" ]; then echo "ok: the other listener's socket file is left"; else
	echo "FAIL: a bridge removed the socket file another listener bound"; bad=1; fi
kill -TERM "$other"
wait "$other"
no_sock "the other listener ended" "$tmp/sock"
# A second bridge on URI while one listens there: exit 1, saying PATTERN, and
# the first one's socket file stays (FILE, when there is one) until the
# first one ends. READY... succeeds once the first one listens.
against_live() { # uri pattern file ready...
	local uri=$1 pat=$2 file=$3 live
	shift 3
	timeout 10 "$S" bridge --timeout 3 "$uri" "/$tag-c" 2>/dev/null &
	live=$!
	for _ in $(seq 100); do "$@" 2>/dev/null && break; sleep 0.05; done
	expect 1 "$pat" --timeout 0.2 "$uri" "/$tag-m"
	if [ -n "$file" ] && [ ! -S "$file" ]; then
		echo "FAIL: the bridge refused on $uri removed the live one's socket file"
		bad=1
	fi
	kill $live 2>/dev/null
	wait $live 2>/dev/null
	[ -z "$file" ] || no_sock "the live bridge on $uri ended" "$file"
}
tcp_up() { (exec 3<>"/dev/tcp/127.0.0.1/$1"); }
against_live "unix:$tmp/live" "already exists" "$tmp/live" test -S "$tmp/live"
# The same with a space in the path (the kernel's table of sockets shows it
# as it is; it was read as two words, and the live listener lost its path).
against_live "unix:$tmp/live sp" "already exists" "$tmp/live sp" test -S "$tmp/live sp"
# A tcp port another listener holds is said to be in use.
# Below the ephemeral range (32768-60999 by default): a connect elsewhere on
# the machine (test_sock makes tens of thousands) never takes it as its
# source port, which would keep a listener from binding it.
port=$((20000 + (RANDOM * 7 + $$) % 12000))
against_live "tcp:127.0.0.1:$port" "tcp:127.0.0.1:$port: the address is already in use" "" \
	tcp_up "$port"

# Right: ring to ring, --count 3, with a status object and its counts.
printf 'one\ntwo\nthree\nfour\n' | "$S" put "/$tag-a"
expect 0 "forwarded=3 lost=0 duplicates=0" --name "$tag" --count 3 "/$tag-a" "/$tag-c"
got=$("$S" get -n 3 --timeout 2 "/$tag-c" | tr '\n' ' ')
if [ "$got" != "one two three " ]; then
	echo "FAIL: the ring received '$got'"
	bad=1
fi
if ! "$S" stat "bridge:$tag" | grep -q "forwarded 3, lost 0"; then
	echo "FAIL: shmring stat bridge:$tag:"
	"$S" stat "bridge:$tag"
	bad=1
fi
if ! "$S" stat --json "bridge:$tag" | grep -q '"type":"bridge".*"running":false.*"forwarded":3'; then
	echo "FAIL: shmring stat --json bridge:$tag:"
	"$S" stat --json "bridge:$tag"
	bad=1
fi
# The same name again resumes it; "four" is still in A.
expect 0 "forwarded=4 .* restarts=1" --name "$tag" --count 1 "/$tag-a" "/$tag-c"
# The strings of the status object are its writer's: one that is not UTF-8
# (its FROM forged at byte 32) went into the JSON as it was.
printf '/a\377b\0' | dd of="/dev/shm/shmring-bridge.$tag" bs=1 seek=32 conv=notrunc 2>/dev/null
"$S" stat --json "bridge:$tag" >"$tmp/out"
if ! grep -q '"from":"/a\\ufffdb"' "$tmp/out" || LC_ALL=C grep -q $'\377' "$tmp/out"; then
	echo "FAIL: shmring stat --json of a forged bridge:$tag:"
	cat -v "$tmp/out"
	bad=1
fi
if "$S" stat "bridge:$tag-none" 2>"$tmp/err" || ! grep -q "no such bridge" "$tmp/err"; then
	echo "FAIL: shmring stat of a bridge that is not there"
	bad=1
fi

# The status object of a bridge --name is kept on purpose (a restart resumes
# every sender's sequence from it), and the tool manages it: ls lists it
# with its state, rm bridge:NAME removes it while no bridge runs by that name
# and refuses while one does, and gc leaves it. A bridge without --name that
# was killed leaves a stale one, which no run resumes and gc removes. (ls did
# not list them, rm said "unknown scheme", gc ignored them.)
# check WHAT CMD...: CMD succeeds.
check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAIL: $what"
		bad=1
	fi
}
# state NAME: the STATE column of bridge:NAME in `shmring ls`.
state() {
	"$S" ls --match "bridge:$1" | awk -v n="bridge:$1" '$1 == n {print $2}'
}
is_state() { [ "$(state "$1")" = "$2" ]; }
await_state() { # NAME STATE
	for _ in $(seq 200); do is_state "$1" "$2" && return 0; sleep 0.05; done
	return 1
}
# rm_says STATUS PATTERN ARGS...: `shmring rm ARGS` exits STATUS saying PATTERN
# (an empty PATTERN: saying nothing).
rm_says() {
	local want=$1 pat=$2 rc
	shift 2
	"$S" rm "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want" ] || { [ -n "$pat" ] && ! grep -Eq -- "$pat" "$tmp/err"; } ||
		{ [ -z "$pat" ] && [ -s "$tmp/err" ]; }; then
		echo "FAIL: shmring rm $*: exit $rc (want $want), stderr:"
		sed 's/^/    /' "$tmp/err"
		echo "    (wanted /$pat/)"
		bad=1
	else
		echo "ok: shmring rm $* -> $rc: $(head -1 "$tmp/err")"
	fi
}
check "ls lists bridge:$tag as kept" is_state "$tag" kept
check "ls --json shows bridge:$tag" grep -q \
	"\"name\":\"bridge:$tag\",\"type\":\"bridge\",\"state\":\"kept\",\"running\":false" \
	<("$S" ls --json --match "bridge:$tag")
check "stat says bridge:$tag is kept" grep -q "not running; kept" <("$S" stat "bridge:$tag")
check "gc leaves bridge:$tag" grep -qx '\[\]' <("$S" gc --json --match "bridge:$tag")
check "bridge:$tag is still there" is_state "$tag" kept
"$S" bridge --name "$tag" --timeout 10 "/$tag-a" "/$tag-c" 2>/dev/null &
live=$!
check "ls lists bridge:$tag as running" await_state "$tag" running
rm_says 1 "bridge:$tag: a bridge runs by this name \(pid $live\); not removed" "bridge:$tag"
rm_says 1 "a bridge runs by this name \(pid $live\)" "/shmring-bridge.$tag"
rm_says 1 "a bridge runs by this name \(pid $live\)" --force "bridge:$tag"
check "gc leaves a running bridge:$tag" grep -qx '\[\]' <("$S" gc --json --match "bridge:$tag")
kill -TERM "$live"
wait "$live"
live=
check "bridge:$tag is kept after its bridge" is_state "$tag" kept
rm_says 0 "" "bridge:$tag"
check "ls no longer lists bridge:$tag" is_state "$tag" ""
check "stat finds no bridge:$tag" grep -q "no such bridge" <("$S" stat "bridge:$tag" 2>&1)
rm_says 1 "bridge:$tag: no such bridge" "bridge:$tag"
rm_says 1 "a bridge's name is 1..64" "bridge:a/b"
# A symbolic link under a bridge's name: never followed, and --force removes
# the link itself as it does under any name (it said "Too many levels of
# symbolic links", exit 1, even with --force).
echo keep >"$tmp/target"
ln -s "$tmp/target" "/dev/shm/shmring-bridge.$tag-ln"
rm_says 1 "a symbolic link \(never followed\)" "bridge:$tag-ln"
check "stat says bridge:$tag-ln is a symbolic link" grep -q "a symbolic link (never followed)" \
	<("$S" stat "bridge:$tag-ln" 2>&1)
rm_says 0 "removed the symbolic link itself" --force "bridge:$tag-ln"
check "the link's target is left" grep -qx keep "$tmp/target"
check "the link is gone" test ! -L "/dev/shm/shmring-bridge.$tag-ln"
# Removed, a bridge by that name begins afresh; its POSIX name removes it too.
expect 0 "forwarded=0 .* restarts=0" --name "$tag" --timeout 0.2 "/$tag-a" "/$tag-c"
rm_says 0 "" "/shmring-bridge.$tag"
check "/shmring-bridge.$tag removed" is_state "$tag" ""
# Stale: a bridge without --name (bridge:PID), killed.
"$S" bridge --timeout 10 "/$tag-a" "/$tag-c" 2>/dev/null &
live=$!
dead=$live
stale="$stale $dead"
check "ls lists bridge:$dead as running" await_state "$dead" running
kill -KILL "$live"
wait "$live" 2>/dev/null
live=
check "bridge:$dead is stale once killed" is_state "$dead" stale
check "gc --dry-run would remove bridge:$dead" grep -q "would remove bridge:$dead: stale" \
	<("$S" gc --dry-run --match "bridge:$dead")
check "bridge:$dead is still there" is_state "$dead" stale
expect 0 "forwarded=0" --name "$tag" --timeout 0.2 "/$tag-a" "/$tag-c"
check "gc removes bridge:$dead, and only it" grep -qx \
	"\[{\"name\":\"bridge:$dead\",\"removed\":true,\"dead\":\[$dead\]}\]" \
	<("$S" gc --json --match "bridge:$dead" --match "bridge:$tag")
check "bridge:$dead is gone" is_state "$dead" ""
check "bridge:$tag is kept" is_state "$tag" kept
# What goes with a kept object, said: a sender whose session had not ended
# (killed) would have its earlier messages counted lost by a new run.
"$S" bridge --name "$tag-rx" --timeout 10 "unix:$tmp/rx" "/$tag-c" 2>/dev/null &
rx=$!
printf 'x\n' | "$S" put "/$tag-a"
"$S" bridge --timeout 10 "/$tag-a" "unix:$tmp/rx" 2>/dev/null &
live=$!
stale="$stale $live"
forwarded() { # NAME N: bridge:NAME has forwarded N messages, within 10 s
	for _ in $(seq 200); do
		"$S" stat --json "bridge:$1" 2>/dev/null | grep -q "\"forwarded\":$2," && return 0
		sleep 0.05
	done
	return 1
}
check "bridge:$tag-rx forwards the sender's message" forwarded "$tag-rx" 1
kill -KILL "$live"
wait "$live" 2>/dev/null
live=
kill -TERM "$rx"
wait "$rx"
rm_says 0 "bridge:$tag-rx: removed; note: 1 sender had not ended its session" "bridge:$tag-rx"

# FROM, a file: ring, truncated under a bridge without --name (SIGBUS): it
# stops with exit 1 and says so, and its status object bridge:PID goes with
# it (it was left behind, stale, as by a killed bridge).
"$S" create --capacity 64 "file:$tmp/shrunk" || exit 1
"$S" bridge --timeout 10 "file:$tmp/shrunk" "/$tag-c" 2>"$tmp/err" &
live=$!
stale="$stale $live"
printf 'y\n' | "$S" put "file:$tmp/shrunk"
check "bridge:$live forwards" forwarded "$live" 1
truncate -s 0 "$tmp/shrunk"
wait "$live"
rc=$?
shrunk=$live
live=
if [ "$rc" != 1 ] || ! grep -q "shrank under us (SIGBUS" "$tmp/err"; then
	echo "FAIL: a bridge whose FROM shrank: exit $rc, stderr:"
	sed 's/^/    /' "$tmp/err"
	bad=1
fi
check "bridge:$shrunk left no status object" test ! -e "/dev/shm/shmring-bridge.$shrunk"
[ $bad -eq 0 ] && echo "test_bridge_cli: PASS"
exit $bad
