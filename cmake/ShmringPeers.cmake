# Optional peer rings (DPDK rte_ring, Concurrency Kit ck_ring,
# boost::lockfree::spsc_queue) for benchmarks. Defines SHMRING_HAVE_DPDK_RING /
# SHMRING_HAVE_CK / SHMRING_HAVE_BOOST and interface targets shmring_peer_dpdk /
# shmring_peer_ck / shmring_peer_boost. Included once per directory that needs it.
# Only with SHMRING_BENCH_PEERS (off by default, so that the installed tool
# does not link DPDK just because it was installed; scripts/ turn it on).
if(NOT SHMRING_BENCH_PEERS)
  set(SHMRING_HAVE_DPDK_RING OFF)
  set(SHMRING_HAVE_CK OFF)
  set(SHMRING_HAVE_BOOST OFF)
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
# boost::lockfree is header-only C++: one shim (src/bench/peer_boost.cc) gives
# the C code its calls. The top-level CMakeLists.txt found the header and
# enabled C++ for it.
if(SHMRING_BOOST_LOCKFREE_INCLUDE_DIR AND NOT TARGET shmring_peer_boost)
  add_library(shmring_peer_boost STATIC ${PROJECT_SOURCE_DIR}/src/bench/peer_boost.cc)
  set_target_properties(shmring_peer_boost PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON
                        CXX_EXTENSIONS OFF)
  target_include_directories(shmring_peer_boost SYSTEM PRIVATE ${SHMRING_BOOST_LOCKFREE_INCLUDE_DIR})
  target_include_directories(shmring_peer_boost PUBLIC ${PROJECT_SOURCE_DIR}/src/bench)
  # shmring_warnings carries C-only flags, so the shim takes the common ones itself.
  target_compile_options(shmring_peer_boost PRIVATE -Wall -Wextra -Wshadow -Wformat=2
                         $<$<BOOL:${SHMRING_WERROR}>:-Werror>)
  target_compile_definitions(shmring_peer_boost INTERFACE SHMRING_HAVE_BOOST=1)
endif()
set(SHMRING_HAVE_DPDK_RING ${DPDK_FOUND})
set(SHMRING_HAVE_CK ${CK_FOUND})
if(TARGET shmring_peer_boost)
  set(SHMRING_HAVE_BOOST ON)
else()
  set(SHMRING_HAVE_BOOST OFF)
endif()
