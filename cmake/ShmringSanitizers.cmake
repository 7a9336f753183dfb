# SHMRING_SANITIZE: "" (none), "address" (ASan + UBSan) or "thread" (TSan).
# The two are mutually exclusive, as the runtimes are.
if(SHMRING_SANITIZE STREQUAL "address")
  set(_san -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
elseif(SHMRING_SANITIZE STREQUAL "thread")
  set(_san -fsanitize=thread -fno-omit-frame-pointer)
  # TSan does not model stand-alone fences; gcc says so for each one. Our
  # fences order accesses that are all atomics, so TSan loses nothing.
  if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-tsan)
  endif()
elseif(NOT SHMRING_SANITIZE STREQUAL "")
  message(FATAL_ERROR "SHMRING_SANITIZE must be empty, 'address' or 'thread', not '${SHMRING_SANITIZE}'")
endif()
if(DEFINED _san)
  add_compile_options(${_san})
  add_link_options(${_san})
  add_compile_definitions(SHMRING_SANITIZE_${SHMRING_SANITIZE}=1)
endif()
