# Tests of the `shmring bench` harness (src/bench/): the histogram against a
# sorted reference, every mechanism (of the table and of the scaling runs) in
# a tiny run with its payloads verified, and the tool's JSON/CSV output, with
# --scaling too. All short: label fast. The two that run mechanisms are
# labelled bench too: they measure in forked processes, which ThreadSanitizer
# does not relate, and their threads are the bridge's and the socket
# channel's, which the TSan build tests in test_bridge_engine and test_sock;
# so that build leaves them out (scripts/test). The others run them.
include(${PROJECT_SOURCE_DIR}/cmake/ShmringPeers.cmake)

set(SHMRING_BENCH_SOURCES
  ../src/bench/floor.c ../src/bench/hist.c ../src/bench/measure.c
  ../src/bench/mech_fd.c ../src/bench/mech_ipc.c ../src/bench/mech_ring.c
  ../src/bench/mech_sock.c ../src/cli/bridge.c
  ../src/bench/mechs.c ../src/bench/pair.c ../src/bench/payload.c
  ../src/bench/plot.c ../src/bench/report.c ../src/bench/ring_peers.c
  ../src/bench/ring_shmring.c ../src/bench/rings.c ../src/bench/run.c
  ../src/bench/scale.c ../src/bench/scale_mechs.c ../src/bench/scale_report.c
  ../src/bench/timing.c)

shmring_test(test_bench_hist SOURCES test_bench_hist.c ../src/bench/hist.c
             LABELS fast TIMEOUT 60 LIBS m)

shmring_test(test_bench_mechs SOURCES test_bench_mechs.c ${SHMRING_BENCH_SOURCES}
             LABELS fast bench TIMEOUT 180 LIBS m rt)
if(SHMRING_HAVE_DPDK_RING)
  target_link_libraries(test_bench_mechs PRIVATE shmring_peer_dpdk)
  target_compile_definitions(test_bench_mechs PRIVATE SHMRING_HAVE_DPDK_RING=1)
endif()
if(SHMRING_HAVE_CK)
  target_link_libraries(test_bench_mechs PRIVATE shmring_peer_ck)
  target_compile_definitions(test_bench_mechs PRIVATE SHMRING_HAVE_CK=1)
endif()
if(SHMRING_HAVE_BOOST)
  target_link_libraries(test_bench_mechs PRIVATE shmring_peer_boost)
endif()
include(${PROJECT_SOURCE_DIR}/cmake/ShmringZmq.cmake)
if(SHMRING_HAVE_ZMQ)
  target_link_libraries(test_bench_mechs PRIVATE shmring_zmq)
endif()

shmring_test(test_bench_json SOURCES test_bench_json.c LABELS fast bench TIMEOUT 180)
add_dependencies(test_bench_json shmring_cli)
