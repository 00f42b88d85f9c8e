// File: cli/allocator.h
//
// Which general-purpose allocator this binary runs on. ploke-sim links mimalloc, jemalloc or
// none (glibc malloc) as chosen by -DPLOKE_ALLOCATOR (cmake/PlokeAllocator.cmake); the
// library replaces malloc/free by symbol interposition, so what counts is which shared object
// the process's `malloc` resolves to, not what was asked for. `ploke-sim --version` prints it
// (tests/cli: allocator_cli_test fails if the linker dropped the library).
#pragma once

#include <string>

namespace ploke::cli {

/// The allocator `malloc` resolves to at run time: "mimalloc", "jemalloc", "system" (glibc),
/// "sanitizer" in an ASan or TSan build (the sanitizer runtime replaces malloc), or the file
/// name of whatever other shared object defines it.
std::string active_allocator();

}  // namespace ploke::cli
