// The OpenAI package's embeddings and legacy completions server half: request reading,
// body rendering (floats that read back as the same float32, base64 of little-endian
// float32), legacy bodies and chunks.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "ploke/adapters/openai/completions_legacy.h"
#include "ploke/adapters/openai/embeddings.h"
#include "ploke/core/base64.h"
#include "ploke/core/random.h"

namespace ploke::adapters::openai {
namespace {

using Json = nlohmann::json;

std::string render(std::vector<float> v, EmbeddingEncoding enc = EmbeddingEncoding::kFloat, size_t count = 1) {
  WireEmbeddings w;
  w.model = "m";
  w.encoding = enc;
  w.count = count;
  w.dims = v.size() / count;
  w.values = v;
  w.prompt_tokens = 7;
  return render_embeddings(w);
}

TEST(OpenAiEmbeddingsRender, BodyShapeAndFieldOrder) {
  EXPECT_EQ(render({0.5f, -0.25f, 0.0f, 1.0f}, EmbeddingEncoding::kFloat, 2),
            R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-0.25]},)"
            R"({"object":"embedding","index":1,"embedding":[0,1]}],"model":"m",)"
            R"("usage":{"prompt_tokens":7,"total_tokens":7}})");
  // 1.0f, -2.0f as little-endian float32: 00 00 80 3f, 00 00 00 c0.
  EXPECT_EQ(render({1.0f, -2.0f}, EmbeddingEncoding::kBase64),
            R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":"AACAPwAAAMA="}],"model":"m",)"
            R"("usage":{"prompt_tokens":7,"total_tokens":7}})");
}

TEST(OpenAiEmbeddingsRender, EveryFloatReadsBackAsItself) {
  std::vector<float> v = {0.012345f, -0.000001f, 1e-7f, -3.4028235e38f, 1.1754944e-38f, 123456.78f, 0.1f, -0.999999f,
                          std::numeric_limits<float>::denorm_min(), 2.5e9f};
  Random rng(9);
  for (int i = 0; i < 5000; ++i) {
    const double x = rng.uniform01() * 2 - 1;
    v.push_back(static_cast<float>(i % 2 ? x : std::round(x * 1e6) / 1e6));  // arbitrary and 6-decimal values
    v.push_back(static_cast<float>(x * std::pow(10.0, static_cast<int>(rng.below(20)) - 10)));
  }
  const Json b = Json::parse(render(v));
  const Json& arr = b["data"][0]["embedding"];
  ASSERT_EQ(arr.size(), v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    ASSERT_EQ(static_cast<float>(arr[i].get<double>()), v[i]) << i << " " << arr[i].dump();
  }
  // A 6-decimal value is written with its decimals, trailing zeros dropped.
  EXPECT_NE(render({0.0123f, -0.5f}).find("[0.0123,-0.5]"), std::string::npos);
}

TEST(OpenAiEmbeddingsRender, Base64IsLittleEndianFloat32) {
  std::vector<float> v;
  for (int i = 0; i < 37; ++i) v.push_back(static_cast<float>(i) / 7.0f - 2.0f);
  const Json b = Json::parse(render(v, EmbeddingEncoding::kBase64));
  auto bytes = base64_decode(b["data"][0]["embedding"].get<std::string>());
  ASSERT_TRUE(bytes.has_value());
  ASSERT_EQ(bytes->size(), v.size() * 4);
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t u = 0;
    for (int k = 3; k >= 0; --k) u = (u << 8) | static_cast<unsigned char>((*bytes)[i * 4 + k]);
    float f;
    std::memcpy(&f, &u, 4);
    EXPECT_EQ(f, v[i]) << i;
  }
}

TEST(OpenAiEmbeddingsRequest, ReadsEveryInputShape) {
  ServedEmbeddingRequest r;
  Json b = {{"model", "m"}, {"input", "text"}};
  ASSERT_FALSE(read_served_embedding_request(&b, r));
  ASSERT_EQ(r.inputs.size(), 1u);
  EXPECT_EQ(r.inputs[0].text, "text");
  EXPECT_EQ(r.encoding, EmbeddingEncoding::kFloat);
  EXPECT_FALSE(r.dimensions);
  b = {{"model", "m"}, {"input", Json::array({"a", "b"})}, {"encoding_format", "base64"}, {"dimensions", 64}, {"user", "u"}};
  ASSERT_FALSE(read_served_embedding_request(&b, r));
  EXPECT_EQ(r.inputs.size(), 2u);
  EXPECT_EQ(r.encoding, EmbeddingEncoding::kBase64);
  EXPECT_EQ(r.dimensions, 64u);
  b = {{"model", "m"}, {"input", {5, 6, 7}}};
  ASSERT_FALSE(read_served_embedding_request(&b, r));
  ASSERT_EQ(r.inputs.size(), 1u);
  EXPECT_TRUE(r.inputs[0].is_tokens);
  EXPECT_EQ(r.inputs[0].tokens, (std::vector<int64_t>{5, 6, 7}));
  b = {{"model", "m"}, {"input", {{5}, {6, 7}}}, {"encoding_format", nullptr}, {"dimensions", nullptr}};
  ASSERT_FALSE(read_served_embedding_request(&b, r));
  EXPECT_EQ(r.inputs.size(), 2u);
  EXPECT_EQ(r.encoding, EmbeddingEncoding::kFloat);
  b = {{"model", "m"}, {"input", "x"}, {"user", 5}};
  auto e = read_served_embedding_request(&b, r);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "'$.user' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.");
  EXPECT_FALSE(e->param);
  EXPECT_FALSE(e->code);
  b = {{"model", "m"}, {"input", {{5}, {6.5}}}};
  EXPECT_TRUE(read_served_embedding_request(&b, r));
  b = {{"model", "m"}, {"input", "x"}, {"dimensions", -3}};
  EXPECT_TRUE(read_served_embedding_request(&b, r));
  b = {{"model", "m"}, {"input", "x"}, {"dimensions", 2.5}};
  EXPECT_TRUE(read_served_embedding_request(&b, r));
  EXPECT_TRUE(read_served_embedding_request(nullptr, r));
}

TEST(OpenAiLegacyCompletions, BodyAndChunksInTheApiShape) {
  WireCompletion c;
  c.id = text_completion_id("abc");
  c.model = "gpt-3.5-turbo-instruct";
  c.created = 17;
  c.prompt_tokens = 2;
  c.completion_tokens = 3;
  WireChoice ch;
  ch.tokens = {"Hi", " there", "\n\"x\""};
  ch.finish = "length";
  EXPECT_EQ(render_text_completion(c, {ch}, {}),
            R"({"id":"cmpl-abc","object":"text_completion","created":17,"model":"gpt-3.5-turbo-instruct",)"
            R"("choices":[{"text":"Hi there\n\"x\"","index":0,"logprobs":null,"finish_reason":"length"}],)"
            R"("usage":{"prompt_tokens":2,"completion_tokens":3,"total_tokens":5}})");
  EXPECT_EQ(Json::parse(render_text_completion(c, {ch, ch}, {"P: ", "Q: "}))["choices"][1]["text"],
            "Q: Hi there\n\"x\"");
  const auto ev = render_text_choice_events(ch, 4, "echo");
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(ev[0], R"({"text":"echo","index":4,"logprobs":null,"finish_reason":null})");
  EXPECT_EQ(ev[1], R"({"text":"Hi","index":4,"logprobs":null,"finish_reason":null})");
  EXPECT_EQ(ev[4], R"({"text":"","index":4,"logprobs":null,"finish_reason":"length"})");
  const std::string prefix = text_chunk_prefix(c);
  EXPECT_EQ(prefix, R"(data: {"id":"cmpl-abc","object":"text_completion","created":17,"model":"gpt-3.5-turbo-instruct","choices":[)");
  EXPECT_EQ(text_usage_chunk(prefix, c),
            prefix + R"(],"usage":{"prompt_tokens":2,"completion_tokens":3,"total_tokens":5}})" + "\n\n");
  EXPECT_TRUE(Json::parse(std::string(kMalformedTextChunkEvent.substr(6)), nullptr, false).is_discarded());
}

TEST(OpenAiLegacyCompletions, ReadsTheRequest) {
  ServedCompletionRequest r;
  Json b = {{"model", "m"}, {"prompt", Json::array({"a", "bb"})}, {"n", 2}, {"max_tokens", 5}, {"stream", true},
            {"stream_options", {{"include_usage", true}}}, {"echo", true}, {"seed", 3}, {"suffix", nullptr}};
  ASSERT_FALSE(read_served_completion_request(&b, r));
  EXPECT_EQ(r.model, "m");
  ASSERT_EQ(r.prompts.size(), 2u);
  EXPECT_EQ(r.prompts[1].text, "bb");
  EXPECT_EQ(r.n, 2u);
  EXPECT_EQ(r.max_tokens, 5u);
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_TRUE(r.echo);
  EXPECT_EQ(r.seed, 3);
  b = {{"model", "m"}, {"prompt", "x"}};
  ASSERT_FALSE(read_served_completion_request(&b, r));
  EXPECT_EQ(r.max_tokens, 16u);
  EXPECT_EQ(r.n, 1u);
  EXPECT_FALSE(r.stream);
  b = {{"model", "m"}, {"prompt", {{1, 2}, "x"}}};
  auto e = read_served_completion_request(&b, r);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->param, "prompt");
  EXPECT_EQ(e->code, "invalid_type");
  EXPECT_EQ(chat_model_on_completions().status, 404);
  EXPECT_EQ(not_a_chat_model().param, "model");
}

}  // namespace
}  // namespace ploke::adapters::openai
