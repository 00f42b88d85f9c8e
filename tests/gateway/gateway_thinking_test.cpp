// Extended thinking through the gateway, in process and in virtual time: an Anthropic
// client's `thinking` reaches an Anthropic upstream (the simulator), and the answer's
// thinking blocks come back with their signatures, non-stream and streamed (decoded with
// the client adapter), and go back upstream on the next turn.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/gateway/gateway.h"
#include "ploke/simulator/engine.h"

namespace ploke::gateway {
namespace {

using nlohmann::json;

struct ThinkingRecorder final : Responder {
  int status = 0;
  std::string body;
  bool finished = false;
  void reply(int s, const Headers&, std::string b) override {
    status = s;
    body = std::move(b);
    finished = true;
  }
  void begin(int s, const Headers&) override { status = s; }
  void chunk(std::string d) override { body += d; }
  void finish() override { finished = true; }
};

class GatewayThinkingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    simulator::SimOptions o;
    o.seed = 7;
    o.latency.time_to_first_token = std::chrono::milliseconds(5);
    o.latency.tokens_per_second = 1000;
    auto e = simulator::SimEngine::Create(o, clock_);
    ASSERT_TRUE(e.ok());
    engine_ = std::move(e).value();
    transport_ = std::make_unique<InProcessTransport>(clock_, simulator::engine_handler(*engine_));
    client_ = std::make_unique<resilience::LlmClient>(clock_, resilience::LlmClientOptions{});
    resilience::EndpointConfig c;
    c.candidate.id = "sim/claude-sonnet-4-5";
    c.candidate.provider = "sim";
    c.candidate.model = "claude-sonnet-4-5";
    c.candidate.caps = Capabilities{true, false, false, true, true, 0};
    c.adapter = adapter_.get();
    c.endpoint.provider = "sim";
    c.endpoint.base_url = "http://sim";
    c.transport = transport_.get();
    c.call_options.first_byte_timeout = std::chrono::seconds(5);
    c.call_options.total_timeout = std::chrono::seconds(30);
    std::vector<EndpointInfo> infos{{c.candidate.id, c.candidate.provider, c.candidate.model}};
    ASSERT_TRUE(client_->add_endpoint(std::move(c)).ok());
    GatewayOptions go;
    go.workers = 0;
    gw_ = std::make_unique<Gateway>(*client_, clock_, infos, go);
  }

  std::shared_ptr<ThinkingRecorder> messages(const json& body) {
    Request r;
    r.method = "POST";
    r.path = "/v1/messages";
    r.headers.add("anthropic-version", "2023-06-01");
    r.body = body.dump();
    auto rec = std::make_shared<ThinkingRecorder>();
    gw_->handle(std::move(r), rec);
    EXPECT_TRUE(rec->finished);
    return rec;
  }

  SimulatedClock clock_;
  ProviderAdapterPtr adapter_ = adapters::anthropic::make_anthropic_adapter();
  std::unique_ptr<simulator::SimEngine> engine_;
  std::unique_ptr<InProcessTransport> transport_;
  std::unique_ptr<resilience::LlmClient> client_;
  std::unique_ptr<Gateway> gw_;
};

json thinking_body() {
  return json::parse(R"({"model":"claude-sonnet-4-5","max_tokens":4096,
    "thinking":{"type":"enabled","budget_tokens":2048},
    "messages":[{"role":"user","content":"Think about the weather in Paris."}]})");
}

TEST_F(GatewayThinkingTest, NonStreamAnswerHasSignedThinkingFirstAndItGoesBack) {
  auto r = messages(thinking_body());
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  ASSERT_GE(j["content"].size(), 2u) << r->body;
  EXPECT_EQ(j["content"][0]["type"], "thinking") << r->body;
  EXPECT_FALSE(j["content"][0]["thinking"].get<std::string>().empty());
  EXPECT_FALSE(j["content"][0]["signature"].get<std::string>().empty());
  EXPECT_EQ(j["content"].back()["type"], "text");
  // Next turn: the assistant turn as answered, thinking block included; the upstream
  // (which checks thinking blocks) accepts it.
  json next = thinking_body();
  next["messages"].push_back({{"role", "assistant"}, {"content", j["content"]}});
  next["messages"].push_back({{"role", "user"}, {"content", "And tomorrow?"}});
  auto r2 = messages(next);
  EXPECT_EQ(r2->status, 200) << r2->body;
}

TEST_F(GatewayThinkingTest, StreamCarriesThinkingAndSignatureDeltas) {
  json body = thinking_body();
  body["stream"] = true;
  auto r = messages(body);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"thinking_delta\""), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("\"signature_delta\""), std::string::npos) << r->body;
  auto dec = adapter_->new_stream_decoder(Endpoint{"x", "http://x", {}, {}});
  std::vector<StreamEvent> ev;
  ASSERT_TRUE(dec->feed(r->body, ev).ok());
  ASSERT_TRUE(dec->finish(ev).ok());
  StreamAccumulator acc;
  for (const auto& e : ev) ASSERT_TRUE(acc.add(e).ok());
  ASSERT_FALSE(acc.response().reasoning_blocks.empty());
  EXPECT_FALSE(acc.response().reasoning_blocks[0].signature.empty());
  EXPECT_FALSE(acc.response().content.empty());
}

}  // namespace
}  // namespace ploke::gateway
