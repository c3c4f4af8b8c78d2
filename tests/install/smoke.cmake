cmake_minimum_required(VERSION 3.21)
# Install smoke test, run by ctest (see tests/install.cmake):
#   cmake -DMODE=find_package|pkg_config|relocated -DBUILD_DIR=... -DSOURCE_DIR=...
#         -DWORK_DIR=... [-DCONFIG=...] -DLIBDIR=lib -DINCLUDEDIR=include -DVERSION=x.y.z
#         -DSOVERSION=n -DEXPECT_STATIC=ON|OFF -DGENERATOR=... -DC_COMPILER=... -DCXX_COMPILER=...
#         -DPKG_CONFIG=... -DMAKE=... -P smoke.cmake
#
# Installs BUILD_DIR into WORK_DIR/prefix, checks the installed files, builds
# examples/consumer against the prefix and runs it: it must print the closed
# form TC = -1/2 ln(1 - 0.6^2) = 0.223143551314 nats and say "ok".
# MODE find_package also builds a C++-only project against mutinf::mutinf.
# MODE relocated installs, then moves the prefix to another folder (the
# original path no longer exists) and builds with pkg-config and CMake there.
foreach(var MODE BUILD_DIR SOURCE_DIR WORK_DIR LIBDIR INCLUDEDIR VERSION SOVERSION GENERATOR
            C_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "smoke.cmake: -D${var}= is required")
  endif()
endforeach()

# Independent reference: -0.5 * math.log(1 - 0.6**2) in Python, 12 decimals.
set(RHO 0.6)
set(EXPECTED_TC "0.223143551314")

# run(<name> WORKING_DIRECTORY <dir> COMMAND <cmd...>): runs, fails with its output.
function(run name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "WORKING_DIRECTORY;OUTPUT" "COMMAND")
  if(NOT arg_WORKING_DIRECTORY)
    set(arg_WORKING_DIRECTORY "${WORK_DIR}")
  endif()
  execute_process(COMMAND ${arg_COMMAND} WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}"
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    list(JOIN arg_COMMAND " " cmd)
    message(FATAL_ERROR "${name} failed (${rc}):\n${cmd}\n--- stdout:\n${out}\n--- stderr:\n${err}")
  endif()
  if(arg_OUTPUT)
    set(${arg_OUTPUT} "${out}" PARENT_SCOPE)
  endif()
endfunction()

function(install_into prefix)
  set(config_args "")
  if(CONFIG)
    set(config_args --config "${CONFIG}")
  endif()
  run("cmake --install" COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}"
      ${config_args})
  # The installed tree: every public header of the source tree, the library
  # with its SONAME link, the CMake package and the pkg-config file.
  file(GLOB source_headers RELATIVE "${SOURCE_DIR}/include/mutinf" "${SOURCE_DIR}/include/mutinf/*.h")
  set(required "")
  foreach(h IN LISTS source_headers)
    list(APPEND required "${INCLUDEDIR}/mutinf/${h}")
  endforeach()
  list(APPEND required
       "${LIBDIR}/libmutinf.so" "${LIBDIR}/libmutinf.so.${SOVERSION}" "${LIBDIR}/libmutinf.so.${VERSION}"
       "${LIBDIR}/cmake/mutinf/mutinfConfig.cmake" "${LIBDIR}/cmake/mutinf/mutinfConfigVersion.cmake"
       "${LIBDIR}/cmake/mutinf/mutinfTargets.cmake" "${LIBDIR}/pkgconfig/mutinf.pc")
  if(EXPECT_STATIC)
    list(APPEND required "${LIBDIR}/libmutinf.a")
  endif()
  foreach(f IN LISTS required)
    if(NOT EXISTS "${prefix}/${f}")
      message(FATAL_ERROR "cmake --install did not install ${f} into ${prefix}")
    endif()
  endforeach()
endfunction()

# check_output(<what> <output>): the consumer's line with the expected TC and "ok".
function(check_output what output)
  string(REPLACE "." "\\." expected_re "${EXPECTED_TC}")
  string(REPLACE "." "\\." version_re "${VERSION}")
  if(NOT output MATCHES "libmutinf ${version_re}: rho = 0\\.600000, TC = ${expected_re} nats[^\n]*: ok\n")
    message(FATAL_ERROR "${what} printed\n${output}\nexpected libmutinf ${VERSION} and "
                        "TC = ${EXPECTED_TC} nats ... ok")
  endif()
  string(STRIP "${output}" output)
  message(STATUS "${what}: ${output}")
endfunction()

function(build_with_cmake prefix build_dir)
  file(REMOVE_RECURSE "${build_dir}")
  run("configure examples/consumer"
      OUTPUT configure_out
      COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/examples/consumer" -B "${build_dir}"
              -G "${GENERATOR}" "-DCMAKE_C_COMPILER=${C_COMPILER}" -DCMAKE_BUILD_TYPE=Release
              "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
              -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
  string(REPLACE "." "\\." version_re "${VERSION}")
  if(NOT configure_out MATCHES "Found mutinf ${version_re} in ([^\n]*)")
    message(FATAL_ERROR "find_package(mutinf) did not report version ${VERSION}:\n${configure_out}")
  endif()
  get_filename_component(found_dir "${CMAKE_MATCH_1}" REALPATH)
  get_filename_component(want_dir "${prefix}/${LIBDIR}/cmake/mutinf" REALPATH)
  if(NOT found_dir STREQUAL want_dir)
    message(FATAL_ERROR "find_package(mutinf) found ${found_dir}, not ${want_dir}")
  endif()
  run("build examples/consumer with CMake" COMMAND "${CMAKE_COMMAND}" --build "${build_dir}"
      --config Release)
  set(exe "${build_dir}/consumer")
  if(NOT EXISTS "${exe}" AND EXISTS "${build_dir}/Release/consumer")
    set(exe "${build_dir}/Release/consumer")
  endif()
  run("consumer (CMake, shared)" OUTPUT out COMMAND "${exe}" ${RHO})
  check_output("consumer (CMake, mutinf::mutinf)" "${out}")
  if(EXPECT_STATIC)
    get_filename_component(exe_dir "${exe}" DIRECTORY)
    if(NOT EXISTS "${exe_dir}/consumer_static")
      message(FATAL_ERROR "mutinf::mutinf_static was installed but examples/consumer did not "
                          "build consumer_static")
    endif()
    run("consumer_static (CMake, static)" OUTPUT out COMMAND "${exe_dir}/consumer_static" ${RHO})
    check_output("consumer_static (CMake, mutinf::mutinf_static)" "${out}")
  endif()
endfunction()

# A C++-only project (no C enabled) consumes the shared library: the package
# must not require C-only dependencies, and the declarations must have C
# linkage (a missing extern "C" fails here, at link time).
function(build_cxx_consumer prefix build_dir)
  set(src "${build_dir}-src")
  file(REMOVE_RECURSE "${src}" "${build_dir}")
  file(WRITE "${src}/CMakeLists.txt" [=[
cmake_minimum_required(VERSION 3.16)
project(mutinf_cxx_consumer LANGUAGES CXX)
find_package(mutinf CONFIG REQUIRED)
add_executable(cxx_consumer main.cpp)
set_target_properties(cxx_consumer PROPERTIES CXX_STANDARD 11 CXX_STANDARD_REQUIRED ON)
target_link_libraries(cxx_consumer PRIVATE mutinf::mutinf)
]=])
  file(WRITE "${src}/main.cpp" [=[
#include <mutinf/mutinf.h>

#include <cmath>
#include <cstdio>

int main()
{
    const double rho = 0.6;
    const double weights[4] = {1.0, 0.0, rho, std::sqrt(1.0 - rho * rho)};
    mutinf_lingauss *model = nullptr;
    mutinf_partition *partition = nullptr;
    mutinf_options *options = nullptr;
    double tc = 0.0;
    if (mutinf_lingauss_create(weights, 2, 2, 2, 1, nullptr, 0, 0.0, &model) != MUTINF_OK
        || mutinf_partition_create_contiguous(2, 2, &partition) != MUTINF_OK
        || mutinf_options_create(&options) != MUTINF_OK
        || mutinf_lingauss_total_correlation(model, partition, options, &tc) != MUTINF_OK) {
        std::fprintf(stderr, "failed: %s\n", mutinf_last_error_message());
        return 1;
    }
    mutinf_options_destroy(options);
    mutinf_partition_destroy(partition);
    mutinf_lingauss_destroy(model);
    std::printf("libmutinf %s: rho = %.6f, TC = %.12f nats from C++: %s\n", mutinf_version(), rho,
                tc, mutinf_version_number() == MUTINF_VERSION_NUMBER ? "ok" : "MISMATCH");
    return 0;
}
]=])
  set(compiler_args "")
  if(CXX_COMPILER)
    set(compiler_args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
  endif()
  run("configure the C++ consumer" COMMAND "${CMAKE_COMMAND}" -S "${src}" -B "${build_dir}"
      -G "${GENERATOR}" ${compiler_args} -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=${prefix}"
      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
  run("build the C++ consumer" COMMAND "${CMAKE_COMMAND}" --build "${build_dir}" --config Release)
  set(exe "${build_dir}/cxx_consumer")
  if(NOT EXISTS "${exe}" AND EXISTS "${build_dir}/Release/cxx_consumer")
    set(exe "${build_dir}/Release/cxx_consumer")
  endif()
  run("C++ consumer" OUTPUT out COMMAND "${exe}")
  check_output("consumer (C++ project, mutinf::mutinf)" "${out}")
endfunction()

function(build_with_pkg_config prefix build_dir)
  if(NOT PKG_CONFIG OR NOT MAKE)
    set(skipped TRUE PARENT_SCOPE)
    return()
  endif()
  set(ENV{PKG_CONFIG_PATH} "${prefix}/${LIBDIR}/pkgconfig")
  run("pkg-config --modversion mutinf" OUTPUT pc_version
      COMMAND "${PKG_CONFIG}" --modversion mutinf)
  string(STRIP "${pc_version}" pc_version)
  if(NOT pc_version STREQUAL VERSION)
    message(FATAL_ERROR "pkg-config --modversion mutinf is '${pc_version}', expected ${VERSION}")
  endif()
  # Relocatable: the paths derive from the .pc file's own folder.
  foreach(var prefix libdir includedir)
    run("pkg-config --variable=${var}" OUTPUT value COMMAND "${PKG_CONFIG}" --variable=${var} mutinf)
    string(STRIP "${value}" value)
    get_filename_component(value "${value}" REALPATH)
    if(var STREQUAL "prefix")
      set(want "${prefix}")
    elseif(var STREQUAL "libdir")
      set(want "${prefix}/${LIBDIR}")
    else()
      set(want "${prefix}/${INCLUDEDIR}")
    endif()
    get_filename_component(want "${want}" REALPATH)
    if(NOT value STREQUAL want)
      message(FATAL_ERROR "pkg-config --variable=${var} mutinf gives ${value}, expected ${want}")
    endif()
  endforeach()
  file(REMOVE_RECURSE "${build_dir}")
  file(MAKE_DIRECTORY "${build_dir}")
  set(targets consumer)
  if(EXPECT_STATIC)
    list(APPEND targets consumer_static)
  endif()
  run("make -f examples/consumer/Makefile" WORKING_DIRECTORY "${build_dir}"
      COMMAND "${MAKE}" -f "${SOURCE_DIR}/examples/consumer/Makefile" "CC=${C_COMPILER}"
              "PKG_CONFIG=${PKG_CONFIG}" ${targets})
  if(DEFINED ENV{LD_LIBRARY_PATH} AND NOT "$ENV{LD_LIBRARY_PATH}" STREQUAL "")
    set(ENV{LD_LIBRARY_PATH} "${prefix}/${LIBDIR}:$ENV{LD_LIBRARY_PATH}")
  else()
    set(ENV{LD_LIBRARY_PATH} "${prefix}/${LIBDIR}")
  endif()
  run("consumer (pkg-config)" OUTPUT out COMMAND "${build_dir}/consumer" ${RHO})
  check_output("consumer (pkg-config)" "${out}")
  if(EXPECT_STATIC)
    # Linked with libmutinf.a and the .pc file's Libs.private only.
    run("consumer_static (pkg-config --static)" OUTPUT out
        COMMAND "${build_dir}/consumer_static" ${RHO})
    check_output("consumer_static (pkg-config --static)" "${out}")
  endif()
  set(skipped FALSE PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(skipped FALSE)

if(MODE STREQUAL "find_package")
  install_into("${WORK_DIR}/prefix")
  build_with_cmake("${WORK_DIR}/prefix" "${WORK_DIR}/build")
  build_cxx_consumer("${WORK_DIR}/prefix" "${WORK_DIR}/build-cxx")
elseif(MODE STREQUAL "pkg_config")
  install_into("${WORK_DIR}/prefix")
  build_with_pkg_config("${WORK_DIR}/prefix" "${WORK_DIR}/build")
elseif(MODE STREQUAL "relocated")
  install_into("${WORK_DIR}/original")
  file(MAKE_DIRECTORY "${WORK_DIR}/elsewhere")
  file(RENAME "${WORK_DIR}/original" "${WORK_DIR}/elsewhere/prefix")
  if(EXISTS "${WORK_DIR}/original")
    message(FATAL_ERROR "could not move the prefix away")
  endif()
  build_with_pkg_config("${WORK_DIR}/elsewhere/prefix" "${WORK_DIR}/build-pkg-config")
  build_with_cmake("${WORK_DIR}/elsewhere/prefix" "${WORK_DIR}/build-cmake")
else()
  message(FATAL_ERROR "smoke.cmake: unknown MODE '${MODE}'")
endif()

file(REMOVE_RECURSE "${WORK_DIR}")
if(skipped)
  # tests/install.cmake marks the test skipped on this line.
  message("MUTINF_TEST_SKIPPED: pkg-config or make not found")
endif()
