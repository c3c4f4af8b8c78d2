# ABI checks of the shared library (run by ctest, label "abi"):
#   abi_exports       libmutinf.so exports exactly the union of tests/exports_*.txt,
#                     every export carries the version node, SONAME is libmutinf.so.<soversion>;
#   abi_declarations  the MUTINF_API functions declared in include/mutinf/*.h are
#                     exactly the union of tests/exports_*.txt;
#   abi_static_namespace  every global symbol of libmutinf.a is mutinf_* or mutinf__*;
#   abi_checkers_selftest  these checkers and those of headers.cmake fail, naming
#                     each problem, on inputs made to break them (tests/abi/selftest/).
# Both scripts glob the export lists and the headers when they run, so a new
# tests/exports_AREA.txt or header is picked up without reconfiguring.
find_program(MUTINF_NM NAMES ${CMAKE_NM} nm)
find_program(MUTINF_READELF NAMES ${CMAKE_READELF} readelf)

if(MUTINF_NM AND MUTINF_READELF)
  add_test(NAME abi_exports
           COMMAND ${CMAKE_COMMAND}
                   -DLIBRARY=$<TARGET_FILE:mutinf>
                   -DEXPORTS_DIR=${CMAKE_CURRENT_SOURCE_DIR}
                   -DNM=${MUTINF_NM} -DREADELF=${MUTINF_READELF}
                   -DSONAME=${CMAKE_SHARED_LIBRARY_PREFIX}mutinf${CMAKE_SHARED_LIBRARY_SUFFIX}.${MUTINF_SOVERSION}
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/abi/check_exports.cmake)
else()
  add_test(NAME abi_exports COMMAND ${CMAKE_COMMAND} -E echo "nm or readelf not found: skipped")
  set_tests_properties(abi_exports PROPERTIES DISABLED TRUE)
endif()
set_tests_properties(abi_exports PROPERTIES LABELS abi TIMEOUT 60)

# The static library keeps its global symbols in the mutinf_/mutinf__ namespace.
if(MUTINF_NM AND TARGET mutinf_static)
  add_test(NAME abi_static_namespace
           COMMAND ${CMAKE_COMMAND} -DARCHIVE=$<TARGET_FILE:mutinf_static> -DNM=${MUTINF_NM}
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/abi/check_static_namespace.cmake)
  set_tests_properties(abi_static_namespace PROPERTIES LABELS abi TIMEOUT 60)
endif()

add_test(NAME abi_declarations
         COMMAND ${CMAKE_COMMAND}
                 -DINCLUDE_DIR=${PROJECT_SOURCE_DIR}/include/mutinf
                 -DEXPORTS_DIR=${CMAKE_CURRENT_SOURCE_DIR}
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/abi/check_declarations.cmake)
set_tests_properties(abi_declarations PROPERTIES LABELS abi TIMEOUT 60)

if(MUTINF_NM AND MUTINF_READELF AND CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
  add_test(NAME abi_checkers_selftest
           COMMAND ${CMAKE_COMMAND} -DC_COMPILER=${CMAKE_C_COMPILER} -DAR=${CMAKE_AR}
                   -DNM=${MUTINF_NM}
                   -DREADELF=${MUTINF_READELF} -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/abi-selftest
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/abi/selftest.cmake)
  set_tests_properties(abi_checkers_selftest PROPERTIES LABELS abi TIMEOUT 60)
endif()
