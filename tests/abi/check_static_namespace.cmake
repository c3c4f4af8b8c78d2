cmake_minimum_required(VERSION 3.21)
# cmake -DARCHIVE=libmutinf.a -DNM=nm -P check_static_namespace.cmake
#
# The static library cannot hide its internals as the shared one does
# (visibility and the version script do not apply to an archive), so every
# global symbol it defines must stay in libmutinf's namespace: mutinf_* (the
# public API) or mutinf__* (internal helpers, STYLE.md).  OpenMP named
# critical sections, which GCC emits as .gomp_critical_user_<name>, must be
# named mutinf_* too.
foreach(var ARCHIVE NM)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_static_namespace.cmake: -D${var}= is required")
  endif()
endforeach()
if(NOT EXISTS "${ARCHIVE}")
  message(FATAL_ERROR "${ARCHIVE} does not exist: build the library first")
endif()
execute_process(COMMAND "${NM}" -g --defined-only "${ARCHIVE}"
                OUTPUT_VARIABLE nm_out ERROR_VARIABLE nm_err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} -g --defined-only ${ARCHIVE} failed (${rc}): ${nm_err}")
endif()
string(REPLACE "\n" ";" nm_lines "${nm_out}")
set(member "")
set(count 0)
set(outside "")
foreach(line IN LISTS nm_lines)
  if(line MATCHES "^(.*):$")
    set(member "${CMAKE_MATCH_1}")
    continue()
  endif()
  if(NOT line MATCHES "^[0-9a-fA-F]* *([A-Za-z?]) ([^ ]+)$")
    continue()
  endif()
  set(name "${CMAKE_MATCH_2}")
  math(EXPR count "${count} + 1")
  if(NOT name MATCHES "^mutinf_" AND NOT name MATCHES "^\\.gomp_critical_user_mutinf_")
    list(APPEND outside "${name} (${member})")
  endif()
endforeach()
message(STATUS "${ARCHIVE}: ${count} global symbols")
if(outside)
  list(LENGTH outside n)
  list(JOIN outside "\n  " text)
  message(FATAL_ERROR "${n} global symbol(s) of the static library outside the mutinf_/mutinf__ "
                      "namespace (make them static, or name them mutinf__*):\n  ${text}")
endif()
