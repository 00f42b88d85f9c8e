// File: ploke/core/secret_registry.h
//
// Redaction by value. The process-wide registry holds every secret value the process knows
// (each ploke::Secret registers its value when constructed: configured keys, keys from env,
// files or commands, --api-key-env; the gateway adds the client keys it sees). The
// redaction entry points (redact_secrets, find_secrets, contains_secret, and through them
// Status factories and the codec's RedactionRules) replace every literal occurrence of a
// registered value with "[REDACTED]", in addition to the key patterns.
//
// Values shorter than kMinRegisteredSecretLength are not registered (too likely to occur
// in ordinary text); at most kMaxRegisteredSecrets values are kept (later ones are ignored
// and counted in registered_secrets_dropped()). Values are never removed: a key the process
// once held stays redacted for its lifetime.
//
// StreamRedactor redacts a byte stream read in pieces: it holds back the tail of what it
// was fed that could still grow into a secret (the longest suffix that is a proper prefix
// of a registered value, and a trailing key-pattern token), so a secret split across reads
// is still caught.
//
// Thread-safety: all functions are safe to call concurrently. Readers take no lock (an
// atomic snapshot); with nothing registered the cost is one atomic load.
// StreamRedactor is a value used by one thread at a time.
//
// Example:
//   ploke::register_secret(key);             // usually done by Secret's constructor
//   std::string safe = ploke::redact_secrets(upstream_error_body);
//   StreamRedactor r;  out(r.feed(read1)); out(r.feed(read2)); out(r.finish());
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/secret.h"

namespace ploke {

class Headers;

inline constexpr size_t kMinRegisteredSecretLength = 8;
inline constexpr size_t kMaxRegisteredSecrets = 256;

/// Adds `value` to the registry. False when it is too short, a redaction placeholder, or
/// the registry is full; true when it is (now) registered.
bool register_secret(std::string_view value);
/// True when any value is registered (one atomic load).
bool has_registered_secrets();
size_t registered_secret_count();
size_t registered_secrets_dropped();
/// Length of the longest registered value (0 when none).
size_t registered_secret_max_length();
/// True when `text` holds a registered value (no allocation).
bool contains_registered_secret(std::string_view text);
/// Every occurrence of a registered value in `text`, sorted, overlaps merged.
std::vector<SecretSpan> find_registered_secrets(std::string_view text);
/// `text` with every registered value (only: no key patterns) replaced by kRedacted. For
/// content where a pattern could be ordinary prose ("Bearer authentication").
std::string redact_registered_secrets(std::string_view text);
/// Length of the longest suffix of `text` that is a proper prefix of a registered value.
size_t registered_secret_prefix_suffix(std::string_view text);
/// Registers the credentials a client sent: the token of `authorization` / proxy-authorization
/// ("Bearer X" → X) and `x-api-key` / `api-key` / `x-goog-api-key` values.
void register_client_credentials(const Headers& headers);
/// Empties the registry (tests only).
void clear_registered_secrets_for_testing();

class StreamRedactor {
 public:
  enum class Mode : uint8_t {
    kPatternsAndValues,  ///< redact_secrets(): key patterns and registered values
    kValuesOnly,         ///< redact_registered_secrets(): registered values only
  };
  explicit StreamRedactor(Mode mode = Mode::kPatternsAndValues) : mode_(mode) {}

  /// Longest tail held back for a key pattern still being read (a longer token is emitted
  /// as it stands).
  static constexpr size_t kMaxPatternHold = 512;

  /// Appends `bytes`; returns the redacted text that can be emitted now.
  std::string feed(std::string_view bytes);
  /// Returns the redacted rest (end of stream).
  std::string finish();
  /// Bytes currently held back.
  size_t pending() const { return pending_.size(); }

 private:
  std::string redact(std::string_view text) const;
  Mode mode_;
  std::string pending_;
};

}  // namespace ploke
