// Placeholder GatewayServer until the shared HTTP server (ploke_net,
// adapters/net/include/ploke/net/http_server.h) exists: Start() reports that the HTTP front
// is not built. Replaced by server.cpp.
#include "ploke/gateway/server.h"

namespace ploke::gateway {

struct GatewayServer::Impl {};

Result<std::unique_ptr<GatewayServer>> GatewayServer::Start(Gateway&, const ServerOptions&) {
  return InternalError("the gateway's HTTP front needs ploke_net (adapters/net), which this build does not have yet");
}
GatewayServer::GatewayServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GatewayServer::~GatewayServer() = default;
int GatewayServer::port() const { return 0; }
std::string GatewayServer::url() const { return {}; }
void GatewayServer::stop_accepting() {}
void GatewayServer::stop() {}

}  // namespace ploke::gateway
