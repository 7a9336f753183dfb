# `shmring stress`: the verifier on its own (one process, no ring), then the
# tool end to end. test_stress_run.c is one body; each test is a scenario
# named by its argument (see the file's header).

shmring_test(test_stress_verify
  SOURCES test_stress_verify.c ${PROJECT_SOURCE_DIR}/src/cli/stress_verify.c
          ${PROJECT_SOURCE_DIR}/src/cli/stress_msg.c
  LABELS fast TIMEOUT 60)
target_include_directories(test_stress_verify PRIVATE ${PROJECT_SOURCE_DIR}/src)

# Every kind briefly, each wait mode, usage errors of single-role kinds.
shmring_test(test_stress_kinds SOURCES test_stress_run.c ARGS kinds LABELS fast TIMEOUT 300)
# 16 producers and 4 consumers (as the kind allows) on 2 CPUs, blocking waits.
shmring_test(test_stress_oversub SOURCES test_stress_run.c ARGS oversub LABELS fast TIMEOUT 300)
# The verifier's self-test: every injected fault fails the run, counted once.
shmring_test(test_stress_inject SOURCES test_stress_run.c ARGS inject LABELS fast TIMEOUT 300)
# SIGINT: exit 130, what was sent verified, the ring removed.
shmring_test(test_stress_signal SOURCES test_stress_run.c ARGS signal LABELS fast TIMEOUT 120)
# Faults (issue 7): SIGKILL and SIGSTOP of producers and consumers mid-run.
shmring_test(test_stress_kill SOURCES test_stress_run.c ARGS kill LABELS fast TIMEOUT 400)
shmring_test(test_stress_stop SOURCES test_stress_run.c ARGS stop LABELS fast TIMEOUT 300)
# 6 s per kind, and 6 s oversubscribed per multi kind.
shmring_test(test_stress_long SOURCES test_stress_run.c ARGS long LABELS stress TIMEOUT 900)

foreach(t test_stress_kinds test_stress_oversub test_stress_inject test_stress_signal
          test_stress_kill test_stress_stop test_stress_long)
  add_dependencies(${t} shmring_cli)
endforeach()
