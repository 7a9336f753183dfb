# `shmring stress`: the verifier on its own (one process, no ring), then the
# tool end to end. test_stress_run.c is one body, built once as
# test_stress_kinds; each test is a scenario named by its argument (see the
# file's header).

shmring_test(test_stress_verify
  SOURCES test_stress_verify.c ${PROJECT_SOURCE_DIR}/src/cli/stress_verify.c
          ${PROJECT_SOURCE_DIR}/src/cli/stress_msg.c
  LABELS fast TIMEOUT 60)
target_include_directories(test_stress_verify PRIVATE ${PROJECT_SOURCE_DIR}/src)

# Every kind briefly, each wait mode, usage errors of single-role kinds.
shmring_test(test_stress_kinds SOURCES test_stress_run.c ARGS kinds LABELS fast TIMEOUT 300)
# 16 producers and 4 consumers (as the kind allows) on 2 CPUs, blocking waits.
shmring_test(test_stress_oversub PROGRAM test_stress_kinds ARGS oversub LABELS fast TIMEOUT 300)
# The verifier's self-test: every injected fault fails the run, counted once.
shmring_test(test_stress_inject PROGRAM test_stress_kinds ARGS inject LABELS fast TIMEOUT 300)
# SIGINT: exit 130, what was sent verified, the ring removed; likewise the
# reader of the output gone (SIGPIPE), and the segment truncated (exit 1).
shmring_test(test_stress_signal PROGRAM test_stress_kinds ARGS signal LABELS fast TIMEOUT 120)
# Faults (issue 7): SIGKILL and SIGSTOP of producers and consumers mid-run.
shmring_test(test_stress_kill PROGRAM test_stress_kinds ARGS kill LABELS fast TIMEOUT 400)
shmring_test(test_stress_stop PROGRAM test_stress_kinds ARGS stop LABELS fast TIMEOUT 300)
# 4 s per kind, and 4 s oversubscribed per multi kind.
shmring_test(test_stress_long PROGRAM test_stress_kinds ARGS long LABELS stress TIMEOUT 900)

add_dependencies(test_stress_kinds shmring_cli)
