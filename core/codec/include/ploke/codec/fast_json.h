// File: ploke/codec/fast_json.h — a small, fast JSON DOM parser shared inside ploke (cassette
// files, the model catalog). Not a stable API: namespace codec::internal.
//
// Why not nlohmann here: its lexer runs at ~100 MB/s on this machine, and a 10 MB cassette
// must load in well under 100 ms. This parser scans strings in runs, keeps each value's
// byte span (so embedded JSON bodies are handed to nlohmann only for their own bytes), and
// reports syntax errors with a byte offset, line and column. Strict RFC 8259: no comments,
// no trailing commas, no NaN, strings must be valid UTF-8, nesting depth ≤ 512.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ploke::codec::internal {

class JValue {
 public:
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  struct Member;  // {first: key, second: value}; defined below (JValue is incomplete here)

  Type type = Type::kNull;
  bool boolean = false;
  bool integer = false;   ///< kNumber written without fraction/exponent and fits int64
  int64_t int_value = 0;  ///< valid when `integer`
  double number = 0;
  std::string str;                 ///< kString
  std::vector<JValue> items;       ///< kArray
  std::vector<Member> members;     ///< kObject, in document order
  size_t begin = 0;                ///< byte span of the value in the source text
  size_t end = 0;

  bool is_null() const { return type == Type::kNull; }
  bool is_bool() const { return type == Type::kBool; }
  bool is_number() const { return type == Type::kNumber; }
  bool is_string() const { return type == Type::kString; }
  bool is_array() const { return type == Type::kArray; }
  bool is_object() const { return type == Type::kObject; }
  std::string_view type_name() const;

  /// Member lookup (first match); nullptr when absent or not an object.
  JValue* find(std::string_view key);
  const JValue* find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }
};

struct JValue::Member {
  std::string first;
  JValue second;
};

struct JParseError {
  size_t byte = 0;
  size_t line = 1;
  size_t column = 1;
  std::string message;
  /// "JSON syntax error at byte N (line L, column C): message".
  std::string to_string() const;
};

/// Serializes `v` exactly as nlohmann::ordered_json::dump(indent) would (compact for -1),
/// appending to `out`. Returns false — leaving `out` unspecified — for what it does not
/// reproduce exactly (non-integer numbers, duplicate keys, objects over 64 members); the
/// caller then falls back to nlohmann.
bool dump_like_nlohmann(const JValue& v, int indent, std::string* out);

/// Parses `text` (one value, surrounding whitespace allowed). Returns false and fills
/// `error` on failure.
bool parse_fast_json(std::string_view text, JValue* out, JParseError* error);

}  // namespace ploke::codec::internal
