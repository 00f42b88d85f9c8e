// parse_redis_url() / redacted_url(): the [shared] url forms (see redis_store.h).
#include <charconv>

#include "ploke/redis/redis_store.h"

namespace ploke::redis {

namespace {
bool parse_int(std::string_view s, int& out, int lo, int hi) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return false;
  out = v;
  return true;
}

Result<RedisAddress> parse_unix(std::string_view rest) {
  RedisAddress a;
  if (rest.starts_with("//")) rest.remove_prefix(2);
  const size_t q = rest.find('?');
  std::string_view path = rest.substr(0, q);
  if (path.empty() || path[0] != '/') return InvalidRequestError("redis url: unix: needs an absolute socket path");
  a.unix_path = std::string(path);
  if (q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    if (!query.starts_with("db=") || !parse_int(query.substr(3), a.db, 0, 15))
      return InvalidRequestError("redis url: the only query is db=N (0-15)");
  }
  a.port = 0;
  return a;
}

Status parse_userinfo(std::string_view info, RedisAddress& a) {
  const size_t colon = info.find(':');
  if (colon == std::string_view::npos) return InvalidRequestError("redis url: userinfo must be [user]:password");
  a.user = std::string(info.substr(0, colon));
  if (a.user == "default") a.user.clear();
  if (colon + 1 < info.size()) a.password = Secret(std::string(info.substr(colon + 1)));
  return Status();
}

Result<RedisAddress> parse_tcp(std::string_view rest) {
  RedisAddress a;
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    PLOKE_RETURN_IF_ERROR(parse_userinfo(authority.substr(0, at), a));
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    if (!parse_int(authority.substr(colon + 1), a.port, 1, 65535))
      return InvalidRequestError("redis url: the port must be 1-65535");
  }
  if (host.empty()) return InvalidRequestError("redis url: no host");
  a.host = std::string(host);
  if (slash != std::string_view::npos && slash + 1 < rest.size() &&
      !parse_int(rest.substr(slash + 1), a.db, 0, 15))
    return InvalidRequestError("redis url: the database must be 0-15");
  return a;
}
}  // namespace

Result<RedisAddress> parse_redis_url(std::string_view url) {
  if (url.starts_with("unix:")) return parse_unix(url.substr(5));
  if (url.starts_with("redis://")) return parse_tcp(url.substr(8));
  return InvalidRequestError("redis url: expected redis://host:port[/db] or unix:/path/to.sock");
}

std::string redacted_url(const RedisAddress& a) {
  std::string db = a.db != 0 ? std::to_string(a.db) : "";
  if (!a.unix_path.empty()) return "unix:" + a.unix_path + (db.empty() ? "" : "?db=" + db);
  std::string auth;
  if (!a.password.empty()) auth = a.user + ":***@";
  return "redis://" + auth + a.host + ":" + std::to_string(a.port) + (db.empty() ? "" : "/" + db);
}

}  // namespace ploke::redis
