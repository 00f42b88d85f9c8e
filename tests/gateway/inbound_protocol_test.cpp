// Inbound protocols by name (ploke/gateway/inbound.h): the built-ins register and index
// without clashes; a test-only protocol registers beside them; unknown names, two
// protocols on one route and a protocol on a gateway route are reported. (A test-only
// protocol served end to end: GatewayTest.ARegisteredProtocolIsServedWithoutEditingTheGateway.)
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "ploke/gateway/inbound.h"
#include "plain_protocol.h"

namespace ploke::gateway {
namespace {

// A protocol that serves `route` (to provoke clashes).
class RouteProtocol final : public InboundProtocol {
 public:
  RouteProtocol(std::string name, InboundRoute route) : name_(std::move(name)), route_(std::move(route)) {}
  std::string_view name() const override { return name_; }
  std::vector<InboundRoute> routes() const override { return {route_}; }
  void serve(InboundExchange& x) const override { x.out.reply(204, Headers{}, ""); }

 private:
  std::string name_;
  InboundRoute route_;
};

Request request(std::string method, std::string path, std::string body = {},
                std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  for (auto& [k, v] : headers) r.headers.add(k, v);
  return r;
}

TEST(InboundProtocols, BuiltinsRegisterByNameAndIndexTheirRoutes) {
  InboundRegistry registry;
  ASSERT_TRUE(register_builtin_inbound(registry).ok());
  EXPECT_EQ(registry.names(), (std::vector<std::string>{"anthropic", "embeddings", "openai", "openrouter", "responses"}));
  EXPECT_EQ(register_builtin_inbound(registry).code(), StatusCode::kInvalidRequest);  // registered twice
  auto set = InboundProtocols::Create(registry);
  ASSERT_TRUE(set.ok()) << set.status().to_string();
  const InboundProtocols& p = **set;
  auto name_of = [&](Request r) { return std::string(p.speaks(r).name()); };
  EXPECT_EQ(name_of(request("POST", "/v1/chat/completions")), "openai");
  EXPECT_EQ(name_of(request("POST", "/api/v1/chat/completions")), "openrouter");
  EXPECT_EQ(name_of(request("POST", "/v1/messages")), "anthropic");
  EXPECT_EQ(name_of(request("POST", "/responses")), "responses");
  EXPECT_EQ(name_of(request("POST", "/embeddings")), "embeddings");
  ASSERT_TRUE(p.route(request("GET", "/v1/responses/resp_1")));  // a prefix route
  EXPECT_FALSE(p.route(request("GET", "/v1/responses")));         // no such method on the exact path
  EXPECT_EQ(p.route(request("POST", "/v1/messages/count_tokens"))->route->call, false);
  // Requests on no protocol route: by path, then by header, else OpenAI.
  EXPECT_EQ(name_of(request("GET", "/v1/models", "", {{"anthropic-version", "2023-06-01"}})), "anthropic");
  EXPECT_EQ(name_of(request("GET", "/api/v1/models", "", {{"anthropic-version", "2023-06-01"}})), "openrouter");
  EXPECT_EQ(name_of(request("GET", "/v1/messages/batches")), "anthropic");
  EXPECT_EQ(name_of(request("GET", "/v1/unknown")), "openai");
  // Metrics: the OpenAI-shaped protocols share one label (the output before protocols were named).
  EXPECT_EQ(p.labels(), (std::vector<std::string>{"openai", "anthropic"}));
  EXPECT_EQ(p.labels()[p.label_index(*p.find("responses"))], "openai");
  EXPECT_EQ(p.find("nope"), nullptr);

  // One more, registered by name beside them: routed and labelled without any other change.
  ASSERT_TRUE(registry.add("plain", [] { return std::make_unique<testing_support::PlainProtocol>(); }).ok());
  auto more = InboundProtocols::Create(registry);
  ASSERT_TRUE(more.ok()) << more.status().to_string();
  EXPECT_EQ((*more)->route(request("POST", "/plain/chat"))->protocol->name(), "plain");
  EXPECT_EQ((*more)->labels(), (std::vector<std::string>{"openai", "anthropic", "plain"}));
}

TEST(InboundProtocols, UnknownNamesAndRouteClashesAreReported) {
  InboundRegistry registry;
  ASSERT_TRUE(register_builtin_inbound(registry).ok());
  auto unknown = InboundProtocols::Create(registry, {"openai", "nope"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("'nope'"), std::string::npos) << unknown.status().message();

  ASSERT_TRUE(registry.add("clash", [] { return std::make_unique<RouteProtocol>("clash", InboundRoute{"POST", "/chat/completions"}); }).ok());
  auto clash = InboundProtocols::Create(registry);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(clash.status().message().find("'clash'"), std::string::npos) << clash.status().message();
  EXPECT_NE(clash.status().message().find("'openai'"), std::string::npos) << clash.status().message();
  EXPECT_TRUE(InboundProtocols::Create(registry, {"clash", "anthropic"}).ok());  // without openai: no clash
  // The same path under another method is no clash.
  ASSERT_TRUE(registry.add("get", [] { return std::make_unique<RouteProtocol>("get", InboundRoute{"GET", "/v1/messages"}); }).ok());
  EXPECT_TRUE(InboundProtocols::Create(registry, {"get", "anthropic"}).ok());

  for (const char* path : {"/metrics", "/__admin/x", "/v1/models", "/v1/models/x"}) {
    InboundRegistry r;
    ASSERT_TRUE(r.add("taker", [path] { return std::make_unique<RouteProtocol>("taker", InboundRoute{"GET", path}); }).ok());
    auto taken = InboundProtocols::Create(r);
    ASSERT_FALSE(taken.ok()) << path;
    EXPECT_NE(taken.status().message().find("the gateway's own route"), std::string::npos) << taken.status().message();
  }
  InboundRegistry prefix;  // a prefix that covers a gateway route
  ASSERT_TRUE(prefix.add("all", [] { return std::make_unique<RouteProtocol>("all", InboundRoute{"GET", "/", true}); }).ok());
  EXPECT_FALSE(InboundProtocols::Create(prefix).ok());
  EXPECT_FALSE(InboundProtocols::Create(InboundRegistry{}).ok());  // nothing to serve
}

}  // namespace
}  // namespace ploke::gateway
