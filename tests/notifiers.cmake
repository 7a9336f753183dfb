# Ring notifiers (issue 9): no lost wake-ups between processes for each
# notifier (futex eventcount, POSIX semaphore, System V semaphore) and each
# wait policy; the notifier's lifecycle and a forged set. The stress run
# makes 10^6 park/wake round trips per notifier with the park policy.
shmring_test(test_notifiers SOURCES test_notifiers.c LABELS fast TIMEOUT 600)
add_test(NAME test_notifiers_long COMMAND test_notifiers 1000000)
set_tests_properties(test_notifiers_long PROPERTIES LABELS stress TIMEOUT 3000
                     SKIP_RETURN_CODE 77
                     ENVIRONMENT "SHMRING_BUILD_DIR=${PROJECT_BINARY_DIR};SHMRING_TEST_PREFIX=shmt")

# The signal doorbell: an epoll loop (signalfd) fed by 4 producer processes,
# sigtimedwait, a killed registrant, another user's process, misuse.
shmring_test(test_doorbell SOURCES test_doorbell.c LABELS fast TIMEOUT 300)
