# The socket doorbell, and `shmring bridge` (ZeroMQ when built with it).
#
# test_doorbell_sock: epoll on the doorbell socket in one process, producers
# in others: one byte per arm, none unarmed, producers unaffected by a dead
# or silent waiter.
shmring_test(test_doorbell_sock SOURCES test_doorbell_sock.c LABELS fast TIMEOUT 120)

# `shmring bridge` as a process (shell scripts; skipped when the tool is not
# built, as for the other CLI tests):
#   test_bridge_cli: misuse (missing arguments, bad URIs and names, sizes
#     that cannot go through, nobody listening, ZeroMQ socket types the wrong
#     way round, or a build without ZeroMQ) exits 2 or 1 with the reason;
#     --count stops and the counts are said and shown by `shmring stat
#     bridge:NAME`, and a restart with the same name resumes them.
#   test_bridge_tcp, test_bridge_zmq: two producer processes -> ring ->
#     bridge -> tcp: (ZeroMQ PUSH/PULL) -> bridge -> ring -> consumer, the
#     receiving bridge SIGKILLed and SIGTERMed and restarted 4 times
#     mid-stream: each producer's messages arrive once and in order, and
#     received + counted lost == sent (give or take those counted in
#     doubt). The stress label runs 20 restarts.
foreach(t cli tcp zmq)
  if(t STREQUAL cli)
    set(_cmd bash ${CMAKE_CURRENT_SOURCE_DIR}/test_bridge_cli.sh)
  else()
    set(_cmd bash ${CMAKE_CURRENT_SOURCE_DIR}/test_bridge_restart.sh ${t} 4)
  endif()
  add_test(NAME test_bridge_${t} COMMAND ${_cmd})
  set_tests_properties(test_bridge_${t} PROPERTIES LABELS fast TIMEOUT 120 SKIP_RETURN_CODE 77
                       ENVIRONMENT "SHMRING_BUILD_DIR=${PROJECT_BINARY_DIR};SHMRING_TEST_PREFIX=shmt")
endforeach()
foreach(t tcp zmq)
  add_test(NAME test_bridge_${t}_long
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_bridge_restart.sh ${t} 20)
  set_tests_properties(test_bridge_${t}_long PROPERTIES LABELS stress TIMEOUT 600
                       SKIP_RETURN_CODE 77
                       ENVIRONMENT "SHMRING_BUILD_DIR=${PROJECT_BINARY_DIR};SHMRING_TEST_PREFIX=shmt;BRIDGE_TEST_PER_PRODUCER=100000")
endforeach()

# test_bridge_tail: the receiving bridge dies holding the last messages a
# sender forwarded, and the sender has nothing more to send: at its close
# it connects again and sends its kept records again before its END, so the
# tail arrives (before: "forwarded" by the sender, missing in B, nothing
# counted). stopped: the tail unread in the receiver's socket (its death
# resets the connection); held: in the receiver's own memory (its death
# closes the connection plainly, which a write does not fail on at once).
foreach(mode stopped held)
  add_test(NAME test_bridge_tail_${mode}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_bridge_tail.sh ${mode})
  set_tests_properties(test_bridge_tail_${mode} PROPERTIES LABELS fast TIMEOUT 120
                       SKIP_RETURN_CODE 77
                       ENVIRONMENT "SHMRING_BUILD_DIR=${PROJECT_BINARY_DIR};SHMRING_TEST_PREFIX=shmt")
endforeach()

# The bridge's engine in threads: message rings through tcp: and ZeroMQ with
# every record length and its type, a fixed-slot ring into a message ring,
# back-pressure (a full destination holds the source back), the counts; a
# header written as documented by a sender that is no bridge; ZeroMQ into a
# socket channel whose listener comes back taking larger records (a message
# larger than the first one's is rejected, not copied past the window); a
# socket channel's longest records, without a header, into ZeroMQ (kept in
# the window whole: ASan saw them written 32 bytes past their place); and
# such a record into a ZeroMQ PUB arrives whole (the header was written over
# its first 32 bytes).
include(${PROJECT_SOURCE_DIR}/cmake/ShmringZmq.cmake)
shmring_test(test_bridge_engine SOURCES test_bridge_engine.c ../src/cli/bridge.c
             LABELS fast TIMEOUT 120)
if(SHMRING_HAVE_ZMQ)
  target_link_libraries(test_bridge_engine PRIVATE shmring_zmq)
endif()
