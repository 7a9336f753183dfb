# The installed library (issue 11): tests/check_package.sh installs this build
# into a temporary prefix and builds a consumer (tests/package/) with
# find_package (shared, static), pkg-config (shared, static) and
# add_subdirectory. Not in sanitizer or fuzzer builds, whose libraries need
# their runtimes; labels fast and package (`ctest -L package` runs it alone).
if(SHMRING_INSTALL AND SHMRING_SANITIZE STREQUAL "" AND NOT SHMRING_BUILD_FUZZERS)
  add_test(NAME test_package
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/check_package.sh ${PROJECT_SOURCE_DIR}
                   ${PROJECT_BINARY_DIR} ${CMAKE_C_COMPILER} ${CMAKE_GENERATOR})
  set_tests_properties(test_package PROPERTIES LABELS "fast;package" TIMEOUT 300
                       ENVIRONMENT "SHMRING_TEST_PREFIX=shmt")
endif()
