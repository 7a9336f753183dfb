# Included from the top-level CMakeLists.txt when SHMRING_BUILD_FUZZERS is on,
# before any target: everything is built with clang's ASan + UBSan (UBSan
# reports abort, so libFuzzer sees them) and the library's code with
# libFuzzer's coverage instrumentation. The fuzz targets themselves link
# -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt).
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang" OR NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "SHMRING_BUILD_FUZZERS needs clang (libFuzzer comes with it): "
                      "configure with CC=clang CXX=clang++")
endif()
if(SHMRING_SANITIZE STREQUAL "thread")
  message(FATAL_ERROR "SHMRING_BUILD_FUZZERS runs under ASan + UBSan; it excludes SHMRING_SANITIZE=thread")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
add_compile_definitions(SHMRING_FUZZING=1)
# clang's -Wcast-align warns at every cast of the mapped segment (char *) to
# its structs, even on x86, where gcc does not; the offsets are
# static_asserted in ringbuf/layout.h and UBSan checks alignment at run time.
target_compile_options(shmring_warnings INTERFACE -Wno-cast-align)
