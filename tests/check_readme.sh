#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's quick start, exactly as shown: the C block between the
# <!-- quickstart --> markers is compiled against this build's headers and
# shared library and run; it must print what it received and exit 0.
# usage: check_readme.sh SOURCE_DIR BUILD_DIR CC
set -euo pipefail
src=$1 build=$2 cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

awk '/<!-- quickstart -->/ {on = 1; next}
     /<!-- \/quickstart -->/ {on = 0}
     on && !/^```/ {print}' "$src/README.md" >"$tmp/quickstart.c"
if [ ! -s "$tmp/quickstart.c" ]; then
	echo "README.md has no quick start between the markers" >&2
	exit 1
fi
"$cc" -std=c11 -Wall -Wextra -Werror -I"$src/include" "$tmp/quickstart.c" \
	-L"$build" -lshmring -Wl,-rpath,"$build" -o "$tmp/quickstart"
out=$("$tmp/quickstart")
echo "$out"
if [ "$out" != "received: hello" ]; then
	echo "the quick start printed '$out', not 'received: hello'" >&2
	exit 1
fi
if [ -e /dev/shm/quickstart ]; then
	echo "the quick start left /dev/shm/quickstart behind" >&2
	exit 1
fi
