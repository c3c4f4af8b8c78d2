# FindLAPACKE: the C interface to LAPACK (netlib liblapacke on Debian, where
# OpenBLAS is built without it).  Defines LAPACKE::LAPACKE, LAPACKE_FOUND,
# LAPACKE_INCLUDE_DIRS and LAPACKE_LIBRARIES.  LAPACK itself (from OpenBLAS
# or reference LAPACK) is linked through find_package(LAPACK).
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_LAPACKE QUIET lapacke)
endif()
find_path(LAPACKE_INCLUDE_DIR lapacke.h
  HINTS ${PC_LAPACKE_INCLUDE_DIRS} PATH_SUFFIXES lapacke openblas)
find_library(LAPACKE_LIBRARY NAMES lapacke HINTS ${PC_LAPACKE_LIBRARY_DIRS})
find_package(LAPACK QUIET)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LAPACKE REQUIRED_VARS LAPACKE_LIBRARY LAPACKE_INCLUDE_DIR)

if(LAPACKE_FOUND)
  set(LAPACKE_INCLUDE_DIRS ${LAPACKE_INCLUDE_DIR})
  set(LAPACKE_LIBRARIES ${LAPACKE_LIBRARY} ${LAPACK_LIBRARIES})
  if(NOT TARGET LAPACKE::LAPACKE)
    add_library(LAPACKE::LAPACKE UNKNOWN IMPORTED)
    set_target_properties(LAPACKE::LAPACKE PROPERTIES
      IMPORTED_LOCATION "${LAPACKE_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${LAPACKE_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${LAPACK_LIBRARIES}")
  endif()
endif()
mark_as_advanced(LAPACKE_INCLUDE_DIR LAPACKE_LIBRARY)
