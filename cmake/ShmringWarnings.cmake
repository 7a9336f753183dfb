# Warning flags for the project's own targets (link shmring_warnings).
add_library(shmring_warnings INTERFACE)
target_compile_options(shmring_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-align -Wformat=2 -Wundef -Wvla
  $<$<COMPILE_LANGUAGE:C>:-Wpedantic -Wstrict-prototypes -Wmissing-prototypes>)
if(SHMRING_WERROR)
  target_compile_options(shmring_warnings INTERFACE -Werror)
endif()
