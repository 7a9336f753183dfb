# Socket channels (unix:, unix:@ and tcp: on loopback) through the ring's
# calls: behaviour, handshake and bad peers (test_sock), then the ring stress
# body with producer processes over each transport (4 x 50000 messages per
# configuration; 10^6 with --scale 5 in the stress suite).
shmring_test(test_sock SOURCES test_sock.c LABELS fast TIMEOUT 120)
shmring_test(test_sock_stress_unix SOURCES test_sock_stress.c ARGS unix LABELS fast TIMEOUT 120)

function(shmring_sock_stress_test name)
  add_test(NAME ${name} COMMAND test_sock_stress_unix ${ARGN})
  set_tests_properties(${name} PROPERTIES LABELS "${SOCK_LABEL}" TIMEOUT ${SOCK_TIMEOUT}
                       SKIP_RETURN_CODE 77
                       ENVIRONMENT "SHMRING_BUILD_DIR=${PROJECT_BINARY_DIR};SHMRING_TEST_PREFIX=shmt")
endfunction()
set(SOCK_LABEL fast)
set(SOCK_TIMEOUT 120)
shmring_sock_stress_test(test_sock_stress_tcp tcp)
set(SOCK_LABEL stress)
set(SOCK_TIMEOUT 900)
shmring_sock_stress_test(test_sock_stress_unix_1e6 unix --scale 5)
shmring_sock_stress_test(test_sock_stress_tcp_1e6 tcp --scale 5)
