# Run at build time (cmake -P): writes OUT, a header defining
# SHMRING_BUILD_COMMIT as the checkout's commit ("-dirty" when the tracked
# files differ from it), or nothing outside a git checkout. The file is
# rewritten only when its text changes, so an unchanged commit rebuilds nothing.
execute_process(COMMAND git describe --always --dirty --abbrev=7
                WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(commit)
  set(text "#define SHMRING_BUILD_COMMIT \"${commit}\"\n")
else()
  set(text "/* not built from a git checkout */\n")
endif()
if(EXISTS ${OUT})
  file(READ ${OUT} old)
else()
  set(old "")
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUT} "${text}")
endif()
