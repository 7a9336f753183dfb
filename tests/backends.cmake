# Backends (issue 8): posix, sysv, file, memfd and anon rings, each used by
# unrelated processes (exec'd, or forked for anon), validated on open,
# surviving SIGKILLed participants, and on huge pages. Every test removes
# what it creates (names carry SHMRING_TEST_PREFIX and the pid), sets its own
# alarm, and exits 77 saying why when it cannot run.

# One ring body over every (backend, kind): 10^6 messages for SPSC on each
# backend, fewer for the other kinds; the stress run moves 10^6 for every
# pair. Also shmring_dup across fork (anon) and flushing.
shmring_test(test_backends SOURCES test_backends.c LABELS fast TIMEOUT 300)
add_test(NAME test_backends_long COMMAND test_backends --full)
set_tests_properties(test_backends_long PROPERTIES LABELS stress TIMEOUT 1800
                     SKIP_RETURN_CODE 77
                     ENVIRONMENT "SHMRING_BUILD_DIR=${PROJECT_BINARY_DIR};SHMRING_TEST_PREFIX=shmt")

# What open and create refuse on posix, sysv and file: foreign or forged
# segments, other versions, sizes and owners, truncation, bad names;
# open-or-create of an existing ring.
shmring_test(test_backend_validate SOURCES test_backend_validate.c LABELS fast TIMEOUT 120)

# memfd rings over a Unix socket to an exec'd process; seals; what
# shmring_fd_recv() refuses.
shmring_test(test_memfd SOURCES test_memfd.c LABELS fast TIMEOUT 120)

# Huge pages: reserves them as root (restoring the old setting) or skips.
shmring_test(test_huge SOURCES test_huge.c LABELS fast TIMEOUT 120)

# Producer and consumer SIGKILLed and restarted by name, 20 times each, on
# posix, sysv and file, SPSC and MPSC: nothing committed lost, never -EBUSY.
# The stress run kills 80 times each.
shmring_test(test_restart SOURCES test_restart.c LABELS fast TIMEOUT 300)
add_test(NAME test_restart_long COMMAND test_restart --kills 80)
set_tests_properties(test_restart_long PROPERTIES LABELS stress TIMEOUT 1800
                     SKIP_RETURN_CODE 77
                     ENVIRONMENT "SHMRING_BUILD_DIR=${PROJECT_BINARY_DIR};SHMRING_TEST_PREFIX=shmt")

# A file ring outliving every participant: 20 rounds of everyone SIGKILLed at
# random moments, then a fresh process drains it; every committed message
# exactly once. The stress run does 120 rounds.
shmring_test(test_file_crash SOURCES test_file_crash.c LABELS fast TIMEOUT 300)
add_test(NAME test_file_crash_long COMMAND test_file_crash --rounds 120)
set_tests_properties(test_file_crash_long PROPERTIES LABELS stress TIMEOUT 1800
                     SKIP_RETURN_CODE 77
                     ENVIRONMENT "SHMRING_BUILD_DIR=${PROJECT_BINARY_DIR};SHMRING_TEST_PREFIX=shmt")
