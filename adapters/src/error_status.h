// Private to the adapters (common part and protocol packages): the Status a provider's
// error response becomes, once the protocol has chosen its code and message.
#pragma once

#include <string>
#include <string_view>

#include "ploke/core/status.h"
#include "ploke/core/transport.h"

namespace ploke::adapters::detail {

/// `code` with `message` (redacted; kTimeout becomes a TimeoutError without a phase),
/// carrying the provider, the HTTP status, the body excerpt, the retry delay
/// (parse_retry_after() without a clock) and `x-should-retry` (true/false, any case).
Status provider_error_status(StatusCode code, const std::string& message, int http_status,
                             std::string_view raw_body, const Headers& headers, std::string_view provider);

}  // namespace ploke::adapters::detail
