// File: ploke/codec/redact.h
//
// Redaction of recorded interactions, deny-by-default (spec: cassettes/README.md,
// "Redaction"). With no configuration at all, redact_interaction():
//   1. request headers: keeps only the headers that matter for replay (content-type,
//      accept, anthropic-version, anthropic-beta, openai-beta, OpenRouter attribution…);
//      every other request header is dropped, except credentials, which are kept as
//      placeholders so a recording still shows that auth was sent;
//   2. credential headers (authorization, proxy-authorization, x-api-key, api-key,
//      x-goog-api-key, cookie, set-cookie, openai-organization, openai-project,
//      anthropic-organization-id, …) in requests and responses → "[REDACTED:<name>]";
//   3. query parameters and JSON body fields (at any depth, request and response) whose
//      names hold keys (key, api_key, token, access_token, secret, password, …; not
//      max_tokens and friends) → "[REDACTED:<name>]";
//   4. every literal occurrence of a value removed by 2–3 (e.g. the Bearer token echoed in
//      an error body) anywhere in the interaction → "[REDACTED:<name>]";
//   5. any provider key pattern (ploke::redact_secrets: sk-…, sk-proj-…, sk-ant-…,
//      sk-or-v1-…, Bearer tokens, AKIA…) anywhere — header values, query, bodies, every
//      SSE chunk, error messages — and every extra regex → "[REDACTED]".
// Placeholders are stable (same input → same text), so cassettes diff cleanly. A JSON body
// that redaction changed is re-serialized with its recorded indent; an untouched body
// keeps its exact bytes. Streamed chunks are redacted in place, so boundaries stay.
//
// Thread-safety: RedactionRules is an immutable value after Create(); share it freely.
//
// Example:
//   PLOKE_ASSIGN_OR_RETURN(RedactionRules rules, RedactionRules::Create(config));
//   interaction = redact_interaction(std::move(interaction), rules);
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/codec/cassette.h"
#include "ploke/core/status.h"

namespace ploke::codec {

/// Extra rules on top of the defaults (all optional).
struct RedactionConfig {
  std::vector<std::string> headers;      ///< more credential header names (case-insensitive)
  std::vector<std::string> query_params; ///< more sensitive query parameter names
  std::vector<std::string> body_fields;  ///< more sensitive JSON field names (any depth)
  std::vector<std::string> json_paths;   ///< exact JSON paths to redact ("a.b", "messages[*].name")
  std::vector<std::string> patterns;     ///< ECMAScript regexes; every match → "[REDACTED]"
  std::vector<std::string> keep_request_headers;  ///< more request headers to keep (not redact)
  bool drop_unlisted_request_headers = true;      ///< false = keep all request headers
};

class RedactionRules {
 public:
  /// Validates the config (regexes compile, JSON paths parse). kInvalidRequest otherwise,
  /// naming the offending entry ("patterns[2]: …").
  static Result<RedactionRules> Create(RedactionConfig config);
  /// The built-in rules only.
  static RedactionRules Defaults();

  const RedactionConfig& config() const { return config_; }
  /// True for credential headers (default list + config.headers).
  bool is_credential_header(std::string_view name) const;
  /// True for sensitive query/body field names (default list + config).
  bool is_sensitive_query_param(std::string_view name) const;
  bool is_sensitive_body_field(std::string_view name) const;
  /// True when a request header survives filtering (kept, or a credential).
  bool keeps_request_header(std::string_view name) const;
  /// redact_secrets() plus the extra regexes.
  std::string redact_text(std::string_view text) const;
  /// True when redact_text() would change `text`.
  bool text_has_secret(std::string_view text) const;

  struct Compiled;  // regexes and parsed paths (implementation detail)
  const Compiled& compiled() const { return *compiled_; }

 private:
  RedactionRules(RedactionConfig config, std::shared_ptr<const Compiled> compiled)
      : config_(std::move(config)), compiled_(std::move(compiled)) {}
  RedactionConfig config_;
  std::shared_ptr<const Compiled> compiled_;
};

/// "[REDACTED:<lower-case name>]".
std::string redaction_placeholder(std::string_view name);
/// True for "[REDACTED]" and "[REDACTED:…]".
bool is_redaction_placeholder(std::string_view value);

/// Applies every rule to one interaction (request and response).
Interaction redact_interaction(Interaction interaction, const RedactionRules& rules);
/// The values redact_interaction() removes structurally (credential headers and their
/// tokens, sensitive query parameters and body fields), for redacting them elsewhere by value.
std::vector<std::string> credential_values(const Interaction& interaction, const RedactionRules& rules);
/// The request part only (used on live requests before matching; no header dropping
/// unless `drop_headers`).
RecordedRequest redact_request(RecordedRequest request, const RedactionRules& rules,
                               bool drop_headers = true);

/// Something in a cassette that lint reports.
struct Finding {
  enum class Severity : uint8_t { kError, kWarning };
  Severity severity = Severity::kError;
  std::string path;     ///< "interactions[2].request.headers.authorization"
  std::string message;  ///< never contains the secret itself
  std::string to_string() const;  ///< "error: <path>: <message>"
  friend bool operator==(const Finding&, const Finding&) = default;
};

/// Scans a cassette for anything that looks like a secret: a provider key pattern or extra
/// regex anywhere, a credential header / sensitive query or body field whose value is not
/// a redaction placeholder. Each finding names the place, never the value.
std::vector<Finding> scan_for_secrets(const Cassette& cassette,
                                      const RedactionRules& rules = RedactionRules::Defaults());

}  // namespace ploke::codec
