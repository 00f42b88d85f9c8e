// Internal to ploke_net: see client_common.h.
#include "client_common.h"

#include <netdb.h>
#include <netinet/in.h>

#include <cstring>

namespace ploke::net::detail {
namespace {

Parse* parse_of(http_parser* p) { return static_cast<Parse*>(p->data); }

void push_header(Parse* s) {
  if (!s->in_value) return;
  s->headers.add(std::move(s->field), std::move(s->value));
  s->field.clear();
  s->value.clear();
  s->in_value = false;
}

http_parser_settings make_settings() {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_header_field = [](http_parser* p, const char* at, size_t n) {
    Parse* st = parse_of(p);
    push_header(st);
    st->field.append(at, n);
    return 0;
  };
  s.on_header_value = [](http_parser* p, const char* at, size_t n) {
    Parse* st = parse_of(p);
    st->in_value = true;
    st->value.append(at, n);
    return 0;
  };
  s.on_headers_complete = [](http_parser* p) {
    Parse* st = parse_of(p);
    push_header(st);
    const int status = static_cast<int>(p->status_code);
    if (status >= 100 && status < 200 && status != 101) {
      st->interim = true;
      st->headers = Headers{};
      return 0;
    }
    st->head_seen = true;
    st->handler->on_head(status, st->headers);
    return st->head_request ? 1 : 0;  // 1: no body follows
  };
  s.on_body = [](http_parser* p, const char* at, size_t n) {
    Parse* st = parse_of(p);
    if (!st->handler->on_body(std::string_view(at, n))) {
      st->handler_abort = true;
      return -1;
    }
    return 0;
  };
  s.on_message_complete = [](http_parser* p) {
    Parse* st = parse_of(p);
    if (st->interim) {
      st->interim = false;
      return 0;
    }
    st->complete = true;
    st->keep_alive = http_should_keep_alive(p) != 0;
    http_parser_pause(p, 1);
    return 0;
  };
  return s;
}

}  // namespace

const http_parser_settings& response_settings() {
  static const http_parser_settings s = make_settings();
  return s;
}


Result<Target> parse_http_url(std::string_view url, bool allow_https) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return InvalidRequestError("base_url has no scheme: " + std::string(url));
  const std::string_view scheme = url.substr(0, scheme_end);
  const bool tls = allow_https && iequals(scheme, "https");
  if (!tls && !iequals(scheme, "http")) {
    return InvalidRequestError(std::string(allow_https ? "base_url scheme must be http or https: "
                                                       : "HttpClient serves http:// only: ") +
                               std::string(url));
  }
  const size_t host_start = scheme_end + 3;
  const size_t slash = url.find('/', host_start);
  const std::string_view authority =
      url.substr(host_start, slash == std::string_view::npos ? std::string_view::npos : slash - host_start);
  if (authority.empty()) return InvalidRequestError("base_url has no host: " + std::string(url));
  Target t;
  t.tls = tls;
  if (tls) t.port = "443";
  t.host_header = std::string(authority);
  std::string_view host = authority;
  if (host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return InvalidRequestError("base_url has a bad IPv6 host: " + std::string(url));
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return InvalidRequestError("base_url has a bad port: " + std::string(url));
      t.port = std::string(host.substr(close + 2));
    }
    host = host.substr(1, close - 1);
  } else if (const size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    t.port = std::string(host.substr(colon + 1));
    host = host.substr(0, colon);
  }
  if (host.empty()) return InvalidRequestError("base_url has no host: " + std::string(url));
  if (t.port.empty() || t.port.find_first_not_of("0123456789") != std::string::npos || t.port.size() > 5) {
    return InvalidRequestError("base_url has a bad port: " + std::string(url));
  }
  t.host = std::string(host);
  const bool v6 = t.host.find(':') != std::string::npos;
  t.key = std::string(tls ? "https://" : "http://") + (v6 ? "[" + t.host + "]" : t.host) + ":" + t.port;
  if (slash != std::string_view::npos) t.prefix = std::string(url.substr(slash));
  while (!t.prefix.empty() && t.prefix.back() == '/') t.prefix.pop_back();
  return t;
}

bool idempotent(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "PUT" || m == "DELETE" || m == "TRACE";
}


Result<std::vector<sockaddr_storage>> resolve(const Target& t, int flags) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | flags;
  addrinfo* ai = nullptr;
  if (int rc = getaddrinfo(t.host.c_str(), t.port.c_str(), &hints, &ai); rc != 0 || ai == nullptr) {
    return ConnectionResetError("cannot resolve " + t.host + ": " + gai_strerror(rc));
  }
  std::vector<sockaddr_storage> addrs;
  for (addrinfo* a = ai; a != nullptr; a = a->ai_next) {
    sockaddr_storage ss{};
    std::memcpy(&ss, a->ai_addr, std::min<size_t>(a->ai_addrlen, sizeof ss));
    addrs.push_back(ss);
  }
  freeaddrinfo(ai);
  return addrs;
}

socklen_t addr_len(const sockaddr_storage& a) {
  return a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

Status timeout_status(TimeoutPhase phase, const std::string& key) {
  return TimeoutError(phase, std::string(timeout_phase_name(phase)) + " timeout talking to " + key);
}

std::string request_head(const HttpRequest& request, const Target& t, std::string_view user_agent, bool* replayable) {
  std::string head;
  head.reserve(256 + request.headers.size() * 48);
  head += request.method;
  head += ' ';
  head += t.prefix;
  head += request.path;
  if (t.prefix.empty() && request.path.empty()) head += '/';
  head += " HTTP/1.1\r\nHost: ";
  head += t.host_header;
  head += "\r\n";
  bool has_ua = false;
  bool has_idem_key = false;
  for (const auto& kv : request.headers.items()) {
    const std::string& k = kv.first;
    if (iequals(k, "content-length") || iequals(k, "host") || iequals(k, "transfer-encoding")) continue;
    if (iequals(k, "user-agent")) has_ua = true;
    if (iequals(k, "idempotency-key")) has_idem_key = true;
    head += k;
    head += ": ";
    head += kv.second;
    head += "\r\n";
  }
  if (!has_ua) {
    head += "User-Agent: ";
    head += user_agent;
    head += "\r\n";
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
    head += "Content-Length: ";
    head += std::to_string(request.body.size());
    head += "\r\n";
  }
  head += "\r\n";
  if (replayable != nullptr) *replayable = idempotent(request.method) || has_idem_key;
  return head;
}

}  // namespace ploke::net::detail
