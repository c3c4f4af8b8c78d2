cmake_minimum_required(VERSION 3.21)
# cmake -DINCLUDE_DIR=include/mutinf -P check_docs.cmake
#
# STYLE.md: every MUTINF_API declaration of a public header is directly
# preceded by its /** ... */ block, which ends with (or mentions) @since.
include("${CMAKE_CURRENT_LIST_DIR}/../abi/parse_header.cmake")
if(NOT DEFINED INCLUDE_DIR)
  message(FATAL_ERROR "check_docs.cmake: -DINCLUDE_DIR= is required")
endif()
file(GLOB headers "${INCLUDE_DIR}/*.h")
list(SORT headers)
set(undocumented "")
set(total 0)
foreach(header IN LISTS headers)
  set(decls "")
  mutinf_parse_header("${header}" decls undocumented)
  list(LENGTH decls n)
  math(EXPR total "${total} + ${n}")
endforeach()
message(STATUS "${total} MUTINF_API declarations")
if(undocumented)
  list(LENGTH undocumented n)
  list(JOIN undocumented "\n  " text)
  message(FATAL_ERROR "${n} declaration(s) without a /** ... @since ... */ block right "
                      "before them:\n  ${text}")
endif()
