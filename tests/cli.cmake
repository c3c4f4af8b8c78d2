# Tests of the mutinf command-line tool (tools/): the readers' unit test
# compiles the tool's reader sources in; the command-line tests run the
# installed-layout executable on files the test script makes itself.
if(TARGET test_npyio)
  target_sources(test_npyio PRIVATE ${CMAKE_SOURCE_DIR}/tools/npy.c ${CMAKE_SOURCE_DIR}/tools/csv.c)
  target_include_directories(test_npyio PRIVATE ${CMAKE_SOURCE_DIR}/tools)
endif()
