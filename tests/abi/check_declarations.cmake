cmake_minimum_required(VERSION 3.21)
# cmake -DINCLUDE_DIR=include/mutinf -DEXPORTS_DIR=tests -P check_declarations.cmake
#
# The functions declared MUTINF_API in the public headers are exactly the
# union of tests/exports_*.txt (so, with abi_exports, headers == export lists
# == the library's dynamic symbols).
include("${CMAKE_CURRENT_LIST_DIR}/read_exports.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/parse_header.cmake")

foreach(var INCLUDE_DIR EXPORTS_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_declarations.cmake: -D${var}= is required")
  endif()
endforeach()

mutinf_read_exports("${EXPORTS_DIR}" expected)

file(GLOB headers "${INCLUDE_DIR}/*.h")
list(SORT headers)
set(declared "")
set(undocumented "")
foreach(header IN LISTS headers)
  set(decls "")
  mutinf_parse_header("${header}" decls undocumented)
  list(LENGTH decls n)
  get_filename_component(header_name "${header}" NAME)
  message(STATUS "${header_name}: ${n} MUTINF_API declarations")
  set(seen ${declared})
  foreach(name IN LISTS decls)
    if(name IN_LIST seen)
      message(FATAL_ERROR "${name} is declared MUTINF_API twice (second time in ${header_name})")
    endif()
    list(APPEND seen "${name}")
  endforeach()
  list(APPEND declared ${decls})
endforeach()
list(SORT declared)

set(bad_names "")
foreach(name IN LISTS declared)
  if(NOT name MATCHES "^mutinf_[a-z0-9]+(_[a-z0-9]+)*$")
    list(APPEND bad_names "${name}")
  endif()
endforeach()

mutinf_compare_sets("tests/exports_*.txt" expected "the MUTINF_API declarations of ${INCLUDE_DIR}"
                    declared same)
if(bad_names)
  list(JOIN bad_names "\n  " text)
  message("public functions not named mutinf_<object>_<verb> (lower case):\n  ${text}")
endif()
if(NOT same OR bad_names)
  message(FATAL_ERROR "the public headers and the export lists disagree")
endif()
