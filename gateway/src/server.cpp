// GatewayServer on the shared async HTTP server (ploke_net). See ploke/gateway/server.h.
#include "ploke/gateway/server.h"

#include "ploke/net/event_loop.h"
#include "ploke/net/http_server.h"
#include "ploke/net/loop_fibers.h"

namespace ploke::gateway {
namespace {

// Gateway::Responder over net::Responder (every call is on the connection's loop thread,
// from the request's fiber, and acts at once).
class NetResponder final : public Responder {
 public:
  explicit NetResponder(net::Responder r) : r_(std::move(r)) {}
  void reply(int status, const Headers& headers, std::string body) override { r_.respond(status, headers, std::move(body)); }
  void begin(int status, const Headers& headers) override { r_.start(status, headers); }
  void chunk(std::string data) override { r_.write(std::move(data)); }
  void finish() override { r_.finish(); }

 private:
  net::Responder r_;
};

}  // namespace

struct GatewayServer::Impl {
  RealClock clock;  // the server's: Date headers and its timers (the gateway has its own)
  std::unique_ptr<net::HttpServer> server;
};

Result<std::unique_ptr<GatewayServer>> GatewayServer::Start(Gateway& gateway, const ServerOptions& options) {
  net::ServerOptions so = options;
  so.name = "gateway";
  auto impl = std::make_unique<Impl>();
  auto server = net::HttpServer::Start(so, impl->clock, [&gateway](net::Request& req, net::Responder res) {
    Request r;
    r.method = std::move(req.method);
    r.path = std::move(req.path);
    r.query = std::move(req.query);
    r.headers = std::move(req.headers);
    r.body = std::move(req.body);
    // Registered before the request runs, so a client that leaves at once is seen too.
    auto inflight = std::make_shared<Inflight>();
    res.on_cancel([w = std::weak_ptr<Inflight>(inflight)] {
      if (auto f = w.lock()) f->cancel();
    });
    auto out = std::make_shared<NetResponder>(std::move(res));
    // The request runs on a fiber of this loop; the façade's waits suspend it and
    // LoopHttpClient (the upstream transport) resumes it here (ploke/net/loop_fibers.h).
    net::EventLoop* loop = net::EventLoop::current();
    net::LoopFibers& fibers = net::LoopFibers::of(*loop, gateway.clock(), &gateway);
    if (fibers.live() >= gateway.options().max_queue) {
      gateway.reject_busy(r, *out);
      return;
    }
    fibers.spawn([&gateway, r = std::move(r), out = std::move(out), inflight = std::move(inflight)]() mutable {
      gateway.handle(std::move(r), std::move(out), std::move(inflight));
    });
  });
  if (!server.ok()) return server.status();
  impl->server = std::move(server).value();
  return std::unique_ptr<GatewayServer>(new GatewayServer(std::move(impl)));
}

GatewayServer::GatewayServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GatewayServer::~GatewayServer() { stop(); }
int GatewayServer::port() const { return impl_->server->port(); }
std::string GatewayServer::url() const { return impl_->server->url(); }
void GatewayServer::stop_accepting() { impl_->server->stop_accepting(); }
void GatewayServer::stop() { impl_->server->stop(); }
net::EventLoop& GatewayServer::loop(size_t index) const { return impl_->server->loop(index); }

}  // namespace ploke::gateway
