// File: ploke/core/file_io.h
//
// Whole-file reads and crash-safe writes (POSIX), for every module that writes a file a
// user keeps: cassettes, the catalog cache, config.toml, reports.
//
// Thread-safety: reentrant; concurrent writers of one path: the last rename wins.
#pragma once

#include <string>
#include <string_view>

#include "ploke/core/status.h"

namespace ploke {

/// Writes `data` to `path` so that a crash at any point leaves either the old file or the
/// complete new one: a temp file in the same directory, write + fsync, rename over `path`,
/// then fsync the directory. The existing file's mode is kept (a new file gets 0644). On
/// failure the temp file is removed and `path` is untouched. kPermission / kNotFound /
/// kInternal name the path and the OS error.
Status write_file_atomic(const std::string& path, std::string_view data);

/// Reads a whole file. kNotFound when it does not exist; kInvalidRequest for a directory.
Result<std::string> read_file(const std::string& path);

}  // namespace ploke
