// OpenRouterAdapter: request extensions from tags, response extras, error mapping, stream
// decoding (keep-alive comments, native_finish_reason, mid-stream errors), drift tolerance.
#include "ploke/adapters/openrouter/adapter.h"

#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/register.h"
#include "support/test_support.h"

namespace ploke {
namespace {
using namespace ploke::adapters::openrouter;  // NOLINT: the OpenRouter package

using nlohmann::json;

Endpoint ep(std::string base = "http://sim/api/v1") {
  return Endpoint{"openrouter", std::move(base), Secret("sk-or-v1-FAKE-0123456789abcdef"), {}};
}

ChatRequest hello() {
  ChatRequest r;
  r.model = "moonshotai/kimi-k2";
  r.messages.push_back(Message::User("hi"));
  return r;
}

HttpResponse ok_body(std::string body) {
  HttpResponse r;
  r.status = 200;
  r.headers.add("content-type", "application/json");
  r.body = std::move(body);
  return r;
}

// Decodes `bytes` fed in pieces of `step`; returns events and the final status.
Status decode(const std::string& bytes, size_t step, std::vector<StreamEvent>& out) {
  auto d = OpenRouterAdapter().new_stream_decoder(ep());
  for (size_t i = 0; i < bytes.size(); i += step) {
    Status st = d->feed(std::string_view(bytes).substr(i, step), out);
    if (!st.ok()) return st;
  }
  return d->finish(out);
}

TEST(OpenRouterAdapterTest, RegisteredUnderItsName) {
  AdapterRegistry registry;
  ASSERT_OK(adapters::register_builtin_adapters(registry));
  auto a = registry.create("openrouter");
  ASSERT_OK(a);
  EXPECT_EQ((*a)->name(), "openrouter");
}

TEST(OpenRouterAdapterTest, DefaultBaseUrlAndMaxTokens) {
  ChatRequest r = hello();
  r.max_output_tokens = 64;
  Endpoint e = ep("");
  auto http = OpenRouterAdapter().build_request(r, e);
  ASSERT_OK(http);
  EXPECT_EQ(http->base_url, "https://openrouter.ai/api/v1");
  EXPECT_EQ(http->path, "/chat/completions");
  const json b = json::parse(http->body);
  EXPECT_EQ(b["max_tokens"], 64);
  EXPECT_FALSE(b.contains("max_completion_tokens"));
  EXPECT_FALSE(b.contains("provider"));  // no tags, no extensions
}

TEST(OpenRouterAdapterTest, ProviderPreferencesFromTags) {
  OpenRouterPreferences p;
  p.order = {"deepinfra", "groq"};
  p.allow_fallbacks = false;
  p.require_parameters = true;
  p.data_collection = "deny";
  p.only = {"deepinfra", "groq", "novita"};
  p.ignore = {"chutes"};
  p.quantizations = {"fp8", "fp4"};
  p.sort = "price";
  p.max_price_prompt = 1.5;
  p.max_price_completion = 4;
  p.models = {"openai/gpt-4o-mini", "deepseek/deepseek-chat-v3.1"};
  p.route = "fallback";
  p.transforms = {"middle-out"};
  ChatRequest r = hello();
  r.meta.tags = p.to_tags();
  r.meta.tags.push_back("unrelated-tag");
  auto back = OpenRouterPreferences::FromTags(r.meta.tags);
  ASSERT_OK(back);
  EXPECT_EQ(back->to_tags(), p.to_tags());

  auto http = OpenRouterAdapter().build_request(r, ep());
  ASSERT_OK(http);
  const json b = json::parse(http->body);
  const json& pr = b["provider"];
  EXPECT_EQ(pr["order"], json::array({"deepinfra", "groq"}));
  EXPECT_EQ(pr["allow_fallbacks"], false);
  EXPECT_EQ(pr["require_parameters"], true);
  EXPECT_EQ(pr["data_collection"], "deny");
  EXPECT_EQ(pr["only"].size(), 3u);
  EXPECT_EQ(pr["ignore"], json::array({"chutes"}));
  EXPECT_EQ(pr["quantizations"], json::array({"fp8", "fp4"}));
  EXPECT_EQ(pr["sort"], "price");
  EXPECT_DOUBLE_EQ(pr["max_price"]["prompt"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(pr["max_price"]["completion"].get<double>(), 4);
  EXPECT_EQ(b["models"], json::array({"openai/gpt-4o-mini", "deepseek/deepseek-chat-v3.1"}));
  EXPECT_EQ(b["route"], "fallback");
  EXPECT_EQ(b["transforms"], json::array({"middle-out"}));
  EXPECT_EQ(b["model"], "moonshotai/kimi-k2");  // the OpenAI shaping is intact
}

TEST(OpenRouterAdapterTest, UnknownProviderKeysPassThroughVerbatim) {
  ChatRequest r = hello();
  r.meta.tags = {"openrouter.provider.allow=[\"x\"]", "openrouter.provider.deny=y"};
  auto http = OpenRouterAdapter().build_request(r, ep());
  ASSERT_OK(http);
  const json b = json::parse(http->body);
  EXPECT_EQ(b["provider"]["allow"], json::array({"x"}));
  EXPECT_EQ(b["provider"]["deny"], "y");
}

TEST(OpenRouterAdapterTest, BadTagValuesAreInvalidRequests) {
  for (const char* tag : {"openrouter.provider.allow_fallbacks=maybe", "openrouter.provider.max_price.prompt=cheap",
                          "openrouter.provider.data_collection=sometimes", "openrouter.provider.max_price.tokens=1",
                          "openrouter.bogus=1", "openrouter.provider.order"}) {
    ChatRequest r = hello();
    r.meta.tags = {tag};
    auto http = OpenRouterAdapter().build_request(r, ep());
    ASSERT_FALSE(http.ok()) << tag;
    EXPECT_EQ(http.status().code(), StatusCode::kInvalidRequest) << tag;
    EXPECT_NE(http.status().message().find("meta.tags"), std::string::npos) << http.status().message();
  }
}

TEST(OpenRouterAdapterTest, ParsesProviderNativeFinishReasonAndCost) {
  const std::string body = R"({"id":"gen-1756919214-gfPct6nIY37k9MIilk4A","provider":"OpenAI","model":"openai/gpt-4o-mini",
    "object":"chat.completion","created":1756919214,"system_fingerprint":"fp_8bda4d3a2c",
    "choices":[{"index":0,"logprobs":null,"finish_reason":"tool_calls","native_finish_reason":"tool_use",
      "message":{"role":"assistant","content":"","refusal":null,"reasoning":null,
        "tool_calls":[{"index":0,"id":"call_l6Wm","type":"function","function":{"name":"get_file_metadata","arguments":"{\"file_path\":\"Cargo.toml\"}"}}]}}],
    "usage":{"prompt_tokens":101,"completion_tokens":18,"total_tokens":119,"prompt_tokens_details":{"cached_tokens":0},
      "completion_tokens_details":{"reasoning_tokens":0},"cost":0.0000259,"is_byok":false,
      "cost_details":{"upstream_inference_cost":null}}})";
  for (bool fast : {true, false}) {
    OpenRouterAdapter::Options o;
    o.fast_json = fast;
    auto r = OpenRouterAdapter(o).parse_response(ok_body(body), ep());
    ASSERT_OK(r);
    EXPECT_EQ(r->id, "gen-1756919214-gfPct6nIY37k9MIilk4A");
    EXPECT_EQ(r->provider, "OpenAI");
    EXPECT_EQ(r->finish_reason, FinishReason::kToolCalls);
    EXPECT_EQ(r->native_finish_reason, "tool_use");
    ASSERT_EQ(r->tool_calls.size(), 1u);
    EXPECT_EQ(r->tool_calls[0].name, "get_file_metadata");
    ASSERT_TRUE(r->usage.has_value());
    EXPECT_EQ(r->usage->total_tokens, 119u);
    ASSERT_TRUE(r->usage->reported_cost_usd.has_value());
    EXPECT_DOUBLE_EQ(*r->usage->reported_cost_usd, 0.0000259);
  }
}

// Reasoning beside the content: `reasoning` (OpenRouter) or `reasoning_content` (DeepSeek,
// vLLM, llama.cpp), in answers and stream deltas, on the fast and the DOM path.
TEST(OpenRouterAdapterTest, ReadsReasoningInAnswersAndStreams) {
  const std::string answer = R"({"id":"gen-1","model":"deepseek/deepseek-r1","choices":[{"index":0,"finish_reason":"stop",
    "message":{"role":"assistant","content":"4","reasoning":"2+2 is 4","reasoning_details":[{"type":"reasoning.text","text":"2+2 is 4"}]}}],
    "usage":{"prompt_tokens":3,"completion_tokens":9,"completion_tokens_details":{"reasoning_tokens":5}}})";
  const std::string compat = R"({"id":"c","model":"m","choices":[{"index":0,"finish_reason":"stop",
    "message":{"role":"assistant","content":"4","reasoning_content":"adding"}}]})";
  const std::string stream =
      "data: {\"id\":\"gen-2\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"reasoning\":\"Let me \"}}]}\n\n"
      "data: {\"id\":\"gen-2\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"think.\",\"content\":\"Four\"}}]}\n\n"
      "data: {\"id\":\"gen-2\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\".\"},\"finish_reason\":\"stop\"}]}\n\n"
      "data: [DONE]\n\n";
  for (bool fast : {true, false}) {
    OpenRouterAdapter::Options o;
    o.fast_json = fast;
    OpenRouterAdapter a(o);
    auto r = a.parse_response(ok_body(answer), ep());
    ASSERT_OK(r);
    EXPECT_EQ(r->content, "4");
    EXPECT_EQ(r->reasoning, "2+2 is 4") << fast;
    ASSERT_EQ(r->reasoning_blocks.size(), 1u);
    EXPECT_EQ(r->reasoning_blocks[0].text, "2+2 is 4");
    EXPECT_EQ(r->usage->reasoning_tokens, 5u);
    auto c = a.parse_response(ok_body(compat), ep());
    ASSERT_OK(c);
    EXPECT_EQ(c->reasoning, "adding") << fast;
    auto d = a.new_stream_decoder(ep());
    std::vector<StreamEvent> ev;
    ASSERT_OK(d->feed(stream, ev));
    ASSERT_OK(d->finish(ev));
    StreamAccumulator acc;
    std::vector<StreamEvent::Kind> kinds;
    for (const auto& e : ev) {
      ASSERT_OK(acc.add(e));
      kinds.push_back(e.kind);
    }
    EXPECT_EQ(acc.response().reasoning, "Let me think.") << fast;
    EXPECT_EQ(acc.response().content, "Four.");
    // The chunk carrying both: reasoning is delivered before its text.
    const auto first_text = std::find(kinds.begin(), kinds.end(), StreamEvent::Kind::kTextDelta);
    ASSERT_NE(first_text, kinds.end());
    EXPECT_EQ(std::count(kinds.begin(), first_text, StreamEvent::Kind::kReasoningDelta), 2) << fast;
  }
}

TEST(OpenRouterAdapterTest, NonStringReasoningIsMalformed) {
  const std::string body = R"({"id":"gen-1","model":"m","choices":[{"index":0,"finish_reason":"stop",
    "message":{"role":"assistant","content":"x","reasoning":{"text":"no"}}}]})";
  for (bool fast : {true, false}) {
    OpenRouterAdapter::Options o;
    o.fast_json = fast;
    auto r = OpenRouterAdapter(o).parse_response(ok_body(body), ep());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kMalformedResponse);
    EXPECT_NE(r.status().message().find("choices[0].message.reasoning"), std::string::npos) << r.status().message();
  }
}

// `reasoning_details`: signed text and encrypted entries become reasoning blocks (answers
// and streams, fast and DOM paths alike), unknown entry types are skipped, and the blocks go
// back on the assistant message; content parts keep their cache breakpoints. The OpenAI
// adapter writes neither member.
TEST(OpenRouterAdapterTest, ReasoningDetailsComeAndGoBack) {
  const std::string answer = R"({"id":"gen-1","model":"anthropic/claude-sonnet-4.5","choices":[{"index":0,"finish_reason":"stop",
    "message":{"role":"assistant","content":"Go.","reasoning":"Plan.","reasoning_details":[
      {"type":"reasoning.text","text":"Plan.","signature":"sig-1","format":"anthropic-claude-v1","index":0},
      {"type":"reasoning.encrypted","data":"ENC","format":"anthropic-claude-v1","index":1},
      {"type":"reasoning.future","x":1}]}}]})";
  const std::vector<ReasoningBlock> want = {{ReasoningBlock::Kind::kThinking, "Plan.", "sig-1", ""},
                                            {ReasoningBlock::Kind::kRedacted, "", "", "ENC"}};
  const std::string stream =
      "data: {\"id\":\"g\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"reasoning\":\"Pl\",\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"Pl\",\"signature\":null,\"index\":0}]}}]}\n\n"
      "data: {\"id\":\"g\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\",\"reasoning\":\"an.\",\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"an.\",\"signature\":null,\"index\":0}]}}]}\n\n"
      "data: {\"id\":\"g\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\",\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"\",\"signature\":\"sig-1\",\"index\":0},{\"type\":\"reasoning.encrypted\",\"data\":\"ENC\",\"index\":1}]}}]}\n\n"
      "data: {\"id\":\"g\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Go.\"},\"finish_reason\":\"stop\"}]}\n\n"
      "data: [DONE]\n\n";
  for (bool fast : {true, false}) {
    OpenRouterAdapter::Options o;
    o.fast_json = fast;
    OpenRouterAdapter a(o);
    auto r = a.parse_response(ok_body(answer), ep());
    ASSERT_OK(r);
    EXPECT_EQ(r->reasoning, "Plan.");
    EXPECT_EQ(r->reasoning_blocks, want) << fast;
    auto d = a.new_stream_decoder(ep());
    std::vector<StreamEvent> ev;
    ASSERT_OK(d->feed(stream, ev));
    ASSERT_OK(d->finish(ev));
    StreamAccumulator acc;
    for (const auto& e : ev) ASSERT_OK(acc.add(e));
    EXPECT_EQ(acc.response().reasoning, "Plan.");
    EXPECT_EQ(acc.response().reasoning_blocks, want) << fast;
    EXPECT_EQ(acc.response().content, "Go.");
  }
  ChatRequest next = hello();
  next.messages[0].content[0].cache = CacheControl::kEphemeral1h;
  Message turn = Message::Assistant("Go.");
  turn.reasoning_blocks = want;
  next.messages.push_back(turn);
  next.messages.push_back(Message::User("Again."));
  auto http = OpenRouterAdapter().build_request(next, ep());
  ASSERT_OK(http);
  const json b = json::parse(http->body);
  EXPECT_EQ(b["messages"][0]["content"], json::parse(R"([{"type":"text","text":"hi","cache_control":{"type":"ephemeral","ttl":"1h"}}])"));
  EXPECT_EQ(b["messages"][1]["reasoning_details"], json::parse(R"([{"type":"reasoning.text","text":"Plan.","signature":"sig-1","index":0},
    {"type":"reasoning.encrypted","data":"ENC","index":1}])"));
  auto plain = adapters::openai::OpenAiAdapter().build_request(next, ep());
  ASSERT_OK(plain);
  EXPECT_EQ(plain->body.find("reasoning_details"), std::string::npos);
  EXPECT_EQ(plain->body.find("cache_control"), std::string::npos);
  // A malformed entry names its path.
  const std::string bad = R"({"id":"g","model":"m","choices":[{"index":0,"finish_reason":"stop",
    "message":{"role":"assistant","content":"x","reasoning_details":[{"type":"reasoning.text","text":5}]}}]})";
  auto m = OpenRouterAdapter().parse_response(ok_body(bad), ep());
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("choices[0].message.reasoning_details[0].text"), std::string::npos) << m.status().message();
}

TEST(OpenRouterAdapterTest, ToleratesDrift) {
  // Unknown fields and enum values, cost as a string, provider absent.
  const std::string body = R"({"id":"gen-1","model":"m","object":"chat.completion","x_new":{"deep":[1,2]},
    "openrouter_metadata":{"router":"x"},
    "choices":[{"index":0,"finish_reason":"stop","native_finish_reason":"eos_token_v2","message":{"role":"assistant","content":"hey","annotations":[{"type":"url_citation"}]}}],
    "usage":{"prompt_tokens":1,"completion_tokens":1,"cost":"0.0005","cost_details":{"new":true}}})";
  auto r = OpenRouterAdapter().parse_response(ok_body(body), ep());
  ASSERT_OK(r);
  EXPECT_EQ(r->content, "hey");
  EXPECT_EQ(r->provider, "openrouter");  // the endpoint's name when the body has none
  EXPECT_EQ(r->native_finish_reason, "eos_token_v2");
  EXPECT_EQ(r->finish_reason, FinishReason::kStop);
  ASSERT_TRUE(r->usage && r->usage->reported_cost_usd);
  EXPECT_DOUBLE_EQ(*r->usage->reported_cost_usd, 0.0005);
}

TEST(OpenRouterAdapterTest, OkBodyCarryingErrorIsThatError) {
  auto r = OpenRouterAdapter().parse_response(
      ok_body(R"({"error":{"code":502,"message":"Provider returned error","metadata":{"provider_name":"DeepInfra","raw":"x"}}})"),
      ep());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kServerError);
  EXPECT_EQ(r.status().http_status(), 200);
  auto credits = OpenRouterAdapter().parse_response(ok_body(R"({"error":{"code":402,"message":"Insufficient credits"}})"), ep());
  ASSERT_FALSE(credits.ok());
  EXPECT_EQ(credits.status().code(), StatusCode::kInsufficientCredits);
}

TEST(OpenRouterAdapterTest, MapsOpenRouterErrors) {
  struct Case { int status; const char* body; StatusCode want; };
  const Case cases[] = {
      {402, R"({"error":{"code":402,"message":"Insufficient credits. Add more using https://openrouter.ai/credits"}})",
       StatusCode::kInsufficientCredits},
      {404, R"({"error":{"code":404,"message":"No endpoints found that support tool use. To learn more about provider routing, visit: https://openrouter.ai/docs/provider-routing"}})",
       StatusCode::kNotFound},
      {400, R"({"error":{"code":400,"message":"Unrecognized key(s) in object: 'allow', 'deny'"}})", StatusCode::kInvalidRequest},
      {401, R"({"error":{"code":401,"message":"No auth credentials found"}})", StatusCode::kAuth},
      {429, R"({"error":{"code":429,"message":"Rate limit exceeded: free-models-per-min"}})", StatusCode::kRateLimited},
      {502, R"({"error":{"code":502,"message":"Provider returned error","metadata":{"provider_name":"X","raw":"{}"}}})",
       StatusCode::kServerError},
      {529, R"({"error":{"code":529,"message":"Provider overloaded","metadata":{"error_type":"provider_overloaded"}}})",
       StatusCode::kOverloaded},
  };
  for (const Case& c : cases) {
    HttpResponse resp;
    resp.status = c.status;
    resp.body = c.body;
    if (c.status == 429) resp.headers.add("Retry-After", "2");
    Status st = OpenRouterAdapter().map_error(resp, ep());
    EXPECT_EQ(st.code(), c.want) << c.body;
    EXPECT_EQ(st.http_status(), c.status);
    if (c.status == 429) {
      ASSERT_TRUE(st.retry_after().has_value());
      EXPECT_EQ(st.retry_after()->count(), 2000);
    }
  }
  HttpResponse resp;
  resp.status = 404;
  resp.body = cases[1].body;
  EXPECT_NE(OpenRouterAdapter().map_error(resp, ep()).message().find("support tool use"), std::string::npos);
}

constexpr const char* kStream =
    ": OPENROUTER PROCESSING\n\n"
    ": OPENROUTER PROCESSING\n\n"
    "data: {\"id\":\"gen-sim3\",\"provider\":\"DeepInfra\",\"model\":\"deepseek/deepseek-chat-v3.1\",\"object\":\"chat.completion.chunk\",\"created\":1756000000,\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null,\"native_finish_reason\":null,\"logprobs\":null}]}\n\n"
    ": OPENROUTER PROCESSING\n\n"
    "data: {\"id\":\"gen-sim3\",\"provider\":\"DeepInfra\",\"model\":\"deepseek/deepseek-chat-v3.1\",\"object\":\"chat.completion.chunk\",\"created\":1756000000,\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\" there\"},\"finish_reason\":\"stop\",\"native_finish_reason\":\"end_turn\",\"logprobs\":null}]}\n\n"
    "data: {\"id\":\"gen-sim3\",\"provider\":\"DeepInfra\",\"model\":\"deepseek/deepseek-chat-v3.1\",\"object\":\"chat.completion.chunk\",\"created\":1756000000,\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11,\"cost\":0.0000043,\"is_byok\":false}}\n\n"
    "data: [DONE]\n\n";

TEST(OpenRouterAdapterTest, StreamWithCommentsAtAnyBoundary) {
  for (size_t step : {size_t{1}, size_t{3}, size_t{17}, size_t{100000}}) {
    std::vector<StreamEvent> events;
    ASSERT_OK(decode(kStream, step, events));
    StreamAccumulator acc;
    for (const auto& e : events) ASSERT_OK(acc.add(e));
    EXPECT_EQ(acc.response().content, "Hi there") << step;
    EXPECT_EQ(acc.response().finish_reason, FinishReason::kStop);
    EXPECT_EQ(acc.response().native_finish_reason, "end_turn") << step;
    ASSERT_TRUE(acc.response().usage && acc.response().usage->reported_cost_usd);
    EXPECT_DOUBLE_EQ(*acc.response().usage->reported_cost_usd, 0.0000043);
  }
}

TEST(OpenRouterAdapterTest, MidStreamErrorChunkIsAStreamError) {
  const std::string s =
      ": OPENROUTER PROCESSING\n\n"
      "data: {\"id\":\"gen-sim4\",\"provider\":\"OpenAI\",\"model\":\"openai/gpt-4o\",\"object\":\"chat.completion.chunk\",\"created\":1756000000,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"
      "data: {\"id\":\"gen-sim4\",\"object\":\"chat.completion.chunk\",\"created\":1756000000,\"model\":\"openai/gpt-4o\",\"provider\":\"OpenAI\",\"error\":{\"code\":502,\"message\":\"Provider disconnected unexpectedly\",\"metadata\":{\"error_type\":\"provider_unavailable\"}},\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]}\n\n";
  std::vector<StreamEvent> events;
  Status st = decode(s, 7, events);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kServerError);
  EXPECT_NE(st.message().find("Provider disconnected"), std::string::npos);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, StreamEvent::Kind::kTextDelta);  // "Hel" was delivered first

  // A string code (the docs' own example) and finish_reason "error" without an error object.
  std::vector<StreamEvent> e2;
  Status st2 = decode(
      "data: {\"id\":\"g\",\"error\":{\"code\":\"server_error\",\"message\":\"boom\"},\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"error\"}]}\n\n",
      5, e2);
  EXPECT_EQ(st2.code(), StatusCode::kServerError);
  std::vector<StreamEvent> e3;
  Status st3 = decode(
      "data: {\"id\":\"g\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":\"error\",\"native_finish_reason\":\"upstream_error\"}]}\n\n",
      4, e3);
  ASSERT_FALSE(st3.ok());
  EXPECT_EQ(st3.code(), StatusCode::kServerError);
  EXPECT_NE(st3.message().find("upstream_error"), std::string::npos);
  for (const auto& e : e3) EXPECT_NE(e.kind, StreamEvent::Kind::kFinish);
}

TEST(OpenRouterAdapterTest, StreamWithoutDoneIsAReset) {
  std::string s = kStream;
  s.resize(s.find("data: [DONE]"));
  std::vector<StreamEvent> events;
  EXPECT_EQ(decode(s, 50, events).code(), StatusCode::kConnectionReset);
}

}  // namespace
}  // namespace ploke
