# Smoke runs of the in-process benchmarks (benches/): every benchmark for about
# 10 ms, which proves each still builds, runs and passes its own message checks
# (a failed check makes the program exit 2). Figures from such short runs mean
# nothing. Serial, as two spinning threads need both CPUs to themselves.
foreach(prog ops pair)
  if(TARGET shmring_gb_${prog})
    add_test(NAME gbench_${prog} COMMAND shmring_gb_${prog} --benchmark_min_time=0.01)
    set_tests_properties(gbench_${prog} PROPERTIES LABELS perf TIMEOUT 120 RUN_SERIAL TRUE)
  endif()
endforeach()
# shmring_loop: a short stream of each size, checked message by message.
if(TARGET shmring_loop)
  add_test(NAME loop_stream COMMAND shmring_loop --messages 200000 --rounds 1)
  add_test(NAME loop_stream_8 COMMAND shmring_loop --size 8 --poll-only --work 1 --messages 200000 --rounds 1)
  set_tests_properties(loop_stream loop_stream_8 PROPERTIES LABELS perf TIMEOUT 120 RUN_SERIAL TRUE
                       SKIP_RETURN_CODE 77)
endif()
# shmring_density: one round of every layout, 65536 messages a run; a layout
# that delivers nothing (or out of order) ends it with status 2.
if(TARGET shmring_density)
  add_test(NAME density_layouts COMMAND shmring_density 1 65536)
  set_tests_properties(density_layouts PROPERTIES LABELS perf TIMEOUT 180 RUN_SERIAL TRUE
                       SKIP_RETURN_CODE 77)
endif()
