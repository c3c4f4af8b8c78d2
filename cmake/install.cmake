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
file(RELATIVE_PATH MUTINF_PC_TO_PREFIX "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
configure_file(pkgconfig/mutinf.pc.in ${CMAKE_CURRENT_BINARY_DIR}/mutinf.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mutinf.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
