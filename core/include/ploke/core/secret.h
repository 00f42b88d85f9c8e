// File: ploke/core/secret.h
//
// Secret: an API key or token that can only print redacted. reveal() is the one way to
// read it, and is meant for the single place a key goes on the wire (an adapter setting
// the Authorization header). redact_secrets() scrubs provider-key patterns out of any
// text that may reach a log, trace, cassette, report, error message or snapshot.
//
// Thread-safety: values; safe to share const.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace ploke {

class Secret {
 public:
  Secret() = default;
  /// Registers the value for redaction by value (ploke/core/secret_registry.h).
  explicit Secret(std::string value);

  bool empty() const { return value_.empty(); }
  /// The raw value. Use only to put it on the wire.
  const std::string& reveal() const { return value_; }
  /// "sk-…[redacted]" style: a short, non-secret prefix hint plus a stable marker.
  std::string redacted() const;

  friend std::ostream& operator<<(std::ostream& os, const Secret& s) { return os << s.redacted(); }
  friend bool operator==(const Secret&, const Secret&) = default;

 private:
  std::string value_;
};

/// The placeholder every redaction writes.
inline constexpr std::string_view kRedacted = "[REDACTED]";

/// Replaces provider key patterns (sk-…, sk-proj-…, sk-ant-…, sk-or-v1-…, Bearer tokens,
/// x-api-key values, AWS-style AKIA…) and every registered secret value
/// (ploke/core/secret_registry.h) in `text` with kRedacted.
std::string redact_secrets(std::string_view text);

/// True when `text` holds something redact_secrets() would replace.
bool contains_secret(std::string_view text);

/// A byte range [begin, end) of `text` that redact_secrets() replaces (for a Bearer token,
/// only the token: the word "Bearer " is kept).
struct SecretSpan {
  size_t begin = 0;
  size_t end = 0;
};
/// Every range redact_secrets() would replace, in order and non-overlapping.
std::vector<SecretSpan> find_secrets(std::string_view text);

}  // namespace ploke
