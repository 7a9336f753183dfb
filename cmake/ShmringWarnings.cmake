# Warning flags for the project's own targets (link shmring_warnings).
add_library(shmring_warnings INTERFACE)
target_compile_options(shmring_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith
  -Wcast-align -Wformat=2 -Wundef -Wvla)
if(SHMRING_WERROR)
  target_compile_options(shmring_warnings INTERFACE -Werror)
endif()
# C files get -Wpedantic; the C++ benchmark shim keeps Google Benchmark's own idioms.
target_compile_options(shmring_warnings INTERFACE $<$<COMPILE_LANGUAGE:C>:-Wpedantic>)
