// File: ploke/core/http_status.h
//
// http_reason_phrase(): the standard reason phrase of an HTTP status ("OK", "Too Many
// Requests", "Site Overloaded" for 529), "" when the status has none we know. The HTTP
// front's status lines and the cassette exporters (VCR's status.message) share it.
// Pure; thread-safe.
#pragma once

#include <string_view>

namespace ploke {

std::string_view http_reason_phrase(int status);

}  // namespace ploke
