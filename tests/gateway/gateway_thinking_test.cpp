// Extended thinking and prompt caching through the gateway, in process and in virtual
// time: an Anthropic client's `thinking` reaches an Anthropic upstream (the simulator), and
// the answer's thinking blocks come back with their signatures, non-stream and streamed
// (decoded with the client adapter), and go back upstream on the next turn; its
// `cache_control` breakpoints reach the upstream, so a second call reads the cache.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <regex>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/openrouter/adapter.h"
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

// One simulated upstream spoken to by `adapter_` at `base`, serving `model`, behind a gateway.
class InProcessGatewayTest : public ::testing::Test {
 protected:
  explicit InProcessGatewayTest(ProviderAdapterPtr adapter) : adapter_(std::move(adapter)) {}
  void start(const std::string& model, const std::string& base) {
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
    c.candidate.id = "sim/" + model;
    c.candidate.provider = "sim";
    c.candidate.model = model;
    c.candidate.caps = Capabilities{true, false, false, true, true, 0};
    c.adapter = adapter_.get();
    c.endpoint.provider = "sim";
    c.endpoint.base_url = base;
    c.transport = transport_.get();
    c.call_options.first_byte_timeout = std::chrono::seconds(5);
    c.call_options.total_timeout = std::chrono::seconds(30);
    std::vector<EndpointInfo> infos{{c.candidate.id, c.candidate.provider, c.candidate.model}};
    ASSERT_TRUE(client_->add_endpoint(std::move(c)).ok());
    GatewayOptions go;
    gw_ = std::make_unique<Gateway>(*client_, clock_, infos, go);
  }

  std::shared_ptr<ThinkingRecorder> post(const std::string& path, const json& body) {
    Request r;
    r.method = "POST";
    r.path = path;
    if (path == "/v1/messages") r.headers.add("anthropic-version", "2023-06-01");
    r.body = body.dump();
    auto rec = std::make_shared<ThinkingRecorder>();
    gw_->handle(std::move(r), rec);
    EXPECT_TRUE(rec->finished);
    return rec;
  }
  std::shared_ptr<ThinkingRecorder> messages(const json& body) { return post("/v1/messages", body); }

  SimulatedClock clock_;
  ProviderAdapterPtr adapter_;
  std::unique_ptr<simulator::SimEngine> engine_;
  std::unique_ptr<InProcessTransport> transport_;
  std::unique_ptr<resilience::LlmClient> client_;
  std::unique_ptr<Gateway> gw_;
};

class GatewayThinkingTest : public InProcessGatewayTest {
 protected:
  GatewayThinkingTest() : InProcessGatewayTest(adapters::anthropic::make_anthropic_adapter()) {}
  void SetUp() override { start("claude-sonnet-4-5", "http://sim"); }
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

TEST_F(GatewayThinkingTest, CacheControlReachesTheUpstreamSoTheSecondCallReadsTheCache) {
  json body = json::parse(R"({"model":"claude-sonnet-4-5","max_tokens":256,
    "messages":[{"role":"user","content":"Summarise the rules."}]})");
  std::string rules;
  for (int i = 0; i < 400; ++i) rules += "Rule " + std::to_string(i) + ": keep the build green at every commit. ";
  body["system"] = json::array({{{"type", "text"}, {"text", rules}, {"cache_control", {{"type", "ephemeral"}, {"ttl", "1h"}}}}});
  auto first = messages(body);
  ASSERT_EQ(first->status, 200) << first->body;
  const json u1 = json::parse(first->body)["usage"];
  EXPECT_GT(u1["cache_creation_input_tokens"].get<uint64_t>(), 1024u) << u1.dump();
  EXPECT_EQ(u1["cache_creation"]["ephemeral_1h_input_tokens"], u1["cache_creation_input_tokens"]) << u1.dump();
  EXPECT_EQ(u1["cache_read_input_tokens"], 0) << u1.dump();
  auto second = messages(body);
  ASSERT_EQ(second->status, 200) << second->body;
  const json u2 = json::parse(second->body)["usage"];
  EXPECT_EQ(u2["cache_read_input_tokens"], u1["cache_creation_input_tokens"]) << u2.dump();
  EXPECT_EQ(u2["cache_creation_input_tokens"], 0) << u2.dump();
  // Streamed, a new prefix: message_start carries the upstream's counts and the 1-hour split
  // (where an SDK's MessageStream takes cache_creation from).
  json streamed = body;
  streamed["stream"] = true;
  streamed["system"][0]["text"] = "Streamed. " + rules;
  auto st = messages(streamed);
  ASSERT_EQ(st->status, 200) << st->body;
  const size_t data = st->body.find("data: ", st->body.find("event: message_start"));
  const json start = json::parse(st->body.substr(data + 6, st->body.find('\n', data) - data - 6));
  const json su = start["message"]["usage"];
  EXPECT_GT(su["cache_creation_input_tokens"].get<uint64_t>(), 1024u) << su.dump();
  EXPECT_EQ(su["cache_creation"]["ephemeral_1h_input_tokens"], su["cache_creation_input_tokens"]) << su.dump();
  // Without the breakpoint nothing is cached.
  body["system"][0].erase("cache_control");
  const json u3 = json::parse(messages(body)->body)["usage"];
  EXPECT_EQ(u3["cache_read_input_tokens"], 0) << u3.dump();
  EXPECT_EQ(u3["cache_creation_input_tokens"], 0) << u3.dump();
}


// A Responses client's reasoning.effort (what Codex sends) reaches an Anthropic upstream as a
// thinking budget; the thinking comes back as a reasoning item before the message, whole
// and streamed.
TEST_F(GatewayThinkingTest, ResponsesEffortBecomesThinkingAndComesBackAsAReasoningItem) {
  json body = json::parse(R"({"model":"claude-sonnet-4-5","input":"Think about Paris.","max_output_tokens":4096,
    "reasoning":{"effort":"low","summary":"auto"}})");
  auto r = post("/v1/responses", body);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  ASSERT_GE(j["output"].size(), 2u) << r->body;
  EXPECT_EQ(j["output"][0]["type"], "reasoning");
  EXPECT_FALSE(j["output"][0]["summary"][0]["text"].get<std::string>().empty());
  EXPECT_EQ(j["output"][1]["type"], "message");
  body["stream"] = true;
  auto s = post("/v1/responses", body);
  ASSERT_EQ(s->status, 200) << s->body;
  const size_t summary = s->body.find("event: response.reasoning_summary_text.delta");
  ASSERT_NE(summary, std::string::npos) << s->body;
  EXPECT_LT(summary, s->body.find("event: response.output_text.delta"));
  // Without the effort: no thinking asked, no reasoning item.
  body.erase("reasoning");
  body["stream"] = false;
  const json plain = json::parse(post("/v1/responses", body)->body);
  EXPECT_EQ(plain["output"][0]["type"], "message") << plain.dump();
}

// OpenRouter's `reasoning` through the gateway's OpenRouter route to an OpenRouter upstream:
// the request option reaches it, and the answer's reasoning comes back in OpenRouter's
// members (`reasoning`, `reasoning_details`), whole and in stream deltas before the text.
class GatewayOpenRouterReasoningTest : public InProcessGatewayTest {
 protected:
  GatewayOpenRouterReasoningTest() : InProcessGatewayTest(adapters::openrouter::make_openrouter_adapter()) {}
  void SetUp() override { start("deepseek/deepseek-chat-v3.1", "http://sim/api/v1"); }
  static json ask(bool stream) {
    json b = json::parse(R"({"model":"deepseek/deepseek-chat-v3.1","reasoning":{"effort":"low"},
      "messages":[{"role":"user","content":"Is it sunny?"}]})");
    b["stream"] = stream;
    return b;
  }
};

TEST_F(GatewayOpenRouterReasoningTest, AnswerCarriesReasoningAndDetails) {
  auto r = post("/api/v1/chat/completions", ask(false));
  ASSERT_EQ(r->status, 200) << r->body;
  const json m = json::parse(r->body)["choices"][0]["message"];
  const std::string reasoning = m.value("reasoning", std::string());
  ASSERT_FALSE(reasoning.empty()) << r->body;
  EXPECT_EQ(m["reasoning_details"][0]["type"], "reasoning.text");
  EXPECT_EQ(m["reasoning_details"][0]["text"], reasoning);
  EXPECT_EQ(m["content"].get<std::string>().find(reasoning), std::string::npos);
  // Not asked: none (the upstream gets no reasoning option and sends none).
  json plain = ask(false);
  plain.erase("reasoning");
  const json pm = json::parse(post("/api/v1/chat/completions", plain)->body)["choices"][0]["message"];
  EXPECT_FALSE(pm.contains("reasoning")) << pm.dump();
  // A malformed option is OpenRouter's 400 naming the field.
  json bad = ask(false);
  bad["reasoning"]["effort"] = "huge";
  auto b = post("/api/v1/chat/completions", bad);
  EXPECT_EQ(b->status, 400);
  EXPECT_NE(b->body.find("reasoning.effort"), std::string::npos) << b->body;
}

TEST_F(GatewayOpenRouterReasoningTest, StreamSendsReasoningDeltasBeforeTheText) {
  auto r = post("/api/v1/chat/completions", ask(true));
  ASSERT_EQ(r->status, 200) << r->body;
  const size_t first_reasoning = r->body.find("\"reasoning\":");
  ASSERT_NE(first_reasoning, std::string::npos) << r->body;
  std::smatch text;  // the first non-empty content delta
  ASSERT_TRUE(std::regex_search(r->body, text, std::regex(R"("content":"[^"])")));
  EXPECT_LT(first_reasoning, static_cast<size_t>(text.position(0)));
  auto dec = adapter_->new_stream_decoder(Endpoint{"x", "http://x", {}, {}});
  std::vector<StreamEvent> ev;
  ASSERT_TRUE(dec->feed(r->body, ev).ok());
  ASSERT_TRUE(dec->finish(ev).ok());
  StreamAccumulator acc;
  for (const auto& e : ev) ASSERT_TRUE(acc.add(e).ok());
  EXPECT_FALSE(acc.response().reasoning.empty());
  EXPECT_FALSE(acc.response().content.empty());
}

}  // namespace
}  // namespace ploke::gateway
