# The command-line tool's ring commands (skipped when the tool is not built;
# no build dependency on it, as for test_cli): ls, gc, rm and stat on every
# named backend, put and get, and put/get on a file ring killed at random.
# Label one_thread: every process these run (the tests and the commands they
# start) has one thread, where ThreadSanitizer, which relates the threads of
# one process, has nothing to check; the TSan build leaves them out
# (scripts/test), the other builds run them.
shmring_test(test_cli_ls SOURCES test_cli_ls.c LABELS fast one_thread TIMEOUT 120)
shmring_test(test_cli_io SOURCES test_cli_io.c LABELS fast one_thread TIMEOUT 120)

# A shell script: put and get on a file: ring, SIGKILLed at random moments
# for 20 rounds; every line arrives, in order, duplicated at most once a kill.
add_test(NAME cli_file_kill COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli_file_kill.sh)
set_tests_properties(cli_file_kill PROPERTIES LABELS "fast;one_thread" TIMEOUT 120 SKIP_RETURN_CODE 77
                     ENVIRONMENT "SHMRING_BUILD_DIR=${PROJECT_BINARY_DIR};SHMRING_TEST_PREFIX=shmt")

# ls, stat, rm and gc on the named synchronization objects: every kind and
# semaphore implementation listed and shown, a mutex whose holder was
# SIGKILLed shown with its owner dead, each removed the right way, a ring's
# System V notifier set not listed.
shmring_test(test_cli_sync SOURCES test_cli_sync.c LABELS fast TIMEOUT 60)

# Names that are not rings (a FIFO, socket, directory, symbolic link,
# device or foreign file in /dev/shm or at a file: path): every command
# says what it is and exits 1 without hanging; rm never removes what a link
# points to.
shmring_test(test_cli_hostile SOURCES test_cli_hostile.c LABELS fast TIMEOUT 180)
