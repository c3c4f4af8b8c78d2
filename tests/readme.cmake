# README's C example: extracted from README.md, compiled against the public
# headers and the shared library, run, and its output checked.
add_test(NAME readme_c_example
         COMMAND ${CMAKE_COMMAND}
                 -DREADME=${CMAKE_SOURCE_DIR}/README.md
                 -DCC=${CMAKE_C_COMPILER}
                 -DINCLUDE_DIR=${CMAKE_SOURCE_DIR}/include
                 -DLIBRARY=$<TARGET_FILE:mutinf>
                 -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/readme
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/readme/run_c_example.cmake)
set_tests_properties(readme_c_example PROPERTIES LABELS readme)
