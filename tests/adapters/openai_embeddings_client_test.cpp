// The OpenAI adapter's embeddings client half: request shaping (POST {base}/embeddings,
// encoding_format base64), reading base64 and float answers (the same vectors), malformed
// bodies naming the field path, errors mapped as chat's, and the adapters without
// embeddings (Anthropic) refusing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <limits>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openai/embeddings.h"
#include "ploke/core/base64.h"

namespace ploke::adapters::openai {
namespace {

using Json = nlohmann::json;

const Endpoint kEp{"openai", "https://api.example.test/v1/", Secret("sk-FAKE-embeddings-test"), {}};

HttpResponse ok_body(std::string body) {
  HttpResponse r;
  r.status = 200;
  r.headers.add("x-request-id", "req_emb_1");
  r.body = std::move(body);
  return r;
}

// Two vectors of three floats, including values no short decimal spells.
const std::vector<float> kValues = {0.1f, -0.333333343f, 1e-7f, 3.4028235e38f, -2.5f,
                                    std::numeric_limits<float>::denorm_min()};

std::string rendered(EmbeddingEncoding enc) {
  WireEmbeddings w;
  w.model = "text-embedding-3-small";
  w.encoding = enc;
  w.count = 2;
  w.dims = 3;
  w.values = kValues;
  w.prompt_tokens = 9;
  return render_embeddings(w);
}

TEST(OpenAiEmbeddingsClient, ShapesABase64RequestAtTheEmbeddingsPath) {
  auto adapter = make_openai_adapter();
  EmbeddingRequest req;
  req.model = "text-embedding-3-small";
  req.inputs = {"hello", "wörld"};
  req.dimensions = 256;
  req.user = "u-1";
  auto http = adapter->build_embedding_request(req, kEp);
  ASSERT_TRUE(http.ok()) << http.status().to_string();
  EXPECT_EQ(http->method, "POST");
  EXPECT_EQ(http->base_url, "https://api.example.test/v1");
  EXPECT_EQ(http->path, "/embeddings");
  EXPECT_EQ(http->headers.get("Authorization").value_or(""), "Bearer sk-FAKE-embeddings-test");
  EXPECT_EQ(http->body,
            R"({"model":"text-embedding-3-small","input":["hello","wörld"],"encoding_format":"base64",)"
            R"("dimensions":256,"user":"u-1"})");
  req.dimensions.reset();
  req.user.clear();
  EXPECT_EQ(Json::parse(adapter->build_embedding_request(req, kEp)->body),
            (Json{{"model", "text-embedding-3-small"}, {"input", {"hello", "wörld"}}, {"encoding_format", "base64"}}));
  req.inputs.clear();
  EXPECT_EQ(adapter->build_embedding_request(req, kEp).status().code(), StatusCode::kInvalidRequest);
}

TEST(OpenAiEmbeddingsClient, Base64AndFloatAnswersGiveTheSameVectors) {
  auto adapter = make_openai_adapter();
  auto b64 = adapter->parse_embedding_response(ok_body(rendered(EmbeddingEncoding::kBase64)), kEp);
  auto flt = adapter->parse_embedding_response(ok_body(rendered(EmbeddingEncoding::kFloat)), kEp);
  ASSERT_TRUE(b64.ok()) << b64.status().to_string();
  ASSERT_TRUE(flt.ok()) << flt.status().to_string();
  const std::vector<std::vector<float>> want = {{kValues[0], kValues[1], kValues[2]}, {kValues[3], kValues[4], kValues[5]}};
  for (const auto* r : {&*b64, &*flt}) {
    ASSERT_EQ(r->vectors.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {  // bit for bit
      ASSERT_EQ(r->vectors[i].size(), 3u);
      EXPECT_EQ(std::memcmp(r->vectors[i].data(), want[i].data(), 3 * sizeof(float)), 0) << "vector " << i;
    }
    EXPECT_EQ(r->model, "text-embedding-3-small");
    EXPECT_EQ(r->provider, "openai");
    EXPECT_EQ(r->usage.prompt_tokens, 9u);
    EXPECT_EQ(r->usage.total_tokens, 9u);
  }
  EXPECT_EQ(*b64, *flt);
}

TEST(OpenAiEmbeddingsClient, VectorsArePlacedByIndex) {
  auto adapter = make_openai_adapter();
  auto r = adapter->parse_embedding_response(
      ok_body(R"({"data":[{"index":1,"embedding":[2.0]},{"index":0,"embedding":"AACAPw=="}],"model":"m"})"), kEp);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->vectors, (std::vector<std::vector<float>>{{1.0f}, {2.0f}}));
  EXPECT_EQ(r->usage.prompt_tokens, 0u);  // no usage member: zero, not an error
}

// Drift: members and entry types the reader does not know are ignored.
TEST(OpenAiEmbeddingsClient, ToleratesUnknownMembers) {
  auto r = make_openai_adapter()->parse_embedding_response(
      ok_body(R"({"object":"list","x_new":{"deep":[1,2]},"data":[{"object":"embedding","index":0,"embedding":[0.5],
        "x_norm":1.0}],"model":"m","usage":{"prompt_tokens":2,"total_tokens":2,"x_cached":0},"service_tier":"flex"})"),
      kEp);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->vectors, (std::vector<std::vector<float>>{{0.5f}}));
  EXPECT_EQ(r->usage.prompt_tokens, 2u);
}

TEST(OpenAiEmbeddingsClient, MalformedBodiesNameTheFieldPath) {
  auto adapter = make_openai_adapter();
  auto problem = [&](const std::string& body) {
    auto r = adapter->parse_embedding_response(ok_body(body), kEp);
    EXPECT_FALSE(r.ok()) << body;
    if (r.ok()) return std::string();
    EXPECT_EQ(r.status().code(), StatusCode::kMalformedResponse) << body;
    return r.status().message();
  };
  auto has = [](const std::string& msg, const std::string& part) { return msg.find(part) != std::string::npos; };
  EXPECT_TRUE(has(problem(R"({"object":"list"})"), "data: missing"));
  EXPECT_TRUE(has(problem(R"({"data":{}})"), "data: expected array"));
  EXPECT_TRUE(has(problem(R"({"data":[{"index":0,"embedding":[1]},{"index":1,"embedding":[1,"x"]}]})"),
                  "data[1].embedding[1]: expected number"));
  EXPECT_TRUE(has(problem(R"({"data":[{"index":0}]})"), "data[0].embedding: missing"));
  EXPECT_TRUE(has(problem(R"({"data":[{"index":0,"embedding":"not base64!"}]})"), "data[0].embedding: invalid base64"));
  EXPECT_TRUE(has(problem(R"({"data":[{"index":0,"embedding":"AAAA"}]})"), "data[0].embedding: base64 payload of 3 bytes"));
  EXPECT_TRUE(has(problem(R"({"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[1]}]})"), "data[1].index: duplicate"));
  EXPECT_TRUE(has(problem(R"({"data":[{"index":5,"embedding":[1]}]})"), "data[0].index: out of range"));
  EXPECT_TRUE(has(problem(R"({"data":[],"usage":{"prompt_tokens":-1}})"), "usage.prompt_tokens: negative count"));
  EXPECT_TRUE(has(problem(R"({"data":[)"), "invalid JSON at byte"));
}

TEST(OpenAiEmbeddingsClient, ErrorsAreMappedAsChatErrorsAre) {
  auto adapter = make_openai_adapter();
  HttpResponse r;
  r.status = 429;
  r.headers.add("retry-after", "2");
  r.body = R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})";
  auto st = adapter->parse_embedding_response(r, kEp);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kRateLimited);
  EXPECT_EQ(st.status().code(), adapter->map_error(r, kEp).code());
  // A 2xx body carrying an error is that error.
  auto in_band = adapter->parse_embedding_response(ok_body(R"({"error":{"message":"bad","type":"server_error"}})"), kEp);
  ASSERT_FALSE(in_band.ok());
  EXPECT_EQ(in_band.status().code(), StatusCode::kServerError);
}

TEST(OpenAiEmbeddingsClient, CustomHasEmbeddingsAnthropicRefuses) {
  EXPECT_TRUE(make_openai_adapter()->has_embeddings());
  auto custom = make_custom_openai_adapter();
  EXPECT_TRUE(custom->has_embeddings());
  EmbeddingRequest req;
  req.model = "nomic-embed-text";
  req.inputs = {"x"};
  EXPECT_TRUE(custom->build_embedding_request(req, Endpoint{"local", "http://127.0.0.1:1/v1", {}, {}}).ok());
  auto anthropic = anthropic::make_anthropic_adapter();
  EXPECT_FALSE(anthropic->has_embeddings());
  auto refused = anthropic->build_embedding_request(req, kEp);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidRequest);
  EXPECT_EQ(refused.status().message(), "embeddings: the anthropic protocol has no embeddings endpoint");
  EXPECT_EQ(anthropic->parse_embedding_response(ok_body("{}"), kEp).status().code(), StatusCode::kInvalidRequest);
}

}  // namespace
}  // namespace ploke::adapters::openai
