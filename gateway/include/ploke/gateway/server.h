// File: ploke/gateway/server.h
//
// GatewayServer: the HTTP/1.1 front of a Gateway on the shared async server (ploke_net):
// each parsed request goes to Gateway::handle() on a fiber of the event loop that parsed
// it (at most GatewayOptions::max_queue in flight per loop; beyond, Gateway::reject_busy);
// the Responder writes through the server's response writer (whole replies, or head +
// chunks + finish for streams); a client that goes away cancels its façade call.
//
// Thread-safety: Start/stop_accepting/stop from one owner thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "ploke/core/status.h"
#include "ploke/gateway/gateway.h"
#include "ploke/net/http_server.h"

namespace ploke::gateway {

/// The shared server's options (host, port 0 = ephemeral, threads, timeouts, body limit).
using ServerOptions = net::ServerOptions;

class GatewayServer {
 public:
  /// Binds and starts serving. `gateway` must outlive the server.
  static Result<std::unique_ptr<GatewayServer>> Start(Gateway& gateway, const ServerOptions& options);
  ~GatewayServer();  ///< stop()
  GatewayServer(const GatewayServer&) = delete;
  GatewayServer& operator=(const GatewayServer&) = delete;

  int port() const;
  std::string url() const;  ///< "http://host:port"
  /// Closes the listening sockets; open connections and in-flight requests go on.
  void stop_accepting();
  /// Closes everything and joins the loops. Idempotent.
  void stop();
  /// Event loop `index` of the server (net::HttpServer::loop), for work that lives on the
  /// gateway's loops without a request (the shared store's Redis connections).
  net::EventLoop& loop(size_t index) const;

  struct Impl;

 private:
  explicit GatewayServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ploke::gateway
