#!/usr/bin/env bash
# The library as a user gets it (ctest test_package, tests/package.cmake):
# installs the build tree BUILD into a temporary prefix, then builds and runs
# tests/package/consumer.c five ways:
#   1. find_package(shmring), shmring::shmring          (shared)
#   2. find_package(shmring), shmring::shmring_static   (static archive)
#   3. pkg-config --cflags --libs shmring                (shared)
#   4. pkg-config --static --cflags --libs shmring       (the archive with its
#      private dependencies; the system's own libraries stay shared)
#   5. add_subdirectory() of the source tree with its defaults: no C++
#      compiler needed, no tool, tests, benches or examples built, and the
#      parent's `cmake --install` installs nothing of shmring.
# Everything happens in a mktemp directory, removed at exit.
#
#   check_package.sh SOURCE_DIR BUILD_DIR [C_COMPILER [GENERATOR]]
set -euo pipefail

src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
cc=${3:-${CC:-cc}}
gen=${4:-}
jobs=${SHMRING_PACKAGE_JOBS:-2}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmring-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

step() { printf '== %s\n' "$*"; }
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}
# quiet LOG command...: run, show the log only when it fails
quiet() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 || {
		tail -n 60 "$log" >&2
		fail "$*"
	}
}
needs_libshmring_so() { # program: does it load libshmring.so at run time?
	readelf -d "$1" | grep -q 'NEEDED.*\[libshmring\.so'
}
gen_args=()
[ -n "$gen" ] && gen_args=(-G "$gen")

step "install $build into a temporary prefix"
quiet "$tmp/install.log" cmake --install "$build" --prefix "$prefix"
pc=$(find "$prefix" -name shmring.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || fail "no shmring.pc installed"
libdir=$(dirname "$(dirname "$pc")")
[ -f "$libdir/libshmring.a" ] || fail "no libshmring.a in $libdir"
[ -n "$(find "$prefix" -name shmringConfig.cmake)" ] || fail "no shmringConfig.cmake installed"

# 1, 2: find_package
step "find_package(shmring): shmring::shmring and shmring::shmring_static"
quiet "$tmp/fp.configure.log" cmake -S "$src/tests/package" -B "$tmp/fp" "${gen_args[@]}" \
	-DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" -DSHMRING_CONSUMER=package
grep -q "^shmring_DIR:PATH=$prefix/" "$tmp/fp/CMakeCache.txt" ||
	fail "find_package found another shmring: $(grep '^shmring_DIR' "$tmp/fp/CMakeCache.txt")"
quiet "$tmp/fp.build.log" cmake --build "$tmp/fp" -j "$jobs"
needs_libshmring_so "$tmp/fp/consumer_shared" || fail "consumer_shared does not use libshmring.so"
needs_libshmring_so "$tmp/fp/consumer_static" && fail "consumer_static loads libshmring.so"
"$tmp/fp/consumer_shared" || fail "find_package, shared: consumer failed"
"$tmp/fp/consumer_static" || fail "find_package, static: consumer failed"

# 3, 4: pkg-config
PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
step "pkg-config shmring: $(pkg-config --cflags --libs shmring)"
# shellcheck disable=SC2046 # the flags are words
"$cc" -std=c11 -Wall -Wextra -Werror -o "$tmp/pc_shared" "$src/tests/package/consumer.c" \
	$(pkg-config --cflags --libs shmring) || fail "pkg-config, shared: does not build"
needs_libshmring_so "$tmp/pc_shared" || fail "pc_shared does not use libshmring.so"
LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$tmp/pc_shared" ||
	fail "pkg-config, shared: consumer failed"

static_libs=$(pkg-config --static --libs shmring)
step "pkg-config --static shmring: $static_libs"
for w in -lshmring -lurcu-bp -lurcu-cds -pthread; do
	[[ " $static_libs " == *" $w "* ]] || fail "pkg-config --static --libs shmring lacks $w"
done
# The archive itself, not libshmring.so next to it; all the rest as given.
static_libs=" $static_libs "
static_libs=${static_libs// -lshmring / -l:libshmring.a }
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -Wall -Wextra -Werror -static-libgcc -o "$tmp/pc_static" \
	"$src/tests/package/consumer.c" $(pkg-config --static --cflags shmring) $static_libs ||
	fail "pkg-config, static: does not link"
needs_libshmring_so "$tmp/pc_static" && fail "pc_static loads libshmring.so"
"$tmp/pc_static" || fail "pkg-config, static: consumer failed"

# 5: add_subdirectory, with a C compiler only: any enable_language(CXX) fails.
step "add_subdirectory(shmring) with its defaults"
quiet "$tmp/sub.configure.log" cmake -S "$src/tests/package" -B "$tmp/sub" "${gen_args[@]}" \
	-DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER=/nonexistent/c++ \
	-DSHMRING_CONSUMER=subdir -DSHMRING_SOURCE_DIR="$src" -DCMAKE_INSTALL_PREFIX="$tmp/subprefix"
for o in TOOLS TESTS BENCHES EXAMPLES INSTALL; do
	grep -q "^SHMRING_BUILD_$o:BOOL=OFF\|^SHMRING_$o:BOOL=OFF" "$tmp/sub/CMakeCache.txt" ||
		fail "as a subproject, SHMRING_[BUILD_]$o is not OFF"
done
quiet "$tmp/sub.build.log" cmake --build "$tmp/sub" -j "$jobs"
built=$(cd "$tmp/sub/shmring" && find . -type f -perm -u+x ! -name '*.so*' | sort)
[ -z "$built" ] || fail "as a subproject, shmring built programs: $built"
"$tmp/sub/consumer_shared" || fail "add_subdirectory, shared: consumer failed"
"$tmp/sub/consumer_static" || fail "add_subdirectory, static: consumer failed"
quiet "$tmp/sub.install.log" cmake --install "$tmp/sub"
installed=$(cd "$tmp/subprefix" && find . ! -type d | sort | tr '\n' ' ')
[ "$installed" = "./bin/consumer_shared ./bin/consumer_static " ] ||
	fail "the parent's install holds more than its own programs: $installed"

step "all five ways work"
