// POST /v1/embeddings on SimEngine: shapes, determinism (seed + model + input, any batch
// position), unit norm, `dimensions`, base64 = float, the API's errors, faults, journal.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "ploke/core/base64.h"
#include "ploke/simulator/engine.h"
#include "sim_test_util.h"

namespace ploke::simulator {
namespace {

using namespace std::chrono_literals;
using testing::chat_http;
using testing::Json;
using testing::sse_data;

class EmbeddingsTest : public testing::EngineFixture {
 protected:
  static HttpRequest embed(Json body) { return chat_http(body, "/v1/embeddings"); }
  static Json body(const ScriptedResponse& r) { return Json::parse(r.body()); }
  // The vectors of a 200 answer with float encoding.
  static std::vector<std::vector<double>> vectors(const ScriptedResponse& r) {
    EXPECT_EQ(r.status, 200) << r.body();
    std::vector<std::vector<double>> out;
    const Json b = body(r);
    for (const Json& d : b["data"]) out.push_back(d["embedding"].get<std::vector<double>>());
    return out;
  }
  static Json req(Json input, std::string model = "text-embedding-3-small") {
    return Json{{"model", std::move(model)}, {"input", std::move(input)}};
  }
};

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) s += a[i] * b[i];
  return s;
}

TEST_F(EmbeddingsTest, ResponseHasTheApiShapeAndHeaders) {
  auto engine = make();
  ScriptedResponse r = engine->handle(embed(req(Json::array({"hello", "world"}))));
  ASSERT_EQ(r.status, 200) << r.body();
  EXPECT_FALSE(r.streaming);
  EXPECT_EQ(r.headers.get("content-type"), "application/json");
  ASSERT_TRUE(r.headers.get("x-request-id"));
  EXPECT_EQ(r.headers.get("x-request-id")->substr(0, 4), "req_");
  EXPECT_TRUE(r.headers.has("x-ratelimit-remaining-tokens"));
  EXPECT_TRUE(r.headers.has("openai-processing-ms"));
  EXPECT_EQ(r.body().substr(0, 26), R"({"object":"list","data":[{)");
  const Json b = body(r);
  EXPECT_EQ(b["object"], "list");
  EXPECT_EQ(b["model"], "text-embedding-3-small");
  ASSERT_EQ(b["data"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(b["data"][i]["object"], "embedding");
    EXPECT_EQ(b["data"][i]["index"], i);
    EXPECT_EQ(b["data"][i]["embedding"].size(), 1536u);
  }
  EXPECT_EQ(b["usage"]["prompt_tokens"], 2);  // 1 + 1 (≥ 1 per input)
  EXPECT_EQ(b["usage"]["total_tokens"], 2);
  const Json large = body(engine->handle(embed(req("x", "text-embedding-3-large"))));
  EXPECT_EQ(large["data"][0]["embedding"].size(), 3072u);
  const Json ada = body(engine->handle(embed(req("x", "text-embedding-ada-002"))));
  EXPECT_EQ(ada["data"][0]["embedding"].size(), 1536u);
}

TEST_F(EmbeddingsTest, VectorsAreUnitLengthAndDependOnSeedModelAndInputOnly) {
  auto engine = make();
  const auto batch = vectors(engine->handle(embed(req(Json::array({"alpha", "beta", "alpha"})))));
  ASSERT_EQ(batch.size(), 3u);
  for (const auto& v : batch) EXPECT_NEAR(std::sqrt(dot(v, v)), 1.0, 1e-5);
  EXPECT_EQ(batch[0], batch[2]);                    // same text, another position
  EXPECT_LT(std::abs(dot(batch[0], batch[1])), 0.2);  // different texts: unrelated directions
  const auto single = vectors(engine->handle(embed(req("beta"))));
  EXPECT_EQ(single[0], batch[1]);  // position and batch do not matter
  SimOptions other;
  other.seed = 2;
  EXPECT_NE(vectors(make(other)->handle(embed(req("beta"))))[0], batch[1]);  // the seed does
  SimOptions same;
  EXPECT_EQ(vectors(make(same)->handle(embed(req("beta"))))[0], batch[1]);  // a new engine, same seed
  EXPECT_NE(vectors(engine->handle(embed(req("beta", "text-embedding-ada-002"))))[0], batch[1]);  // the model does
  // Token ids are inputs too, distinct from any text.
  const auto tokens = vectors(engine->handle(embed(req(Json::array({Json::array({1, 2, 3}), Json::array({1, 2})})))));
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_NE(tokens[0], tokens[1]);
  EXPECT_EQ(vectors(engine->handle(embed(req(Json::array({1, 2, 3})))))[0], tokens[0]);  // one token array
}

TEST_F(EmbeddingsTest, DimensionsShortenAndRenormalizeTheSameDirection) {
  auto engine = make();
  const auto full = vectors(engine->handle(embed(req("some text"))))[0];
  Json r = req("some text");
  r["dimensions"] = 256;
  const auto short_v = vectors(engine->handle(embed(r)))[0];
  ASSERT_EQ(short_v.size(), 256u);
  EXPECT_NEAR(std::sqrt(dot(short_v, short_v)), 1.0, 1e-5);
  // The head of the full vector, rescaled: cosine 1.
  const std::vector<double> head(full.begin(), full.begin() + 256);
  EXPECT_NEAR(dot(short_v, head) / std::sqrt(dot(head, head)), 1.0, 1e-5);
  r["dimensions"] = 1;
  EXPECT_EQ(std::abs(vectors(engine->handle(embed(r)))[0][0]), 1.0);
  r["dimensions"] = 1536;
  EXPECT_EQ(vectors(engine->handle(embed(r)))[0], full);
}

TEST_F(EmbeddingsTest, Base64CarriesTheSameFloat32s) {
  auto engine = make();
  Json r = req(Json::array({"one", "two"}));
  const auto floats = vectors(engine->handle(embed(r)));
  r["encoding_format"] = "base64";
  const Json b = body(engine->handle(embed(r)));
  ASSERT_EQ(b["data"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(b["data"][i]["embedding"].is_string());
    auto bytes = base64_decode(b["data"][i]["embedding"].get<std::string>());
    ASSERT_TRUE(bytes.has_value());
    ASSERT_EQ(bytes->size(), 1536u * 4);
    for (size_t k = 0; k < 1536; ++k) {
      float f;
      std::memcpy(&f, bytes->data() + k * 4, 4);  // little-endian float32 (the test host's order)
      ASSERT_EQ(f, static_cast<float>(floats[i][k])) << i << " " << k;
    }
  }
  r["encoding_format"] = "float";
  EXPECT_EQ(vectors(engine->handle(embed(r))), floats);
}

struct BadRequest {
  Json body;
  int status;
  std::string message;
  Json param;
  Json code;
};

TEST_F(EmbeddingsTest, ValidationErrorsAreTheApis) {
  const std::string input_invalid =
      "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";
  std::vector<std::string> many(2049, "x");
  Json dims0 = req("x");
  dims0["dimensions"] = 0;
  Json ada_dims = req("x", "text-embedding-ada-002");
  ada_dims["dimensions"] = 512;
  Json too_big = req("x");
  too_big["dimensions"] = 1537;
  Json bad_format = req("x");
  bad_format["encoding_format"] = "int8";
  const std::vector<BadRequest> cases = {
      {Json{{"model", "text-embedding-3-small"}}, 400, input_invalid, nullptr, nullptr},
      {req(""), 400, input_invalid, nullptr, nullptr},
      {req(Json::array()), 400, input_invalid, nullptr, nullptr},
      {req(Json::array({"a", ""})), 400, input_invalid, nullptr, nullptr},
      {req(many), 400, input_invalid, nullptr, nullptr},
      {req(Json::array({"a", 1})), 400, input_invalid, nullptr, nullptr},
      {req(Json::array({Json::array()})), 400, input_invalid, nullptr, nullptr},
      {req(Json{{"text", "x"}}), 400, input_invalid, nullptr, nullptr},
      {req(1.5), 400, input_invalid, nullptr, nullptr},
      {Json{{"input", "x"}}, 400, "you must provide a model parameter", nullptr, nullptr},
      {dims0, 400, "'$.dimensions' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
       nullptr, nullptr},
      {bad_format, 400,
       "'$.encoding_format' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
       nullptr, nullptr},
      {ada_dims, 400, "This model does not support specifying dimensions.", nullptr, nullptr},
      {too_big, 400, "Invalid 'dimensions': integer above maximum value. Expected a value <= 1536, but got 1537 instead.",
       "dimensions", "integer_above_max_value"},
      {req("x", "nope"), 404, "The model `nope` does not exist or you do not have access to it.", nullptr,
       "model_not_found"},
      {req("x", "gpt-4o"), 404, "The model `gpt-4o` does not exist or you do not have access to it.", nullptr,
       "model_not_found"},
  };
  auto engine = make();
  for (const BadRequest& c : cases) {
    ScriptedResponse r = engine->handle(embed(c.body));
    EXPECT_EQ(r.status, c.status) << c.body.dump().substr(0, 200);
    const Json e = body(r)["error"];
    EXPECT_EQ(e["message"], c.message) << c.body.dump().substr(0, 200);
    EXPECT_EQ(e["type"], "invalid_request_error");
    EXPECT_EQ(e["param"], c.param);
    EXPECT_EQ(e["code"], c.code);
  }
  HttpRequest not_json = embed(Json::object());
  not_json.body = "{nope";
  EXPECT_EQ(engine->handle(not_json).status, 400);
  // 2048 inputs are fine; so is `user`.
  Json ok = req(std::vector<std::string>(2048, "x"));
  ok["user"] = "user-1234";
  ok["dimensions"] = 8;
  EXPECT_EQ(body(engine->handle(embed(ok)))["data"].size(), 2048u);
}

TEST_F(EmbeddingsTest, FaultsApplyAndTheJournalRecords) {
  auto engine = make_with_plan(R"({"faults":[
      {"id":"rl","kind":"http_error","status":429,"retry_after_s":2,"trigger":{"nth":1}},
      {"id":"five","kind":"http_error","status":503,"trigger":{"nth":2}},
      {"id":"over","kind":"http_error","status":529,"trigger":{"nth":3}},
      {"id":"r","kind":"reset","trigger":{"nth":4}},
      {"id":"h","kind":"hang","trigger":{"nth":5}},
      {"id":"half","kind":"malformed_json","trigger":{"nth":6}}]})");
  ScriptedResponse r = engine->handle(embed(req("x")));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers.get("retry-after"), "2");
  EXPECT_EQ(r.headers.get("x-ratelimit-remaining-requests"), "0");
  EXPECT_EQ(body(r)["error"]["code"], "rate_limit_exceeded");
  EXPECT_EQ(engine->handle(embed(req("x"))).status, 503);
  EXPECT_EQ(engine->handle(embed(req("x"))).status, 529);
  EXPECT_EQ(engine->handle(embed(req("x"))).ending, Ending::kReset);
  EXPECT_EQ(engine->handle(embed(req("x"))).ending, Ending::kHang);
  r = engine->handle(embed(req("x")));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(Json::parse(r.body(), nullptr, false).is_discarded());
  EXPECT_EQ(engine->handle(embed(req("x"))).status, 200);
  const auto j = engine->journal();
  ASSERT_EQ(j.size(), 7u);
  EXPECT_EQ(j[0].path, "/v1/embeddings");
  EXPECT_EQ(j[0].model, "text-embedding-3-small");
  EXPECT_EQ(j[0].fault_id, "rl");
  EXPECT_EQ(j[3].ending, "reset");
  EXPECT_EQ(j[6].status, 200);
  EXPECT_TRUE(j[6].fault_id.empty());
  for (const auto& s : engine->fault_stats()) EXPECT_EQ(s.fired, 1u) << s.id;
}

TEST_F(EmbeddingsTest, PacedAtTimeToFirstTokenAndOnlyForPost) {
  SimOptions o;
  o.latency.time_to_first_token = 40ms;
  auto engine = make(o);
  ScriptedResponse r = engine->handle(embed(req("x")));
  EXPECT_EQ(r.head_at, 40ms);
  EXPECT_EQ(r.chunks.at(0).at, 40ms);
  HttpRequest get;
  get.method = "GET";
  get.path = "/v1/embeddings";
  r = engine->handle(get);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body(r)["error"]["message"], "Invalid URL (GET /v1/embeddings)");
}

TEST_F(EmbeddingsTest, ChatRejectsNonChatModels) {
  auto engine = make();
  for (const char* model : {"text-embedding-3-small", "gpt-3.5-turbo-instruct"}) {
    for (bool stream : {false, true}) {
      ScriptedResponse r = engine->handle(chat_http(testing::simple_body(stream, model)));
      EXPECT_EQ(r.status, 404) << model;
      const Json e = body(r)["error"];
      EXPECT_EQ(e["message"],
                "This is not a chat model and thus not supported in the v1/chat/completions endpoint. Did you mean "
                "to use v1/completions?");
      EXPECT_EQ(e["param"], "model");
      EXPECT_TRUE(e["code"].is_null());
    }
  }
  HttpRequest get;
  get.method = "GET";
  get.path = "/v1/models/text-embedding-3-large";
  EXPECT_EQ(body(engine->handle(get))["id"], "text-embedding-3-large");
}

}  // namespace
}  // namespace ploke::simulator
