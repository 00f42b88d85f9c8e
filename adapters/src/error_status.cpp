// The Status of a provider's error response. See error_status.h.
#include "error_status.h"

#include "header_values.h"
#include "ploke/adapters/retry_after.h"
#include "ploke/core/secret.h"

namespace ploke::adapters::detail {

Status provider_error_status(StatusCode code, const std::string& message, int http_status,
                             std::string_view raw_body, const Headers& headers, std::string_view provider) {
  Status st = code == StatusCode::kTimeout ? TimeoutError(TimeoutPhase::kNone, message)
                                           : Status(code, redact_secrets(message));
  st.with_provider(std::string(provider)).with_http_status(http_status);
  if (!raw_body.empty()) st.with_body_excerpt(raw_body);
  if (auto ra = parse_retry_after(headers)) st.with_retry_after(*ra);
  if (auto sr = headers.get("x-should-retry")) {
    const std::string_view v = trim(*sr);
    if (iequals(v, "true")) st.with_should_retry(true);
    if (iequals(v, "false")) st.with_should_retry(false);
  }
  return st;
}

}  // namespace ploke::adapters::detail
