# Every dependency comes from a Debian 12 package; a missing one stops configure with its name.
find_package(PkgConfig REQUIRED)

function(rt_require_pkg target module package)
  pkg_check_modules(${target} QUIET IMPORTED_TARGET ${module})
  if(NOT ${target}_FOUND)
    message(FATAL_ERROR "${module} not found: install the Debian package ${package} (apt-get install ${package})")
  endif()
endfunction()

rt_require_pkg(UV libuv libuv1-dev)
rt_require_pkg(JANSSON jansson libjansson-dev)
rt_require_pkg(PQ libpq libpq-dev)
rt_require_pkg(SODIUM libsodium libsodium-dev)

# llhttp ships as C sources (node-llhttp); we compile them into a static library.
set(RT_LLHTTP_SRC_DIR "/usr/share/llhttp" CACHE PATH "llhttp C sources (Debian package node-llhttp)")
set(RT_LLHTTP_INCLUDE_DIR "/usr/share/include/llhttp" CACHE PATH "llhttp header (Debian package node-llhttp)")
if(NOT EXISTS "${RT_LLHTTP_SRC_DIR}/llhttp.c" OR NOT EXISTS "${RT_LLHTTP_INCLUDE_DIR}/llhttp.h")
  message(FATAL_ERROR "llhttp sources not found in ${RT_LLHTTP_SRC_DIR}: install the Debian package node-llhttp (apt-get install node-llhttp)")
endif()
add_library(llhttp STATIC
  ${RT_LLHTTP_SRC_DIR}/llhttp.c ${RT_LLHTTP_SRC_DIR}/api.c ${RT_LLHTTP_SRC_DIR}/http.c)
target_include_directories(llhttp SYSTEM PUBLIC ${RT_LLHTTP_INCLUDE_DIR})
set_target_properties(llhttp PROPERTIES POSITION_INDEPENDENT_CODE ON C_EXTENSIONS OFF)
target_compile_options(llhttp PRIVATE -w)
# llhttp's own strict mode (no lenient flags); service/http/scan.c refuses what it still lets through.
target_compile_definitions(llhttp PRIVATE LLHTTP_STRICT_MODE=1)

if(RT_TESTS)
  rt_require_pkg(CMOCKA cmocka libcmocka-dev)
endif()
