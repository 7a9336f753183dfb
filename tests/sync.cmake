# Named synchronisation objects (shmring/sync.h): semaphores of three
# implementations, events, robust mutexes and condition variables. Every
# participant is a forked process, every wait has a deadline, and every
# program sets its own alarm. Timing bounds are generous correctness checks.

# Semaphores: exact counts over 10^6 posts and waits by 8 processes (each
# implementation), timeouts, EINTR, ping-pong without a lost wake-up (10^5
# cycles; the stress run 10^6), forged counts, a killed waiter, SEM_UNDO, and
# bad input (rings and sync objects opened as each other, forged and
# truncated segments, foreign System V sets).
shmring_test(test_sync_sem SOURCES test_sync_sem.c LABELS fast TIMEOUT 300)
add_test(NAME test_sync_sem_long COMMAND test_sync_sem 1000000)
set_tests_properties(test_sync_sem_long PROPERTIES LABELS stress TIMEOUT 1800
                     SKIP_RETURN_CODE 77
                     ENVIRONMENT "SHMRING_BUILD_DIR=${PROJECT_BINARY_DIR};SHMRING_TEST_PREFIX=shmt")

# Events (manual wakes all, auto exactly one per set, ping-pong without a
# lost wake-up: 10^5 cycles, the stress run 10^6), timeouts and EINTR, and
# condition variables with the robust mutex (a queue across processes,
# broadcast, a relock past a stopped holder).
shmring_test(test_sync_event SOURCES test_sync_event.c LABELS fast TIMEOUT 300)
add_test(NAME test_sync_event_long COMMAND test_sync_event 1000000)
set_tests_properties(test_sync_event_long PROPERTIES LABELS stress TIMEOUT 1800
                     SKIP_RETURN_CODE 77
                     ENVIRONMENT "SHMRING_BUILD_DIR=${PROJECT_BINARY_DIR};SHMRING_TEST_PREFIX=shmt")

# Robust mutexes: a holder SIGKILLed (reaped or a zombie) gives -EOWNERDEAD,
# repair with consistent(), -ENOTRECOVERABLE without it; a stopped holder is
# alive; mutual exclusion across 4 processes and 4 threads; EINTR; forged
# owner words (pid 1, a live process that must never be signalled, garbage,
# another pid namespace).
shmring_test(test_sync_mutex SOURCES test_sync_mutex.c LABELS fast TIMEOUT 300)

# The example runs as shown: a holder SIGKILLed, the next locker repairs.
if(SHMRING_BUILD_EXAMPLES)
  add_test(NAME example_robust_mutex COMMAND shmring_example_robust_mutex)
  set_tests_properties(example_robust_mutex PROPERTIES LABELS fast TIMEOUT 60)
endif()
