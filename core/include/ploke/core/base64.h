// File: ploke/core/base64.h
//
// Base64 (RFC 4648, standard alphabet, padded): the one encoder and decoder (cassette
// bodies that are not UTF-8, OpenAI's base64 embeddings).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ploke {

/// The length of the base64 text of `n` bytes.
constexpr size_t base64_size(size_t n) { return (n + 2) / 3 * 4; }
/// Writes the base64 text of `bytes` at `dest` (base64_size(bytes.size()) bytes, a table
/// loop); returns the end.
char* base64_write(char* dest, std::string_view bytes);
/// Appends the base64 text of `bytes` to `out` (one resize, then base64_write()).
void base64_append(std::string& out, std::string_view bytes);
std::string base64_encode(std::string_view bytes);
/// nullopt when `text` is not valid padded base64 (whitespace is not accepted).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace ploke
