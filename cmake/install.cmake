# Installation: headers, libraries, the CMake package and the pkg-config file.
include(CMakePackageConfigHelpers)

set(MUTINF_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/mutinf)

install(DIRECTORY include/mutinf DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")

set(MUTINF_INSTALL_TARGETS mutinf)
if(TARGET mutinf_static AND MUTINF_BUILD_STATIC)
  list(APPEND MUTINF_INSTALL_TARGETS mutinf_static)
endif()
install(TARGETS ${MUTINF_INSTALL_TARGETS} EXPORT mutinfTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT mutinfTargets NAMESPACE mutinf:: DESTINATION ${MUTINF_INSTALL_CMAKEDIR})

configure_package_config_file(cmake/mutinfConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/mutinfConfig.cmake INSTALL_DESTINATION ${MUTINF_INSTALL_CMAKEDIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/mutinfConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mutinfConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/mutinfConfigVersion.cmake
              cmake/FindLAPACKE.cmake
        DESTINATION ${MUTINF_INSTALL_CMAKEDIR})

# The .pc file finds the prefix relative to its own folder, so the install is
# relocatable.
# (An absolute CMAKE_INSTALL_LIBDIR or INCLUDEDIR cannot move with the prefix:
# then the .pc file holds absolute paths.)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(MUTINF_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(MUTINF_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(MUTINF_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH MUTINF_PC_TO_PREFIX "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
  string(REGEX REPLACE "/$" "" MUTINF_PC_TO_PREFIX "${MUTINF_PC_TO_PREFIX}")
  set(MUTINF_PC_PREFIX "\${pcfiledir}/${MUTINF_PC_TO_PREFIX}")
  set(MUTINF_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(MUTINF_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(pkgconfig/mutinf.pc.in ${CMAKE_CURRENT_BINARY_DIR}/mutinf.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mutinf.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
