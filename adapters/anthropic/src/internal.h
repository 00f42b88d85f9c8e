// Private helpers shared by the Anthropic adapter's sources (may include nlohmann).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ploke/core/status.h"
#include "ploke/core/transport.h"

namespace ploke::adapters::anthropic {

/// The fields of an Anthropic `error` value ({type,message,details?} or a bare string).
struct ErrorFields {
  std::string message;
  std::string type;
  std::string detail_code;  ///< error.details.error_code (spend limits), if any
};

ErrorFields extract_error_fields(const nlohmann::json& error);

/// Builds the mapped Status (see ploke/adapters/anthropic/errors.h); `fields` null when the body had no
/// parsable error object; http_status 0 = in-band error.
Status make_error_status(int http_status, const ErrorFields* fields, std::string_view raw_body,
                         const Headers& headers, std::string_view provider, std::string_view request_id);

}  // namespace ploke::adapters::anthropic
