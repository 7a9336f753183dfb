# The ring kinds (SPSC, MPSC, SPMC, MPMC, MSG) through the public API. One
# stress body (tests/stress_body.h) and one set of per-kind tests
# (tests/kind_tests.h) serve thin files per kind. The fast label runs each in
# seconds; the stress label runs the same programs with --scale (x20).
foreach(k spsc spsc_dense mpsc spmc mpmc)
  shmring_test(test_kind_${k} SOURCES test_kind_${k}.c LABELS fast TIMEOUT 300)
  add_test(NAME test_kind_${k}_long COMMAND test_kind_${k} --scale 20)
  set_tests_properties(test_kind_${k}_long PROPERTIES LABELS stress TIMEOUT 1800
                       SKIP_RETURN_CODE 77
                       ENVIRONMENT "SHMRING_BUILD_DIR=${PROJECT_BINARY_DIR};SHMRING_TEST_PREFIX=shmt")
endforeach()

# The message ring: every size across wrap-around, limits, zero-copy,
# reservations committed out of order, corrupt headers; then the stress body
# for each choice of one or many producers and consumers. The stress run
# scales the stress body by 12 (at x20 it took 30 s, the longest of the
# tests that need both CPUs to themselves after test_notifiers_long).
shmring_test(test_msg_ring SOURCES test_msg_ring.c LABELS fast TIMEOUT 120)
shmring_test(test_msg_stress SOURCES test_msg_stress.c LABELS fast TIMEOUT 300)
add_test(NAME test_msg_stress_long COMMAND test_msg_stress --scale 12)
set_tests_properties(test_msg_stress_long PROPERTIES LABELS stress TIMEOUT 1800
                     SKIP_RETURN_CODE 77
                     ENVIRONMENT "SHMRING_BUILD_DIR=${PROJECT_BINARY_DIR};SHMRING_TEST_PREFIX=shmt")

# Throughput of every kind next to SPSC and the cache-line floor (prints a
# table; label perf). The suite runs it at 0.1 s a figure, to see that every
# figure is produced; figures worth quoting come from a run by hand (0.3 s a
# figure by default, or more).
shmring_test(test_kind_perf SOURCES test_kind_perf.c LABELS perf TIMEOUT 300 ARGS 0.1)

# Recovery in the multi fixed kinds (ringbuf layer, one thread, a fake judge).
shmring_test(test_mring_recover SOURCES test_mring_recover.c LABELS fast TIMEOUT 60)
