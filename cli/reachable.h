// File: cli/reachable.h
//
// Whether a provider's base URL accepts a TCP connection (`ploke-sim model use`): proves
// DNS, routing and a listener, and spends nothing.
#pragma once

#include <string>

namespace ploke::cli {

struct HostPort {
  std::string scheme, host, port;
};

/// "SCHEME://[USER@]HOST[:PORT][/…]" → scheme, host and port (443 for https, else 80 when
/// absent; a bracketed IPv6 host keeps its brackets and the default port). False without
/// "://" or a host.
bool parse_host_port(const std::string& url, HostPort& out);

/// A TCP connect to the URL's host and port, each resolved address in turn, with
/// `timeout_ms` for each. `detail`: "HOST:PORT accepts connections", or why not.
bool reachable(const std::string& url, int timeout_ms, std::string& detail);

}  // namespace ploke::cli
