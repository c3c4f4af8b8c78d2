# Tests of the mutinf command-line tool (tools/): the readers' unit test
# compiles the tool's reader sources in; the command-line tests run the
# installed-layout executable on files the test script makes itself.
if(TARGET test_npyio)
  target_sources(test_npyio PRIVATE ${CMAKE_SOURCE_DIR}/tools/npy.c ${CMAKE_SOURCE_DIR}/tools/csv.c
                 ${CMAKE_SOURCE_DIR}/tools/reader.c)
  target_include_directories(test_npyio PRIVATE ${CMAKE_SOURCE_DIR}/tools)
endif()

# The command-line tests: one ctest test per group of tests/cli/test_cli.py
# (Python 3 with NumPy makes the input files and the reference values).
set(MUTINF_CLI_PYTHON /usr/bin/python3 CACHE FILEPATH "Python 3 with NumPy for the CLI tests")
if(TARGET mutinf_cli AND EXISTS ${MUTINF_CLI_PYTHON})
  set(MUTINF_CLI_GROUPS usage readers partition lingauss jacobian gaussian quantized kmeans
      demo)
  foreach(group ${MUTINF_CLI_GROUPS})
    add_test(NAME cli_${group}
             COMMAND ${MUTINF_CLI_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli.py
                     $<TARGET_FILE:mutinf_cli> ${group})
    set_tests_properties(cli_${group} PROPERTIES LABELS cli TIMEOUT 600
                         ENVIRONMENT "OMP_NUM_THREADS=2")
  endforeach()
  # The readers' error paths under valgrind (each run of the tool checked for
  # invalid accesses and leaks).
  if(MUTINF_MEMCHECK AND VALGRIND)
    add_test(NAME memcheck_cli_readers
             COMMAND ${MUTINF_CLI_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli.py
                     $<TARGET_FILE:mutinf_cli> readers)
    set_tests_properties(memcheck_cli_readers PROPERTIES LABELS memcheck TIMEOUT 900
      ENVIRONMENT "OMP_NUM_THREADS=2;OPENBLAS_NUM_THREADS=1;MUTINF_CLI_WRAPPER=${VALGRIND} --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --quiet")
  endif()
endif()

# README's worked PyTorch example, run verbatim (skipped without PyTorch).
if(TARGET mutinf_cli AND EXISTS ${MUTINF_CLI_PYTHON})
  add_test(NAME cli_readme_example
           COMMAND ${MUTINF_CLI_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/cli/readme_example.py
                   $<TARGET_FILE:mutinf_cli> ${CMAKE_SOURCE_DIR})
  set_tests_properties(cli_readme_example PROPERTIES LABELS cli TIMEOUT 600 SKIP_RETURN_CODE 77
                       ENVIRONMENT "OMP_NUM_THREADS=2")
endif()
