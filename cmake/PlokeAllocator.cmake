# The general-purpose allocator of the ploke-sim executable and the benches:
#   -DPLOKE_ALLOCATOR=mimalloc (default) | jemalloc | system
# The scenario runner allocates and frees a great many small objects (requests, responses,
# SSE events, timers); with glibc malloc a fifth of its CPU went to malloc/free, and
# mimalloc took `scenario run bench/scenarios/hour-100k.json` from 4.25 s to 2.87 s of CPU
# (jemalloc: 3.05 s). See bench/README.md "Scenario runner".
# The allocator replaces malloc/free by symbol interposition (the shared library is linked
# with --no-as-needed so the linker never drops it); only executables link ploke::allocator,
# never the SDK's libraries. `ploke-sim --version` names the allocator actually in use
# (tests/cli: allocator_cli_test). Packages: libmimalloc-dev / libjemalloc-dev
# (scripts/install-deps.sh). Sanitizer builds always use the system allocator.
include_guard(GLOBAL)

set(PLOKE_ALLOCATOR "mimalloc" CACHE STRING "Allocator of ploke-sim and the benches: mimalloc, jemalloc or system")
set_property(CACHE PLOKE_ALLOCATOR PROPERTY STRINGS mimalloc jemalloc system)
if(NOT PLOKE_ALLOCATOR MATCHES "^(mimalloc|jemalloc|system)$")
  message(FATAL_ERROR "PLOKE_ALLOCATOR must be mimalloc, jemalloc or system (got '${PLOKE_ALLOCATOR}')")
endif()
set(PLOKE_ALLOCATOR_EFFECTIVE ${PLOKE_ALLOCATOR})
if((PLOKE_SANITIZE OR PLOKE_TSAN) AND NOT PLOKE_ALLOCATOR STREQUAL "system")
  message(STATUS "ploke: a sanitizer is on: using the system allocator instead of ${PLOKE_ALLOCATOR}")
  set(PLOKE_ALLOCATOR_EFFECTIVE system)
endif()
# What `ploke-sim --version` reports: a sanitizer's runtime replaces malloc in the executable.
set(PLOKE_ALLOCATOR_REPORTED ${PLOKE_ALLOCATOR_EFFECTIVE})
if(PLOKE_SANITIZE OR PLOKE_TSAN)
  set(PLOKE_ALLOCATOR_REPORTED sanitizer)
endif()

add_library(ploke_allocator INTERFACE)
add_library(ploke::allocator ALIAS ploke_allocator)
set(_ploke_alloc_lib "")
if(PLOKE_ALLOCATOR_EFFECTIVE STREQUAL "mimalloc")
  find_package(mimalloc 2.0 QUIET)
  if(NOT mimalloc_FOUND)
    message(FATAL_ERROR "PLOKE_ALLOCATOR=mimalloc needs libmimalloc-dev (run scripts/install-deps.sh), "
                        "or configure with -DPLOKE_ALLOCATOR=system")
  endif()
  set(_ploke_alloc_lib mimalloc)
elseif(PLOKE_ALLOCATOR_EFFECTIVE STREQUAL "jemalloc")
  pkg_check_modules(JEMALLOC QUIET IMPORTED_TARGET jemalloc)
  if(NOT JEMALLOC_FOUND)
    message(FATAL_ERROR "PLOKE_ALLOCATOR=jemalloc needs libjemalloc-dev (run scripts/install-deps.sh), "
                        "or configure with -DPLOKE_ALLOCATOR=system")
  endif()
  set(_ploke_alloc_lib PkgConfig::JEMALLOC)
endif()
if(_ploke_alloc_lib)
  target_link_libraries(ploke_allocator INTERFACE
    -Wl,--push-state,--no-as-needed ${_ploke_alloc_lib} -Wl,--pop-state)
endif()
message(STATUS "ploke: allocator ${PLOKE_ALLOCATOR_EFFECTIVE}")
