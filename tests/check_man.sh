#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# check_man.sh LIBRARY MANDIR - the manual covers the library.
#
#   - every shmring_* function the shared LIBRARY exports has a page
#     MANDIR/man3/<function>.3, and that page (or the page its .so alias
#     points to) names the function in its NAME section;
#   - every ".so" alias page points to a page that exists;
#   - no page makes groff warn (groff -man -ww), when groff is installed.
#
# Exit status: 0 all good, 1 something missing or a warning (each is named),
# 2 usage, 77 skipped (nm is not installed).
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 LIBRARY MANDIR" >&2
	exit 2
fi
lib=$1
mandir=$2

if ! command -v nm >/dev/null 2>&1; then
	echo "check_man: SKIP: nm is not installed (binutils)"
	exit 77
fi
if [ ! -f "$lib" ]; then
	echo "check_man: no such library: $lib" >&2
	exit 2
fi
if [ ! -d "$mandir/man3" ]; then
	echo "check_man: no man3 directory in $mandir" >&2
	exit 2
fi
case $lib in
/*) ;;
*) lib=$PWD/$lib ;;
esac
cd "$mandir" || exit 2

fail=0
problem() {
	echo "check_man: FAIL: $*"
	fail=1
}

# The first request of a page, if it is ".so TARGET": TARGET.
so_target() {
	awk '/^\.\\"/ { next } /^[ \t]*$/ { next }
	     { if ($1 == ".so") print $2; exit }' "$1"
}

# The page a name leads to, following .so aliases (at most 4 deep).
resolve() {
	local page=$1 t
	for _ in 1 2 3 4; do
		t=$(so_target "$page")
		[ -z "$t" ] && { echo "$page"; return 0; }
		[ -f "$t" ] || return 1
		page=$t
	done
	return 1
}

# The text of a page's NAME section (the lines up to the next .SH).
name_section() {
	awk '/^\.SH[ \t]+"?NAME"?[ \t]*$/ { on = 1; next }
	     on && /^\.SH/ { exit }
	     on { print }' "$1"
}

# 1. Every exported function has a page that names it.
if ! dyn=$(nm -D --defined-only "$lib"); then
	echo "check_man: nm cannot read the dynamic symbols of $lib" >&2
	exit 1
fi
syms=$(printf '%s\n' "$dyn" | awk '$2 ~ /^[TWi]$/ { sub(/@.*/, "", $3); print $3 }' |
	grep '^shmring_' | sort -u)
if [ -z "$syms" ]; then
	problem "$lib exports no shmring_* function"
fi
nsyms=0
for s in $syms; do
	nsyms=$((nsyms + 1))
	page=man3/$s.3
	if [ ! -f "$page" ]; then
		problem "$s has no page $mandir/$page"
		continue
	fi
	if ! real=$(resolve "$page"); then
		problem "$page: its .so alias leads to no page"
		continue
	fi
	if ! name_section "$real" | tr '\n' ' ' | sed 's/\\f[BIRP]//g; s/ \\- .*//' |
		tr ',' ' ' | grep -qw -- "$s"; then
		problem "$s: the NAME section of $real does not name it"
	fi
done

# 2. Every alias points to a page that exists; note pages without a symbol.
npages=0
nalias=0
for page in man*/*.[0-9]; do
	[ -f "$page" ] || continue
	npages=$((npages + 1))
	t=$(so_target "$page")
	if [ -n "$t" ]; then
		nalias=$((nalias + 1))
		[ -f "$t" ] || problem "$page: .so $t: no such page"
	fi
	case $page in
	man3/*)
		s=${page#man3/}
		s=${s%.3}
		printf '%s\n' "$syms" | grep -qx -- "$s" ||
			echo "check_man: note: $page: the library exports no function $s"
		;;
	esac
done

# 3. No page makes groff warn (from MANDIR, where ".so man3/x.3" resolves).
if command -v groff >/dev/null 2>&1; then
	for page in man*/*.[0-9]; do
		[ -f "$page" ] || continue
		out=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
		if [ -n "$out" ]; then
			problem "$page: groff warns:"
			printf '%s\n' "$out" | sed 's/^/    /'
		fi
	done
else
	echo "check_man: note: groff is not installed: pages not checked for warnings" \
		"(apt-get install groff-base)"
fi

echo "check_man: $nsyms exported functions, $npages pages ($nalias .so aliases)"
if [ $fail -ne 0 ]; then
	exit 1
fi
echo "check_man: OK"
exit 0
