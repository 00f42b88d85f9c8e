// OpenAI `n` and `logprobs` / `top_logprobs` through the gateway, in process and in
// virtual time: two simulator engines behind InProcessTransport on a SimulatedClock, the
// façade over them — "oa" speaks OpenAI Chat Completions upstream, "an" the Anthropic
// Messages API (no logprobs) and is the pinned policy's first choice — and the Gateway run
// inline with a recording Responder. n > 1 is one façade call per choice (usage summed,
// every call in the trace); logprobs route only to endpoints that can supply them.
#include <gtest/gtest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/gateway/gateway.h"
#include "ploke/simulator/engine.h"

namespace ploke::gateway {
namespace {

using nlohmann::json;

struct Recorder final : Responder {
  int status = 0;
  std::string body;
  bool streamed = false, finished = false;
  void reply(int s, const Headers&, std::string b) override {
    status = s;
    body = std::move(b);
    finished = true;
  }
  void begin(int s, const Headers&) override {
    status = s;
    streamed = true;
  }
  void chunk(std::string d) override { body += d; }
  void finish() override { finished = true; }
};

class GatewayChoicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      simulator::SimOptions o;
      o.seed = 20 + static_cast<uint64_t>(i);
      o.latency.time_to_first_token = std::chrono::milliseconds(5);
      o.latency.tokens_per_second = 1000;
      auto e = simulator::SimEngine::Create(o, clock_);
      ASSERT_TRUE(e.ok());
      engines_.push_back(std::move(e).value());
      transports_.push_back(std::make_unique<InProcessTransport>(clock_, simulator::engine_handler(*engines_.back())));
    }
    client_ = std::make_unique<resilience::LlmClient>(clock_, resilience::LlmClientOptions{});
    std::vector<EndpointInfo> infos;
    // "an" (Anthropic upstream, engine 1) first in the pinned order, then "oa" (engine 0).
    add(infos, "an", an_adapter_.get(), 1, false);
    add(infos, "oa", oa_adapter_.get(), 0, true);
    ASSERT_TRUE(client_->set_policy("pinned").ok());
    gw_ = std::make_unique<Gateway>(*client_, clock_, infos, GatewayOptions{});
    gw_->set_on_completed([this](const Completed& c) { completed_.push_back(c); });
  }

  void add(std::vector<EndpointInfo>& infos, const std::string& name, ProviderAdapter* adapter, size_t engine,
           bool logprobs) {
    resilience::EndpointConfig c;
    c.candidate.id = name + "/gpt-4o-mini";
    c.candidate.provider = name;
    c.candidate.model = "gpt-4o-mini";
    c.candidate.caps = Capabilities{true, true, true, true, true, 0};
    c.candidate.caps.logprobs = logprobs;
    c.adapter = adapter;
    c.endpoint.provider = name;
    c.endpoint.base_url = "http://sim/v1";
    c.transport = transports_[engine].get();
    c.call_options.first_byte_timeout = std::chrono::seconds(5);
    c.call_options.total_timeout = std::chrono::seconds(30);
    infos.push_back({c.candidate.id, c.candidate.provider, c.candidate.model, logprobs});
    ASSERT_TRUE(client_->add_endpoint(std::move(c)).ok());
  }

  std::shared_ptr<Recorder> chat(const json& body, std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request r;
    r.method = "POST";
    r.path = "/v1/chat/completions";
    for (auto& [k, v] : headers) r.headers.add(k, v);
    r.body = body.dump();
    auto rec = std::make_shared<Recorder>();
    gw_->handle(std::move(r), rec);
    EXPECT_TRUE(rec->finished);
    return rec;
  }

  static json request(bool stream = false) {
    json b = {{"model", "gpt-4o-mini"}, {"messages", {{{"role", "user"}, {"content", "hello there"}}}}};
    if (stream) {
      b["stream"] = true;
      b["stream_options"] = {{"include_usage", true}};
    }
    return b;
  }

  // The `data:` payloads of an SSE body, [DONE] last.
  static std::vector<std::string> events(const std::string& sse) {
    std::vector<std::string> out;
    size_t pos = 0;
    while ((pos = sse.find("data: ", pos)) != std::string::npos) {
      const size_t end = sse.find("\n\n", pos);
      out.push_back(sse.substr(pos + 6, end - pos - 6));
      pos = end;
    }
    return out;
  }

  SimulatedClock clock_;
  ProviderAdapterPtr oa_adapter_ = adapters::openai::make_openai_adapter();
  ProviderAdapterPtr an_adapter_ = adapters::anthropic::make_anthropic_adapter();
  std::vector<std::unique_ptr<simulator::SimEngine>> engines_;
  std::vector<std::unique_ptr<InProcessTransport>> transports_;
  std::unique_ptr<resilience::LlmClient> client_;
  std::unique_ptr<Gateway> gw_;
  std::vector<Completed> completed_;
};

TEST_F(GatewayChoicesTest, NChoicesNonStreamAreOneCallEachWithUsageSummed) {
  auto one = chat(request());
  ASSERT_EQ(one->status, 200) << one->body;
  const json j1 = json::parse(one->body);
  ASSERT_EQ(j1["choices"].size(), 1u);
  EXPECT_TRUE(j1["choices"][0]["logprobs"].is_null());

  json b = request();
  b["n"] = 3;
  auto r = chat(b);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  ASSERT_EQ(j["choices"].size(), 3u);
  uint64_t completion = 0;
  for (size_t k = 0; k < 3; ++k) {
    const json& c = j["choices"][k];
    EXPECT_EQ(c["index"], k);
    EXPECT_EQ(c["message"]["role"], "assistant");
    EXPECT_FALSE(c["message"]["content"].get<std::string>().empty());
    EXPECT_TRUE(c["finish_reason"].is_string());
  }
  completion = j["usage"]["completion_tokens"].get<uint64_t>();
  // Each choice paid its prompt: three times the single call's.
  EXPECT_EQ(j["usage"]["prompt_tokens"], 3 * j1["usage"]["prompt_tokens"].get<uint64_t>());
  EXPECT_EQ(j["usage"]["total_tokens"], j["usage"]["prompt_tokens"].get<uint64_t>() + completion);
  EXPECT_EQ(engines_[1]->request_count(), 4u);  // the pinned order's first endpoint, once per choice
  ASSERT_EQ(completed_.size(), 2u);
  EXPECT_EQ(completed_[1].trace.attempts.size(), 3u);
  ASSERT_TRUE(completed_[1].usage.has_value());
  EXPECT_EQ(completed_[1].usage->prompt_tokens, j["usage"]["prompt_tokens"].get<uint64_t>());
  bool noted = false;
  for (const auto& n : completed_[1].trace.notes) noted = noted || n == "gateway: choice 3 of 3";
  EXPECT_TRUE(noted);
}

TEST_F(GatewayChoicesTest, NChoicesStreamIndexesEveryChunkAndEndsWithOneUsageChunk) {
  json b = request(true);
  b["n"] = 2;
  auto r = chat(b);
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(r->streamed);
  const auto ev = events(r->body);
  ASSERT_GE(ev.size(), 6u);
  EXPECT_EQ(ev.back(), "[DONE]");
  std::map<int, std::string> text;
  std::map<int, int> roles, finishes;
  int usage_chunks = 0;
  for (size_t i = 0; i + 1 < ev.size(); ++i) {
    const json c = json::parse(ev[i]);
    EXPECT_EQ(c["object"], "chat.completion.chunk");
    if (!c["usage"].is_null()) {
      ++usage_chunks;
      EXPECT_TRUE(c["choices"].empty());
      EXPECT_EQ(i + 2, ev.size()) << "the usage chunk is the last before [DONE]";
      EXPECT_GT(c["usage"]["completion_tokens"].get<uint64_t>(), 0u);
      continue;
    }
    ASSERT_EQ(c["choices"].size(), 1u);
    const json& ch = c["choices"][0];
    const int k = ch["index"].get<int>();
    ASSERT_TRUE(k == 0 || k == 1) << ev[i];
    if (ch["delta"].contains("role")) ++roles[k];
    if (ch["delta"].contains("content") && ch["delta"]["content"].is_string()) text[k] += ch["delta"]["content"].get<std::string>();
    if (ch["finish_reason"].is_string()) ++finishes[k];
  }
  EXPECT_EQ(usage_chunks, 1);
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(roles[k], 1) << k;
    EXPECT_EQ(finishes[k], 1) << k;
    EXPECT_FALSE(text[k].empty()) << k;
  }
  ASSERT_EQ(completed_.size(), 1u);
  EXPECT_EQ(completed_[0].trace.attempts.size(), 2u);
}

// Token entries as the API shapes them; their tokens spell the content.
void expect_logprobs(const json& content, size_t top, std::string& spelled) {
  ASSERT_TRUE(content.is_array());
  for (const json& t : content) {
    ASSERT_TRUE(t["token"].is_string()) << t;
    EXPECT_LE(t["logprob"].get<double>(), 0.0);
    ASSERT_TRUE(t["bytes"].is_array());
    EXPECT_EQ(t["bytes"].size(), t["token"].get<std::string>().size());
    ASSERT_EQ(t["top_logprobs"].size(), top) << t;
    for (const json& a : t["top_logprobs"]) {
      EXPECT_TRUE(a["token"].is_string());
      EXPECT_TRUE(a["logprob"].is_number());
    }
    spelled += t["token"].get<std::string>();
  }
}

TEST_F(GatewayChoicesTest, LogprobsNonStreamComeFromAnOpenAiUpstream) {
  json b = request();
  b["logprobs"] = true;
  b["top_logprobs"] = 2;
  auto r = chat(b);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  const json& lp = j["choices"][0]["logprobs"];
  ASSERT_TRUE(lp.is_object()) << r->body;
  ASSERT_FALSE(lp["content"].empty());
  std::string spelled;
  expect_logprobs(lp["content"], 2, spelled);
  EXPECT_EQ(spelled, j["choices"][0]["message"]["content"].get<std::string>());
  // The Anthropic endpoint comes first in the pinned order; the router skipped it.
  EXPECT_EQ(engines_[1]->request_count(), 0u);
  EXPECT_EQ(engines_[0]->request_count(), 1u);
}

TEST_F(GatewayChoicesTest, LogprobsStreamRideOnTheContentChunks) {
  json b = request(true);
  b["logprobs"] = true;
  b["top_logprobs"] = 2;
  b["n"] = 2;
  auto r = chat(b);
  ASSERT_EQ(r->status, 200) << r->body;
  std::map<int, std::string> text, spelled;
  size_t with_logprobs = 0;
  for (const auto& e : events(r->body)) {
    if (e == "[DONE]") break;
    const json c = json::parse(e);
    if (c["choices"].empty()) continue;
    const json& ch = c["choices"][0];
    const int k = ch["index"].get<int>();
    const json& d = ch["delta"];
    if (!d.contains("content") || !d["content"].is_string() || d["content"].get<std::string>().empty()) continue;
    text[k] += d["content"].get<std::string>();
    ASSERT_TRUE(ch["logprobs"].is_object()) << e;
    ++with_logprobs;
    expect_logprobs(ch["logprobs"]["content"], 2, spelled[k]);
  }
  EXPECT_GT(with_logprobs, 0u);
  for (int k = 0; k < 2; ++k) {
    EXPECT_FALSE(text[k].empty());
    EXPECT_EQ(spelled[k], text[k]) << k;
  }
  EXPECT_EQ(engines_[1]->request_count(), 0u);
}

TEST_F(GatewayChoicesTest, LogprobsPinnedToAnAnthropicUpstreamAreA400NamingLogprobs) {
  json b = request();
  b["logprobs"] = true;
  auto r = chat(b, {{"x-ploke-provider", "an"}});
  ASSERT_EQ(r->status, 400) << r->body;
  const json j = json::parse(r->body);
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["param"], "logprobs");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("log probabilities"), std::string::npos);
  EXPECT_EQ(engines_[0]->request_count() + engines_[1]->request_count(), 0u);
  // Without logprobs the same pin serves, n too (one Messages call per choice).
  json plain = request();
  plain["n"] = 2;
  auto ok = chat(plain, {{"x-ploke-provider", "an"}});
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(json::parse(ok->body)["choices"].size(), 2u);
  EXPECT_EQ(engines_[1]->request_count(), 2u);
}

TEST_F(GatewayChoicesTest, RangeChecksRefuseBeforeAnyCall) {
  json b = request();
  b["n"] = 2;
  b["logprobs"] = true;
  b["top_logprobs"] = 21;  // the API's range check: a 400 before any call
  auto r = chat(b);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_EQ(json::parse(r->body)["error"]["param"], "top_logprobs");
  b["top_logprobs"] = 1;
  b["n"] = 0;
  r = chat(b);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_EQ(json::parse(r->body)["error"]["param"], "n");
  EXPECT_EQ(engines_[0]->request_count() + engines_[1]->request_count(), 0u);
}

}  // namespace
}  // namespace ploke::gateway
