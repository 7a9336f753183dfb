# ZeroMQ for `shmring bridge` (zmq+tcp://, zmq-pub+, zmq-sub+) and the zmq
# mechanisms of `shmring bench`: used when libzmq is found (pkg-config) and
# SHMRING_WITH_ZMQ is on (the default). Defines SHMRING_HAVE_ZMQ and the
# interface target shmring_zmq. Included once per directory that needs it.
if(NOT DEFINED SHMRING_WITH_ZMQ)
  option(SHMRING_WITH_ZMQ "Speak ZeroMQ in `shmring bridge` when libzmq is found" ON)
endif()
set(SHMRING_HAVE_ZMQ OFF)
if(NOT SHMRING_WITH_ZMQ)
  return()
endif()
if(NOT DEFINED SHMRING_ZMQ_PROBED)
  set(SHMRING_ZMQ_PROBED ON)
  pkg_check_modules(ZMQ QUIET libzmq)
  if(ZMQ_FOUND)
    message(STATUS "shmring: ZeroMQ ${ZMQ_VERSION}: `shmring bridge` speaks it")
  else()
    message(STATUS "shmring: libzmq not found: `shmring bridge` without ZeroMQ")
  endif()
endif()
if(ZMQ_FOUND AND NOT TARGET shmring_zmq)
  add_library(shmring_zmq INTERFACE)
  # Only the library: its pkg-config cflags name include directories of
  # its own dependencies that it does not need to be compiled against.
  target_link_libraries(shmring_zmq INTERFACE ${ZMQ_LINK_LIBRARIES})
  target_compile_definitions(shmring_zmq INTERFACE SHMRING_HAVE_ZMQ=1)
endif()
if(ZMQ_FOUND)
  set(SHMRING_HAVE_ZMQ ON)
endif()
