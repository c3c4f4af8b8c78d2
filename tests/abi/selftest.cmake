cmake_minimum_required(VERSION 3.21)
# cmake -DC_COMPILER=... -DAR=... -DNM=... -DREADELF=... -DWORK_DIR=... -P selftest.cmake
#
# The checkers of abi.cmake and headers.cmake can fail: run each on inputs
# made to break its rules (tests/abi/selftest/) and on a clean control, and
# require the right verdict and a message naming every problem.
foreach(var C_COMPILER AR NM READELF WORK_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "selftest.cmake: -D${var}= is required")
  endif()
endforeach()
set(here "${CMAKE_CURRENT_LIST_DIR}")
set(inputs "${here}/selftest")
set(failures "")

# expect(<label> PASS|FAIL [MATCHES <regex>...] COMMAND <cmd>...)
function(expect label verdict)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "MATCHES;COMMAND")
  execute_process(COMMAND ${arg_COMMAND} OUTPUT_VARIABLE out ERROR_VARIABLE err
                  RESULT_VARIABLE rc)
  set(text "${out}${err}")
  set(problems "")
  if(verdict STREQUAL "PASS" AND NOT rc EQUAL 0)
    list(APPEND problems "expected success, got exit code ${rc}")
  elseif(verdict STREQUAL "FAIL" AND rc EQUAL 0)
    list(APPEND problems "expected failure, got success")
  endif()
  foreach(re IN LISTS arg_MATCHES)
    if(NOT text MATCHES "${re}")
      list(APPEND problems "output does not match '${re}'")
    endif()
  endforeach()
  if(problems)
    list(JOIN problems "; " p)
    message("FAILED ${label}: ${p}\n--- output:\n${text}")
    set(failures ${failures} "${label}" PARENT_SCOPE)
  else()
    message(STATUS "ok ${label}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/good" "${WORK_DIR}/bad")

# --- check_exports.cmake ----------------------------------------------------
file(WRITE "${WORK_DIR}/good/exports_selftest.txt"
     "# all of lib.c\nmutinf_selftest_common\nmutinf_selftest_documented\n"
     "mutinf_selftest_unlisted\n\nmutinf_selftest_data\n")
file(WRITE "${WORK_DIR}/good/lib.map" "MUTINF_0 {\n  global:\n    mutinf_*;\n  local:\n    *;\n};\n")
execute_process(COMMAND "${C_COMPILER}" -shared -fPIC -fvisibility=hidden -o "${WORK_DIR}/good/lib.so"
                        "${inputs}/lib.c" -Wl,-soname,libmutinf.so.0
                        "-Wl,--version-script=${WORK_DIR}/good/lib.map"
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot build the self-test library: ${err}")
endif()
execute_process(COMMAND "${C_COMPILER}" -shared -fPIC -fvisibility=hidden -o "${WORK_DIR}/bad/lib.so"
                        "${inputs}/lib.c" -Wl,-soname,libwrong.so.9
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot build the self-test library: ${err}")
endif()
expect("exports: matching library passes" PASS
       MATCHES "4 exported symbols" "SONAME libmutinf\\.so\\.0"
       COMMAND "${CMAKE_COMMAND}" "-DLIBRARY=${WORK_DIR}/good/lib.so" "-DEXPORTS_DIR=${WORK_DIR}/good"
               "-DNM=${NM}" "-DREADELF=${READELF}" -DSONAME=libmutinf.so.0
               -P "${here}/check_exports.cmake")
expect("exports: extra, missing, unversioned and SONAME are reported" FAIL
       MATCHES "in tests/exports_\\*\\.txt but not in the library's exports:[\n ]+mutinf_selftest_listed_not_exported"
               "in the library's exports but not in tests/exports_\\*\\.txt:[\n ]+mutinf_selftest_data[\n ]+mutinf_selftest_unlisted"
               "without a version node"
               "SONAME is libwrong\\.so\\.9, expected libmutinf\\.so\\.0"
       COMMAND "${CMAKE_COMMAND}" "-DLIBRARY=${WORK_DIR}/bad/lib.so" "-DEXPORTS_DIR=${inputs}"
               "-DNM=${NM}" "-DREADELF=${READELF}" -DSONAME=libmutinf.so.0
               -P "${here}/check_exports.cmake")
file(WRITE "${WORK_DIR}/bad/exports_typo.txt" "mutinf_ok\nMutinf Bad\n")
expect("exports: a malformed export list line is reported" FAIL
       MATCHES "exports_typo\\.txt:2: 'Mutinf Bad'"
       COMMAND "${CMAKE_COMMAND}" "-DLIBRARY=${WORK_DIR}/good/lib.so" "-DEXPORTS_DIR=${WORK_DIR}/bad"
               "-DNM=${NM}" "-DREADELF=${READELF}" -DSONAME=libmutinf.so.0
               -P "${here}/check_exports.cmake")

# --- check_static_namespace.cmake ---------------------------------------------
file(WRITE "${WORK_DIR}/good/ns.c"
     "int mutinf_selftest_public(void);\nint mutinf__selftest_internal(void);\n"
     "static int helper(void) { return 1; }\n"
     "int mutinf_selftest_public(void) { return helper(); }\n"
     "int mutinf__selftest_internal(void) { return 2; }\n")
foreach(kind good bad)
  if(kind STREQUAL "good")
    set(src "${WORK_DIR}/good/ns.c")
  else()
    set(src "${inputs}/lib.c")
  endif()
  execute_process(COMMAND "${C_COMPILER}" -c -o "${WORK_DIR}/${kind}/ns.o" "${src}"
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(rc EQUAL 0)
    execute_process(COMMAND "${AR}" rcs "${WORK_DIR}/${kind}/libns.a" "${WORK_DIR}/${kind}/ns.o"
                    RESULT_VARIABLE rc ERROR_VARIABLE err)
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot build the self-test archive: ${err}")
  endif()
endforeach()
expect("static namespace: prefixed globals pass" PASS
       MATCHES "2 global symbols"
       COMMAND "${CMAKE_COMMAND}" "-DARCHIVE=${WORK_DIR}/good/libns.a" "-DNM=${NM}"
               -P "${here}/check_static_namespace.cmake")
expect("static namespace: an unprefixed global is reported" FAIL
       MATCHES "1 global symbol\\(s\\)" "selftest_helper_without_prefix \\(ns\\.o\\)"
       COMMAND "${CMAKE_COMMAND}" "-DARCHIVE=${WORK_DIR}/bad/libns.a" "-DNM=${NM}"
               -P "${here}/check_static_namespace.cmake")

# --- check_declarations.cmake -------------------------------------------------
file(MAKE_DIRECTORY "${WORK_DIR}/clean")
file(COPY "${inputs}/common.h" DESTINATION "${WORK_DIR}/clean")
file(WRITE "${WORK_DIR}/clean/exports_selftest.txt" "mutinf_selftest_common\n")
expect("declarations: matching headers pass" PASS
       COMMAND "${CMAKE_COMMAND}" "-DINCLUDE_DIR=${WORK_DIR}/clean" "-DEXPORTS_DIR=${WORK_DIR}/clean"
               -P "${here}/check_declarations.cmake")
expect("declarations: differences are reported" FAIL
       MATCHES "bad_header\\.h: 6 MUTINF_API declarations"
               "in tests/exports_\\*\\.txt but not in the MUTINF_API declarations[^\n]*:[\n ]+mutinf_selftest_listed_not_exported"
               "mutinf_selftest_first[\n ]+mutinf_selftest_no_since[\n ]+mutinf_selftest_plain_comment[\n ]+mutinf_selftest_second[\n ]+mutinf_selftest_split"
       COMMAND "${CMAKE_COMMAND}" "-DINCLUDE_DIR=${inputs}" "-DEXPORTS_DIR=${inputs}"
               -P "${here}/check_declarations.cmake")

# --- headers/check_docs.cmake ---------------------------------------------------
expect("docs: documented headers pass" PASS
       COMMAND "${CMAKE_COMMAND}" "-DINCLUDE_DIR=${WORK_DIR}/clean"
               -P "${here}/../headers/check_docs.cmake")
expect("docs: undocumented declarations are reported" FAIL
       MATCHES "3 declaration\\(s\\)" "bad_header\\.h:16: mutinf_selftest_no_since"
               "bad_header\\.h:19: mutinf_selftest_plain_comment" "bad_header\\.h:22: mutinf_selftest_second"
       COMMAND "${CMAKE_COMMAND}" "-DINCLUDE_DIR=${inputs}" -P "${here}/../headers/check_docs.cmake")

# --- headers/check_includes.cmake -------------------------------------------------
file(COPY "${inputs}/mutinf.h" DESTINATION "${WORK_DIR}/clean")
expect("includes: clean headers pass" PASS
       COMMAND "${CMAKE_COMMAND}" "-DINCLUDE_DIR=${WORK_DIR}/clean"
               -P "${here}/../headers/check_includes.cmake")
expect("includes: includes, guard, extern C and umbrella are reported" FAIL
       MATCHES "bad_header\\.h: '#include <stdio\\.h>'"
               "bad_header\\.h: must start with the include guard #ifndef MUTINF_BAD_HEADER_H"
               "bad_header\\.h: declares functions but has no extern \"C\""
               "mutinf\\.h: the umbrella header does not include \"bad_header\\.h\""
       COMMAND "${CMAKE_COMMAND}" "-DINCLUDE_DIR=${inputs}" -P "${here}/../headers/check_includes.cmake")

file(REMOVE_RECURSE "${WORK_DIR}")
if(failures)
  list(JOIN failures "\n  " text)
  message(FATAL_ERROR "checker self-test failed:\n  ${text}")
endif()
