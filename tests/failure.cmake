# Failure semantics (issue 7): recovery of dead claims, stopped peers,
# end-of-stream and EPIPE, wake-ups that are neither lost nor late, and
# forged segment state. Every participant is a forked process; no test can
# hang (each sets its own alarm, every wait has a deadline). Timing bounds
# are generous correctness checks, not benchmarks.

# 16 producer processes (4 SIGKILLed inside their zero-copy claim window) and
# 2 consumers on an MPMC ring; a producer SIGSTOPped for 2 s holding a
# reservation (MPSC and MPMC); the stall record (who holds whom back, and for
# how long) during and after a stall. The stress run repeats the kill round
# 20 times (about a second each).
shmring_test(test_failure_recover SOURCES test_failure_recover.c LABELS fast TIMEOUT 300)
add_test(NAME test_failure_recover_long COMMAND test_failure_recover 20)
set_tests_properties(test_failure_recover_long PROPERTIES LABELS stress TIMEOUT 1800
                     SKIP_RETURN_CODE 77
                     ENVIRONMENT "SHMRING_BUILD_DIR=${PROJECT_BINARY_DIR};SHMRING_TEST_PREFIX=shmt")

# End-of-stream (-EPIPE on receive) and EPIPE on send, for close and SIGKILL,
# for every kind; also through a loop of timed calls each shorter than the
# recovery deadline (and a killed consumer's claim repaired by such sends).
shmring_test(test_failure_eos SOURCES test_failure_eos.c LABELS fast TIMEOUT 300)

# Parked producers woken after a single freed slot (try_recv, peek/release,
# many consumers, close holding a peek, the message ring's release); close
# of a held reservation; the waiter count after a parked consumer is killed
# or the count is forged.
shmring_test(test_failure_wake SOURCES test_failure_wake.c LABELS fast TIMEOUT 300)

# Forged state through a second mapping: stamps from the future, impossible
# or misaligned positions, participant entries naming pid 1 or a foreign live
# pid.
shmring_test(test_failure_hostile SOURCES test_failure_hostile.c LABELS fast TIMEOUT 300)

# A hostile peer rewriting live participants' claim ranges, marks and
# generations on a message ring with many producers and consumers for a
# second, ten rounds: once it stops, records flow again (a forged range used
# to stop every participant for good, in about one round in six).
shmring_test(test_failure_forge SOURCES test_failure_forge.c LABELS stress TIMEOUT 300)
