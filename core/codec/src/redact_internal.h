// Internal: redaction entry points that share the parsed JSON body with their caller.
#pragma once

#include <optional>

#include "json_util.h"
#include "ploke/codec/redact.h"

namespace ploke::codec {

/// Parses a body that looks like a JSON object/array; nullopt otherwise.
std::optional<internal::Json> parse_body_json(const RecordedBody& body);

namespace internal {
/// redact_request() that also leaves the redacted body's DOM in *body (nullopt when the body
/// is not JSON or the DOM no longer matches the bytes). Saves the replay path a re-parse.
RecordedRequest redact_request_keep_json(RecordedRequest request, const RedactionRules& rules, bool drop_headers,
                                         std::optional<Json>* body);
}  // namespace internal

}  // namespace ploke::codec
