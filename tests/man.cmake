# The manual covers the library: every exported shmring_* function has a
# man3 page, every .so alias leads to a page, no page makes groff warn.
# Label docs too: it runs no library code, so the sanitizer builds leave it
# out (scripts/test).
add_test(NAME test_man_pages
         COMMAND bash ${PROJECT_SOURCE_DIR}/tests/check_man.sh $<TARGET_FILE:shmring>
                 ${PROJECT_SOURCE_DIR}/man)
set_tests_properties(test_man_pages PROPERTIES LABELS "fast;docs" TIMEOUT 240 SKIP_RETURN_CODE 77)
