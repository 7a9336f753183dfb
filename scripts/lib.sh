# shellcheck shell=bash
# Shared by scripts/demo and scripts/test: install what is missing, configure, build.

SHMRING_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHMRING_JOBS=${SHMRING_JOBS:-$(nproc 2>/dev/null || echo 2)}

# Debian packages the build, the tests and the benchmarks need. The peer rings
# (DPDK rte_ring, Concurrency Kit ck_ring, boost::lockfree::spsc_queue), ZeroMQ
# and gnuplot are optional for the build; they are installed so that `shmring
# bench` can compare and plot and `shmring bridge` can speak ZeroMQ.
# clang and its runtime libraries (libFuzzer, ASan, UBSan) build the fuzzers;
# groff lets the man page check see groff's warnings.
SHMRING_PACKAGES=(cmake gcc g++ make pkg-config libcmocka-dev liburcu-dev libbenchmark-dev
                  libck-dev libdpdk-dev libboost-dev libzmq3-dev gnuplot-nox clang
                  libclang-rt-14-dev groff-base)

log() { printf '==> %s\n' "$*" >&2; }

install_deps() {
	local missing=()
	for p in "${SHMRING_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing: ${missing[*]}"
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}

# configure_build DIR [cmake args...]
# SHMRING_BUILD_TARGETS="t1 t2" builds only those targets (default: all).
configure_build() {
	local dir=$1 targets=()
	shift
	read -r -a targets <<<"${SHMRING_BUILD_TARGETS:-}"
	# The project's own builds measure the peer rings (off by default for users).
	cmake -S "$SHMRING_ROOT" -B "$dir" -DSHMRING_WERROR=ON -DSHMRING_BENCH_PEERS=ON "$@" \
		>"$dir.configure.log" 2>&1 || {
		cat "$dir.configure.log" >&2
		return 1
	}
	cmake --build "$dir" -j "$SHMRING_JOBS" ${targets[@]+--target "${targets[@]}"} \
		>"$dir.build.log" 2>&1 || {
		grep -E 'error|Error' -A3 "$dir.build.log" | head -n 60 >&2
		return 1
	}
}
