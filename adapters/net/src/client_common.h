// Internal to ploke_net: what HttpClient (blocking) and LoopHttpClient (on an event loop)
// share: the URL split, the request head, and the response parser's callbacks.
#pragma once

#include <http_parser.h>
#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/status.h"
#include "ploke/core/transport.h"

namespace ploke::net::detail {

struct Target {
  std::string host;         // for getaddrinfo (brackets stripped)
  std::string port = "80";
  std::string host_header;  // as written in the URL ("h" or "h:port")
  std::string key;          // pool key and name in messages: "http://host:port" / "https://host:port"
  std::string prefix;       // "" or "/v1"
  bool tls = false;         // https://
};

/// Splits "http://host[:port][/prefix]" (and "https://…", port 443 by default, when
/// `allow_https`); kInvalidRequest for anything else.
Result<Target> parse_http_url(std::string_view url, bool allow_https = false);

bool idempotent(std::string_view method);

/// The addresses of `t` (getaddrinfo, numeric port, plus `flags`, e.g. AI_NUMERICHOST);
/// kConnectionReset when unresolvable.
Result<std::vector<sockaddr_storage>> resolve(const Target& t, int flags = 0);
socklen_t addr_len(const sockaddr_storage& a);
/// kTimeout for `phase` talking to `key` (an origin).
Status timeout_status(TimeoutPhase phase, const std::string& key);

/// The request head: request line, Host, the caller's headers (minus Content-Length, Host,
/// Transfer-Encoding), a default User-Agent, Content-Length for a body or POST/PUT/PATCH.
/// `replayable` = idempotent method or an Idempotency-Key header.
std::string request_head(const HttpRequest& request, const Target& t, std::string_view user_agent, bool* replayable);

// Response parsing state (http-parser callbacks).
struct Parse {
  ResponseHandler* handler = nullptr;
  bool head_request = false;
  Headers headers;
  std::string field, value;
  bool in_value = false;
  bool interim = false;  // a 1xx head being skipped
  bool complete = false;
  bool keep_alive = false;
  bool handler_abort = false;
  bool head_seen = false;
};

/// http-parser settings for responses; parser.data must point to a Parse. The parser
/// pauses after a complete message.
const http_parser_settings& response_settings();

}  // namespace ploke::net::detail
