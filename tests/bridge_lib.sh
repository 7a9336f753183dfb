# SPDX-License-Identifier: MIT
#
# tests/bridge_lib.sh - what the bridge test scripts share, sourced after
# setting `name` (the test's name in its messages) and `tag` (a prefix for
# the rings and bridges it makes): the tool in $S, rings $A and $B, a
# temporary directory $tmp, the processes in pids[] killed at exit, fail().
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
