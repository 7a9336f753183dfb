# Optional peer rings (DPDK rte_ring, Concurrency Kit ck_ring) for benchmarks.
# Defines SHMRING_HAVE_DPDK_RING / SHMRING_HAVE_CK and interface targets
# shmring_peer_dpdk / shmring_peer_ck. Included once per directory that needs it.
# Only with SHMRING_BENCH_PEERS (off by default, so that the installed tool
# does not link DPDK just because it was installed; scripts/ turn it on).
if(NOT SHMRING_BENCH_PEERS)
  set(SHMRING_HAVE_DPDK_RING OFF)
  set(SHMRING_HAVE_CK OFF)
  return()
endif()
if(NOT DEFINED SHMRING_PEERS_PROBED)
  set(SHMRING_PEERS_PROBED ON)
  pkg_check_modules(DPDK QUIET libdpdk)
  pkg_check_modules(CK QUIET ck)
  if(NOT CK_FOUND AND EXISTS /usr/include/ck_ring.h)
    set(CK_FOUND 1)
  endif()
endif()
if(DPDK_FOUND AND NOT TARGET shmring_peer_dpdk)
  add_library(shmring_peer_dpdk INTERFACE)
  # Only the ring library is used, on our own memory: no EAL.
  target_include_directories(shmring_peer_dpdk INTERFACE ${DPDK_INCLUDE_DIRS})
  target_compile_options(shmring_peer_dpdk INTERFACE -mssse3)
  target_link_libraries(shmring_peer_dpdk INTERFACE rte_ring rte_eal)
endif()
if(CK_FOUND AND NOT TARGET shmring_peer_ck)
  add_library(shmring_peer_ck INTERFACE)
  target_link_libraries(shmring_peer_ck INTERFACE ${CK_LIBRARIES})
endif()
set(SHMRING_HAVE_DPDK_RING ${DPDK_FOUND})
set(SHMRING_HAVE_CK ${CK_FOUND})
