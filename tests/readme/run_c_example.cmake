# Extracts the first ```c block of README.md, builds and runs it, and checks
# that it prints the closed form it promises.
file(READ ${README} text)
string(FIND "${text}" "```c\n" start)
if(start LESS 0)
  message(FATAL_ERROR "README.md has no ```c block")
endif()
math(EXPR start "${start} + 5")
string(SUBSTRING "${text}" ${start} -1 rest)
string(FIND "${rest}" "```" stop)
string(SUBSTRING "${rest}" 0 ${stop} code)
file(MAKE_DIRECTORY ${WORK_DIR})
file(WRITE ${WORK_DIR}/example.c "${code}")
get_filename_component(libdir ${LIBRARY} DIRECTORY)
execute_process(COMMAND ${CC} -std=c11 -Wall -Wextra -Werror -I${INCLUDE_DIR}
                        ${WORK_DIR}/example.c -o ${WORK_DIR}/example ${LIBRARY} -lm
                        -Wl,-rpath,${libdir}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "README example does not compile:\n${out}${err}")
endif()
execute_process(COMMAND ${WORK_DIR}/example RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "README example failed (${rc}):\n${out}${err}")
endif()
# -1/2 ln(1 - 0.36) = 0.223143551314...
if(NOT out MATCHES "TC = 0\\.22314355131[0-9] nats \\(closed form 0\\.22314355131[0-9]\\)")
  message(FATAL_ERROR "README example printed an unexpected value:\n${out}")
endif()
message(STATUS "README example: ${out}")
