# The README's quick start compiles (-Wall -Wextra -Werror) and runs as shown
# (issue 11). Not in sanitizer or fuzzer builds, whose library needs their
# runtimes in the program too.
if(SHMRING_SANITIZE STREQUAL "" AND NOT SHMRING_BUILD_FUZZERS)
  add_test(NAME test_readme_quickstart
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/check_readme.sh ${PROJECT_SOURCE_DIR}
                   ${PROJECT_BINARY_DIR} ${CMAKE_C_COMPILER})
  set_tests_properties(test_readme_quickstart PROPERTIES LABELS fast TIMEOUT 60)
endif()
