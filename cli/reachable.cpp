// TCP reachability of a base URL (reachable.h).
#include "reachable.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ploke::cli {

bool parse_host_port(const std::string& url, HostPort& out) {
  auto p = url.find("://");
  if (p == std::string::npos) return false;
  out.scheme = url.substr(0, p);
  std::string rest = url.substr(p + 3);
  rest = rest.substr(0, rest.find('/'));
  auto at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']') == std::string::npos) {
    out.host = rest.substr(0, colon);
    out.port = rest.substr(colon + 1);
  } else {
    out.host = rest;
    out.port = out.scheme == "https" ? "443" : "80";
  }
  return !out.host.empty();
}

namespace {

// One non-blocking connect to `ai` within `timeout_ms`; on failure `detail` says why.
bool connect_one(const addrinfo* ai, const HostPort& u, int timeout_ms, std::string& detail) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) return false;
  bool ok = false;
  int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd pfd{fd, POLLOUT, 0};
    rc = poll(&pfd, 1, timeout_ms);
    if (rc == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) ok = true;
      else detail = u.host + ":" + u.port + ": " + std::strerror(err);
    } else {
      detail = u.host + ":" + u.port + ": no answer within " + std::to_string(timeout_ms) + " ms";
    }
  } else if (rc == 0) {
    ok = true;
  } else {
    detail = u.host + ":" + u.port + ": " + std::strerror(errno);
  }
  close(fd);
  return ok;
}

}  // namespace

bool reachable(const std::string& url, int timeout_ms, std::string& detail) {
  HostPort u;
  if (!parse_host_port(url, u)) {
    detail = "cannot parse URL";
    return false;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int g = getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &res);
  if (g != 0) {
    detail = u.host + ": " + gai_strerror(g);
    return false;
  }
  bool ok = false;
  detail = u.host + ":" + u.port + ": no address";
  for (addrinfo* ai = res; ai && !ok; ai = ai->ai_next) ok = connect_one(ai, u, timeout_ms, detail);
  freeaddrinfo(res);
  if (ok) detail = u.host + ":" + u.port + " accepts connections";
  return ok;
}

}  // namespace ploke::cli
