# vbx_add_unit_test(NAME SOURCES... LIBS ...)
# Builds one cmocka test executable and registers it with ctest, each in its own
# process with the project-wide timeout.
function(vbx_add_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE PkgConfig::CMOCKA ${T_LIBS})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${VBX_TEST_TIMEOUT}
                       LABELS "${T_LABELS}" SKIP_RETURN_CODE 77)
endfunction()
