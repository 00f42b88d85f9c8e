# Shared build helpers: warnings as an INTERFACE target, test and bench helpers.
include_guard(GLOBAL)

add_library(ploke_warnings INTERFACE)
add_library(ploke::warnings ALIAS ploke_warnings)
target_compile_options(ploke_warnings INTERFACE
  -Wall -Wextra -Wpedantic $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local> -Wnon-virtual-dtor -Wimplicit-fallthrough
  $<$<CXX_COMPILER_ID:Clang>:-Wthread-safety -Werror=thread-safety>
  # In a unity build a source is an included file, and g++ then warns about every class that
  # holds a type from that source's anonymous namespace (normal in one .cpp file).
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<BOOL:${CMAKE_UNITY_BUILD}>>:-Wno-subobject-linkage>)
if(PLOKE_SANITIZE)
  target_compile_options(ploke_warnings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(ploke_warnings INTERFACE -fsanitize=address,undefined)
endif()
if(PLOKE_TSAN)
  target_compile_options(ploke_warnings INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(ploke_warnings INTERFACE -fsanitize=thread)
endif()
if(PLOKE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PLOKE_FUZZ needs clang (-DCMAKE_CXX_COMPILER=clang++-14)")
  endif()
  # Everything gets ASan+UBSan (UB aborts, so the fuzzer sees it as a crash); the ploke
  # libraries also get libFuzzer's coverage instrumentation (tests and tools do not need
  # it); the harnesses link -fsanitize=fuzzer (libFuzzer's main).
  target_compile_options(ploke_warnings INTERFACE -fsanitize=address,undefined
    -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(ploke_warnings INTERFACE -fsanitize=address,undefined)
endif()

# ploke_add_library(NAME <module> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# Defines ploke_<module> with alias ploke::<module>; public headers in <dir>/include.
function(ploke_add_library)
  cmake_parse_arguments(A "" "NAME" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(ploke_${A_NAME} STATIC ${A_SOURCES})
  add_library(ploke::${A_NAME} ALIAS ploke_${A_NAME})
  target_include_directories(ploke_${A_NAME} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  target_link_libraries(ploke_${A_NAME} PUBLIC ${A_PUBLIC_DEPS} PRIVATE ploke::warnings ${A_PRIVATE_DEPS})
  if(PLOKE_FUZZ)
    target_compile_options(ploke_${A_NAME} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()

# ploke_add_test(NAME <name> SOURCES ... DEPS ... [LABELS ...])
function(ploke_add_test)
  cmake_parse_arguments(A "" "NAME" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${A_NAME} ${A_SOURCES})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} ploke_test_support GTest::gtest_main GTest::gmock ploke::warnings)
  target_compile_definitions(${A_NAME} PRIVATE
    PLOKE_SOURCE_DIR="${PROJECT_SOURCE_DIR}" PLOKE_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # Test code compiles for a short build: -O1 with line tables in RelWithDebInfo (the
  # libraries under test keep the build type's -O2 -g). It halves the tests' compile time.
  # Sanitizer trees set one level for everything (scripts/test.sh: -O0 -g1).
  if(NOT (PLOKE_SANITIZE OR PLOKE_TSAN OR PLOKE_FUZZ))
    target_compile_options(${A_NAME} PRIVATE "$<$<CONFIG:RelWithDebInfo>:-O1;-g1>")
  endif()
  # Every test in the folder also carries the folder's name as a label (e.g. `ctest -L
  # '^net$'`) through the directory's LABELS property (gtest_discover_tests flattens a list
  # given in PROPERTIES, so one label goes there), and the folder collects its executables
  # (ploke_tests_in(<folder> OUT)). Time limits come from ctest --timeout (scripts/test.sh).
  get_filename_component(folder ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  get_property(dir_labels DIRECTORY PROPERTY LABELS)
  if(NOT folder IN_LIST dir_labels)
    set_property(DIRECTORY APPEND PROPERTY LABELS ${folder})
  endif()
  list(LENGTH A_LABELS n_labels)
  if(n_labels GREATER 1)
    message(FATAL_ERROR "ploke_add_test(${A_NAME}): one LABELS value (the folder label is added)")
  endif()
  gtest_discover_tests(${A_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${A_LABELS}")
  set_property(GLOBAL APPEND PROPERTY PLOKE_TESTS_IN_${folder} ${A_NAME})
endfunction()

# ploke_tests_in(<folder> <out-var>): the test executables ploke_add_test made in tests/<folder>.
function(ploke_tests_in folder out)
  get_property(t GLOBAL PROPERTY PLOKE_TESTS_IN_${folder})
  set(${out} ${t} PARENT_SCOPE)
endfunction()

# ploke_add_bench(NAME <name> SOURCES ... DEPS ...); benches link the executables' allocator
# (ploke::allocator, cmake/PlokeAllocator.cmake) so they measure what ploke-sim runs.
function(ploke_add_bench)
  cmake_parse_arguments(A "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SOURCES})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} benchmark::benchmark ploke::warnings ploke::allocator)
endfunction()
