// File: cli/data_dir.h
//
// Where an installed ploke-sim finds its data (the scenario library, the check files, the
// contract suites and the cassettes they replay): <prefix>/share/ploke-sim/, next to the
// binary's <prefix>/bin (read from /proc/self/exe). A binary run from its build tree finds
// nothing there and falls back to the source tree it was built from (compile-time paths).
//
// Thread-safety: reads the file system only.
#pragma once

#include <string>
#include <string_view>

namespace ploke::cli {

/// <prefix>/share/ploke-sim/RELATIVE when it exists, else "".
std::string installed_data(std::string_view relative);

/// installed_data(relative), else `source_fallback`.
std::string data_path(std::string_view relative, const std::string& source_fallback);

}  // namespace ploke::cli
