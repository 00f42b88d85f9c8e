// The recorder's HTTP helpers: which headers are forwarded, error bodies, the upstream URL
// (see recorder_internal.h).
#include <nlohmann/json.hpp>

#include <cctype>

#include "ploke/core/ascii.h"
#include "recorder_internal.h"

namespace ploke::recorder {

bool is_unforwarded_request_header(std::string_view n) {
  static constexpr std::string_view kNames[] = {
      "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
      "upgrade", "host", "content-length", "accept-encoding", "expect"};
  for (auto k : kNames) {
    if (iequals(n, k)) return true;
  }
  return false;
}

bool is_unforwarded_response_header(std::string_view n) {
  static constexpr std::string_view kNames[] = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                                "content-length", "content-encoding", "trailer", "upgrade", "te"};
  for (auto k : kNames) {
    if (iequals(n, k)) return true;
  }
  return false;
}

bool is_event_stream(std::string_view content_type) {
  return ascii_lower(content_type).find("text/event-stream") != std::string::npos;
}

std::string error_json(std::string_view message, std::string_view type, std::string_view code) {
  nlohmann::json j;
  j["error"] = {{"message", std::string(message)}, {"type", std::string(type)}, {"param", nullptr},
                {"code", std::string(code)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<UpstreamUrl> parse_upstream(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return InvalidRequestError("upstream: expected http(s)://host[:port][/prefix]");
  const std::string_view scheme = url.substr(0, scheme_end);
  if (!iequals(scheme, "http") && !iequals(scheme, "https")) {
    return InvalidRequestError("upstream: scheme must be http or https");
  }
  const size_t host_start = scheme_end + 3;
  const size_t slash = url.find('/', host_start);
  const std::string_view authority = url.substr(host_start, slash == std::string_view::npos ? url.npos : slash - host_start);
  if (authority.empty()) return InvalidRequestError("upstream: missing host");
  if (authority.find('@') != std::string_view::npos) {
    return InvalidRequestError("upstream: credentials in the URL are not supported (send them as headers)");
  }
  if (url.find_first_of("?#") != std::string_view::npos) {
    return InvalidRequestError("upstream: a query or fragment is not allowed (path prefix only)");
  }
  UpstreamUrl out;
  out.tls = iequals(scheme, "https");
  out.base = std::string(url);
  while (out.base.size() > host_start + authority.size() && out.base.back() == '/') out.base.pop_back();
  out.display = out.base;
  return out;
}

}  // namespace ploke::recorder
