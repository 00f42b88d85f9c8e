// File: ploke/config/edit.h
//
// Text-preserving edits of config.toml: the commands that change the config (`routing
// policy`, `models promote`, `provider profile`) replace only the lines of the keys they
// change, or append a key to its table, or append a new table at the end of the file.
// Everything else — the user's comments, blank lines, key order, formatting — is kept
// byte for byte (re-serialising with toml++ would drop comments).
//
//  - A key's line is replaced whole (a trailing comment on that line is dropped); a
//    multi-line array value is replaced up to its closing bracket.
//  - A missing key goes after the last key line of its table; a missing table is appended
//    as "[a.b]" at the end of the file; a root key goes before the first table header.
//  - The edited text is re-parsed and validated (parse_config) before anything is written:
//    if it does not parse, or the key does not read back, or the config gets an error,
//    nothing is written and the error says why (never a half-edited file).
//  - Keys: values that look like secrets are redacted unless SaveOptions::with_keys.
//  - The write is atomic (temp file, fsync, rename; the file's mode is kept).
//
// Thread-safety: functions on values; edit_config_file() is not safe against concurrent
// writers of the same file (last rename wins).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ploke/config/config.h"
#include "ploke/core/status.h"

namespace ploke::config {

/// Sets `key = value_toml` in table `table` ({} = the root, {"models","small"} =
/// [models.small]). value_toml is TOML text for the value ("\"cost\"", "3", "[\"a\"]");
/// an empty value_toml removes the key.
struct ConfigEdit {
  std::vector<std::string> table;
  std::string key;
  std::string value_toml;
};

/// A TOML string literal ("…" with escapes).
std::string toml_string(std::string_view s);
/// A TOML key: bare when it only has A-Za-z0-9_-, else quoted.
std::string toml_key(std::string_view s);

/// Applies the edits to `text` (see the file comment). kInvalidRequest when a table is an
/// inline table or an array of tables (cannot be edited in place).
Result<std::string> apply_edits(std::string_view text, const std::vector<ConfigEdit>& edits,
                                const SaveOptions& options = {});

/// Reads `path` (a missing file is empty), applies the edits, checks the result
/// (parse_config with `validate_with`; every error listed), writes atomically. Creates
/// the parent directory. Returns the new text's load result on success.
Result<LoadResult> edit_config_file(const std::string& path, const std::vector<ConfigEdit>& edits,
                                    const LoadOptions& validate_with, const SaveOptions& options = {});

}  // namespace ploke::config
