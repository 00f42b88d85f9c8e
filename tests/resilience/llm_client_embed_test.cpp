// Embeddings through ChatClient::embed and LlmClient::embed against in-process simulators
// (virtual time): the vectors the simulator makes, errors mapped, failover on 5xx/429,
// routing only to adapters with embeddings, the request's model sent as is, and the
// attempt accounted under the embedding model at its price.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "llm_client_fixture.h"
#include "ploke/adapters/anthropic/adapter.h"

namespace ploke::resilience {
namespace {

using Json = nlohmann::json;

EmbeddingRequest embed_req(std::vector<std::string> inputs = {"alpha text", "beta text"}) {
  EmbeddingRequest r;
  r.model = "text-embedding-3-small";
  r.inputs = std::move(inputs);
  return r;
}

// The simulator's float answer for `inputs`, read straight from its JSON.
std::vector<std::vector<float>> sim_float_vectors(simulator::SimEngine& engine, const std::vector<std::string>& inputs) {
  HttpRequest http;
  http.method = "POST";
  http.base_url = "http://sim.invalid";
  http.path = "/v1/embeddings";
  http.body = Json{{"model", "text-embedding-3-small"}, {"input", inputs}, {"encoding_format", "float"}}.dump();
  const ScriptedResponse r = simulator::engine_handler(engine)(http);
  EXPECT_EQ(r.status, 200) << r.body();
  std::vector<std::vector<float>> out;
  const Json body = Json::parse(r.body());
  for (const Json& d : body["data"]) out.push_back(d["embedding"].get<std::vector<float>>());
  return out;
}

struct RecordingSink final : UsageSink {
  Status record_attempt(const AttemptRecord& a) override {
    rows.push_back(a);
    return Status::Ok();
  }
  std::vector<AttemptRecord> rows;
};

TEST_F(LlmClientTest, ChatClientEmbedReturnsTheSimulatorsVectors) {
  add_sim("alpha");
  ChatClient client(*adapter_, Endpoint{"alpha", "http://alpha.sim.invalid/v1", Secret("sk-FAKE-x"), {}}, *transports_[0],
                    clock_, CallOptions{});
  const EmbeddingRequest req = embed_req();
  auto r = client.embed(req);
  ASSERT_OK(r);
  // What went out: base64 asked for; what came back decoded equals the float rendering.
  ASSERT_EQ(bodies_[0].size(), 1u);
  EXPECT_EQ(Json::parse(bodies_[0][0])["encoding_format"], "base64");
  EXPECT_EQ(r->vectors, sim_float_vectors(*engines_[0], req.inputs));
  ASSERT_EQ(r->vectors.size(), 2u);
  EXPECT_EQ(r->vectors[0].size(), 1536u);
  EXPECT_NE(r->vectors[0], r->vectors[1]);
  EXPECT_EQ(r->provider, "alpha");
  EXPECT_EQ(r->model, "text-embedding-3-small");
  EXPECT_FALSE(r->request_id.empty());
  EXPECT_GT(r->usage.prompt_tokens, 0u);
  EXPECT_EQ(r->usage.total_tokens, r->usage.prompt_tokens);

  EmbeddingRequest shortened = req;
  shortened.dimensions = 64;
  auto s = client.embed(shortened);
  ASSERT_OK(s);
  EXPECT_EQ(s->vectors[0].size(), 64u);
}

TEST_F(LlmClientTest, ChatClientEmbedMapsTheProvidersErrors) {
  add_sim("alpha");
  ChatClient client(*adapter_, Endpoint{"alpha", "http://alpha.sim.invalid/v1", {}, {}}, *transports_[0], clock_,
                    CallOptions{});
  EmbeddingRequest req = embed_req();
  req.model = "gpt-4o";  // not an embedding model: the API's 404
  auto r = client.embed(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().provider(), "alpha");
  req = embed_req();
  req.dimensions = 100000;  // above the model's size: the API's 400
  EXPECT_EQ(client.embed(req).status().code(), StatusCode::kInvalidRequest);
}

TEST_F(LlmClientTest, ChatClientEmbedChecksTheVectorCountAndTheAdapter) {
  int sent = 0;
  InProcessTransport one_vector(clock_, [&sent](const HttpRequest&) {
    ++sent;
    Headers h;
    h.add("content-type", "application/json");
    return ScriptedResponse::Simple(200, h, R"({"data":[{"index":0,"embedding":[0.5]}],"model":"m"})");
  });
  ChatClient client(*adapter_, Endpoint{"alpha", "http://alpha.sim.invalid/v1", {}, {}}, one_vector, clock_, CallOptions{});
  auto r = client.embed(embed_req());  // two inputs, one vector back
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kMalformedResponse);
  EXPECT_NE(r.status().message().find("1 vectors for 2 inputs"), std::string::npos) << r.status().to_string();
  EXPECT_EQ(r.status().provider(), "alpha");
  ASSERT_OK(client.embed(embed_req({"only one"})));
  EXPECT_EQ(sent, 2);
  // An adapter without embeddings refuses before anything is sent.
  auto anthropic = adapters::anthropic::make_anthropic_adapter();
  ChatClient refusing(*anthropic, Endpoint{"claude", "http://claude.invalid", {}, {}}, one_vector, clock_, CallOptions{});
  auto refused = refusing.embed(embed_req());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidRequest);
  EXPECT_EQ(sent, 2);
}

TEST_F(LlmClientTest, EmbedRetriesThenFallsOverOn5xx) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":500}]})");
  add_sim("beta");
  make_client();
  RequestTrace trace;
  auto r = client_->embed(embed_req(), {}, &trace);
  ASSERT_OK(r);
  EXPECT_EQ(r->provider, "beta");
  EXPECT_EQ(trace.served_by, "beta/gpt-4o");
  ASSERT_EQ(trace.attempts.size(), 4u);  // 1 + 2 retries on alpha, then beta
  EXPECT_EQ(trace.attempts[0].outcome, StatusCode::kServerError);
  EXPECT_NE(trace.attempts[2].decision.find("fall over"), std::string::npos);
  EXPECT_EQ(attempts("alpha", StatusCode::kServerError), 3.0);
  EXPECT_EQ(client_->metric(MetricId::kFallovers, {"alpha/gpt-4o"}), 1.0);
  EXPECT_EQ(r->vectors, sim_float_vectors(*engines_[1], embed_req().inputs));
  // Every attempt sent the embedding model as is, not the endpoint's chat model.
  for (const auto& bodies : bodies_) {
    for (const auto& b : bodies) EXPECT_EQ(Json::parse(b)["model"], "text-embedding-3-small");
  }
}

TEST_F(LlmClientTest, EmbedFallsOverOn429) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":60000}]})");
  add_sim("beta");
  make_client();
  RequestTrace trace;
  ASSERT_OK(client_->embed(embed_req(), {}, &trace));
  ASSERT_EQ(trace.attempts.size(), 2u);
  EXPECT_EQ(trace.attempts[0].outcome, StatusCode::kRateLimited);
  EXPECT_EQ(trace.served_by, "beta/gpt-4o");
}

TEST_F(LlmClientTest, EmbedIsRoutedOnlyToAdaptersWithEmbeddings) {
  add_sim("alpha");
  add_sim("beta");
  auto anthropic = adapters::anthropic::make_anthropic_adapter();
  client_ = std::make_unique<LlmClient>(clock_, base_options());
  for (size_t i = 0; i < 2; ++i) {
    EndpointConfig c;
    c.candidate.id = names_[i] + "/gpt-4o";
    c.candidate.provider = names_[i];
    c.candidate.model = "gpt-4o";
    c.candidate.caps = Capabilities{true, true, true, true, true, 0};
    c.adapter = i == 0 ? anthropic.get() : adapter_.get();  // alpha speaks Messages: no embeddings
    c.endpoint = Endpoint{names_[i], "http://" + names_[i] + ".sim.invalid/v1", {}, {}};
    c.transport = transports_[i].get();
    ASSERT_OK(client_->add_endpoint(std::move(c)));
  }
  RequestTrace trace;
  ASSERT_OK(client_->embed(embed_req(), {}, &trace));
  EXPECT_EQ(trace.served_by, "beta/gpt-4o");
  ASSERT_EQ(trace.candidates.size(), 2u);
  EXPECT_EQ(trace.candidates[0].removed_by, "capability");
  EXPECT_TRUE(bodies_[0].empty());
  // Pinned to the Anthropic endpoint: nothing can serve it, nothing is sent.
  CallControl pin;
  pin.pin = "alpha";
  auto refused = client_->embed(embed_req(), pin);
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(bodies_[0].empty());
}

TEST_F(LlmClientTest, EmbedIsAccountedUnderTheEmbeddingModelAtItsPrice) {
  add_sim("alpha");
  RecordingSink sink;
  LlmClientOptions o = base_options();
  o.usage_sink = &sink;
  client_ = std::make_unique<LlmClient>(clock_, o);
  EndpointConfig c;
  c.candidate.id = "alpha/gpt-4o";
  c.candidate.provider = "alpha";
  c.candidate.model = "gpt-4o";
  c.candidate.input_usd_per_mtok = 2.5;
  c.candidate.output_usd_per_mtok = 10;
  c.embedding_usd_per_mtok = {{"text-embedding-3-small", 0.02}};
  c.adapter = adapter_.get();
  c.endpoint = Endpoint{"alpha", "http://alpha.sim.invalid/v1", {}, {}};
  c.transport = transports_[0].get();
  ASSERT_OK(client_->add_endpoint(std::move(c)));
  RequestTrace trace;
  auto r = client_->embed(embed_req(), {}, &trace);
  ASSERT_OK(r);
  ASSERT_EQ(sink.rows.size(), 1u);
  const AttemptRecord& a = sink.rows[0];
  EXPECT_EQ(a.model, "text-embedding-3-small");
  EXPECT_EQ(a.outcome, "ok");
  EXPECT_EQ(a.usage.prompt, r->usage.prompt_tokens);
  EXPECT_EQ(a.usage.completion, 0u);
  const double want = static_cast<double>(r->usage.prompt_tokens) * 0.02 / 1e6;
  ASSERT_TRUE(a.estimated_cost_usd.has_value());
  EXPECT_DOUBLE_EQ(*a.estimated_cost_usd, want);
  EXPECT_DOUBLE_EQ(trace.total_cost_usd, want);
  ASSERT_EQ(trace.attempts.size(), 1u);
  EXPECT_EQ(trace.attempts[0].prompt_tokens, r->usage.prompt_tokens);
  ASSERT_EQ(trace.candidates.size(), 1u);  // traced as asked: the embedding model at its price
  EXPECT_EQ(trace.candidates[0].model, "text-embedding-3-small");
  EXPECT_DOUBLE_EQ(trace.forecast_usd, static_cast<double>(estimate_embedding_tokens(embed_req())) * 0.02 / 1e6);
  // An unlisted embedding model is unpriced (not the chat model's price).
  sink.rows.clear();
  EmbeddingRequest large = embed_req();
  large.model = "text-embedding-3-large";
  ASSERT_OK(client_->embed(large));
  ASSERT_EQ(sink.rows.size(), 1u);
  EXPECT_EQ(sink.rows[0].model, "text-embedding-3-large");
  EXPECT_EQ(sink.rows[0].estimated_cost_usd.value_or(-1), 0.0);
}

}  // namespace
}  // namespace ploke::resilience
