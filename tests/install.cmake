# Install smoke tests (label "install"): each installs the current build with
# `cmake --install` into its own temporary prefix under the build tree and
# builds examples/consumer against it (tests/install/smoke.cmake):
#   install_find_package  find_package(mutinf CONFIG), shared and static targets, and
#                         a C++-only project with the shared one;
#   install_pkg_config    pkg-config (examples/consumer/Makefile), shared and --static;
#   install_relocated     the prefix moved elsewhere after installing, then both again.
find_program(MUTINF_PKG_CONFIG NAMES pkg-config pkgconf)
find_program(MUTINF_MAKE NAMES make gmake)

set(MUTINF_INSTALL_TEST_STATIC OFF)
if(TARGET mutinf_static AND MUTINF_BUILD_STATIC)
  set(MUTINF_INSTALL_TEST_STATIC ON)
endif()

foreach(mode find_package pkg_config relocated)
  add_test(NAME install_${mode}
           COMMAND ${CMAKE_COMMAND}
                   -DMODE=${mode}
                   -DBUILD_DIR=${PROJECT_BINARY_DIR}
                   -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
                   -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/install/${mode}
                   -DCONFIG=$<CONFIG>
                   -DLIBDIR=${CMAKE_INSTALL_LIBDIR}
                   -DINCLUDEDIR=${CMAKE_INSTALL_INCLUDEDIR}
                   -DVERSION=${PROJECT_VERSION}
                   -DSOVERSION=${MUTINF_SOVERSION}
                   -DEXPECT_STATIC=${MUTINF_INSTALL_TEST_STATIC}
                   -DGENERATOR=${CMAKE_GENERATOR}
                   -DC_COMPILER=${CMAKE_C_COMPILER}
                   -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
                   -DPKG_CONFIG=${MUTINF_PKG_CONFIG}
                   -DMAKE=${MUTINF_MAKE}
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/install/smoke.cmake)
  set_tests_properties(install_${mode} PROPERTIES LABELS install TIMEOUT 300
                       SKIP_REGULAR_EXPRESSION "MUTINF_TEST_SKIPPED")
endforeach()
