// Inbound OpenRouter dialect and the client-facing error wording of the OpenAI-shaped
// routes: error bodies carry the HTTP status as an integer `code`, stream errors are
// OpenRouter's error chunk with the stream's id, upstream text never reaches `message`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/inbound.h"
#include "ploke/adapters/openai/server.h"
#include "ploke/adapters/openai/checks.h"
#include "ploke/adapters/openrouter/adapter.h"
#include "ploke/adapters/openrouter/provider_json.h"
#include "ploke/adapters/openrouter/server.h"

namespace ploke::adapters::inbound {
using namespace ploke::adapters::openai;      // NOLINT: the packages under test
using namespace ploke::adapters::openrouter;  // NOLINT
namespace {

using nlohmann::json;

Status upstream_status() {
  return ServerError("HTTP 502: in-band error: Bad gateway. (type=server_error)").with_provider("sim-b").with_http_status(502);
}

TEST(InboundOpenRouter, ErrorBodyHasIntegerCodeAndTypedMetadata) {
  const Reply r = render_openrouter_error(upstream_status());
  EXPECT_EQ(r.status, 502);
  const json j = json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], 502);
  EXPECT_EQ(j["error"]["metadata"]["error_type"], "provider_unavailable");
  const std::string msg = j["error"]["message"];
  EXPECT_EQ(msg.find("sim-b"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("Bad gateway"), std::string::npos) << msg;
  EXPECT_EQ(render_openrouter_error(InsufficientCreditsError("no credits")).status, 402);
}

TEST(InboundOpenRouter, ClientMessagesCarryNoUpstreamDetails) {
  const Reply r = render_openai_error(upstream_status());
  const std::string msg = json::parse(r.body)["error"]["message"];
  for (const char* leak : {"sim-b", "provider=", "upstream_http", "(type=", "HTTP 502"}) {
    EXPECT_EQ(msg.find(leak), std::string::npos) << leak << " in " << msg;
  }
  // The gateway's own request errors keep the field path.
  const Reply own = render_openai_error(InvalidRequestError("messages: at least one message is required"));
  EXPECT_EQ(json::parse(own.body)["error"]["message"], "messages: at least one message is required");
  EXPECT_EQ(json::parse(own.body)["error"]["param"], "messages");
}

TEST(InboundOpenRouter, RateLimitMessageAgreesWithRetryAfter) {
  const Reply r = render_openai_error(RateLimitedError("slow down").with_provider("x").with_retry_after(std::chrono::milliseconds(1500)));
  EXPECT_NE(std::string(json::parse(r.body)["error"]["message"]).find("try again in 1.5s"), std::string::npos) << r.body;
}

TEST(InboundOpenRouter, StreamAlwaysEndsWithUsageAndErrorsAreChunksWithTheStreamId) {
  OpenAiSseWriter w("gen-1", "m", 1, /*include_usage=*/false, openrouter_chat_dialect());
  std::string wire = w.event(StreamEvent::TextDelta("hi"));
  EXPECT_EQ(wire.find("\"usage\":null"), std::string::npos) << wire;
  ChatResponse done;
  done.finish_reason = FinishReason::kStop;
  const std::string tail = w.finish(done);
  EXPECT_NE(tail.find("\"choices\":[],\"usage\":{"), std::string::npos) << tail;

  OpenAiSseWriter e("gen-2", "m", 1, false, openrouter_chat_dialect());
  const std::string err = e.error(upstream_status());
  ASSERT_EQ(err.rfind("data: ", 0), 0u);
  const json chunk = json::parse(err.substr(6));
  EXPECT_EQ(chunk["id"], "gen-2");
  EXPECT_EQ(chunk["choices"][0]["finish_reason"], "error");
  EXPECT_EQ(chunk["error"]["code"], 502);
}

TEST(InboundOpenRouter, ModelsListHasTotalCountLinksAndRequiredKeys) {
  const json j = json::parse(render_openrouter_models({"a/b", "c"}, 7));
  EXPECT_EQ(j["total_count"], 2);
  EXPECT_TRUE(j["links"]["next"].is_null());
  for (const char* k : {"id", "canonical_slug", "name", "created", "pricing", "context_length", "architecture",
                        "top_provider", "per_request_limits", "supported_parameters", "default_parameters",
                        "supported_voices", "links"}) {
    EXPECT_TRUE(j["data"][0].contains(k)) << k;
  }
  EXPECT_EQ(j["data"][0]["links"]["details"], "/api/v1/models/a/b/endpoints");
  EXPECT_EQ(json::parse(render_openai_model("x", 3))["object"], "model");
}

}  // namespace
}  // namespace ploke::adapters::inbound

namespace ploke::adapters::inbound {
using namespace ploke::adapters::openai;      // NOLINT: the packages under test
using namespace ploke::adapters::openrouter;  // NOLINT
namespace {

// The API's request checks (shared with the simulator): status 400, type
// invalid_request_error, `param` path, `code`, and the API's message without the path prefix.
TEST(OpenAiChecks, RejectsWhatTheApiRejectsWithParamAndCode) {
  struct Case {
    const char* extra;  // spliced into a valid request
    const char* param;
    const char* code;
    const char* message_start;
  };
  const Case cases[] = {
      {R"("temperature":2.5)", "temperature", "decimal_above_max_value", "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 2.5"},
      {R"("temperature":-0.1)", "temperature", "decimal_below_min_value", "Invalid 'temperature': decimal below minimum value."},
      {R"("top_p":1.5)", "top_p", "decimal_above_max_value", "Invalid 'top_p': decimal above maximum value. Expected a value <= 1"},
      {R"("n":0)", "n", "integer_below_min_value", "Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0"},
      {R"("max_tokens":0)", "max_tokens", "integer_below_min_value", "Invalid 'max_tokens'"},
      {R"("max_completion_tokens":0)", "max_completion_tokens", "integer_below_min_value", "Invalid 'max_completion_tokens'"},
  };
  for (const Case& c : cases) {
    const std::string body = std::string(R"({"model":"m","messages":[{"role":"user","content":"x"}],)") + c.extra + "}";
    auto p = check_openai_chat_request(body);
    ASSERT_TRUE(p.has_value()) << body;
    EXPECT_EQ(p->param, c.param);
    EXPECT_EQ(p->code, c.code);
    EXPECT_EQ(p->message.rfind(c.message_start, 0), 0u) << p->message;
    // The gateway's parser: same param, code and message in the 400.
    auto in = parse_openai_chat_request(body);
    ASSERT_FALSE(in.ok()) << body;
    const Reply rep = render_openai_error(in.status());
    const json e = json::parse(rep.body)["error"];
    EXPECT_EQ(rep.status, 400);
    EXPECT_EQ(e["type"], "invalid_request_error");
    EXPECT_EQ(e["param"], c.param) << rep.body;
    EXPECT_EQ(e["code"], c.code) << rep.body;
    EXPECT_EQ(e["message"], p->message);
  }
}

TEST(OpenAiChecks, RolesPartTypesContentTypesAndToolCallIds) {
  struct Case {
    const char* messages;
    const char* param;
    const char* code;
  };
  const Case cases[] = {
      {R"([{"role":"robot","content":"x"}])", "messages[0].role", "invalid_value"},
      {R"([{"role":"user","content":[{"type":"video","text":"x"}]}])", "messages[0].content[0].type", "invalid_value"},
      {R"([{"role":"user","content":5}])", "messages[0].content", "invalid_type"},
      {R"([{"role":"user","content":{"text":"x"}}])", "messages[0].content", "invalid_type"},
      {R"([{"role":"user","content":"x"},{"role":"tool","content":"x"}])", "messages[1].tool_call_id", "missing_required_parameter"},
  };
  for (const Case& c : cases) {
    const std::string body = std::string(R"({"model":"m","messages":)") + c.messages + "}";
    auto p = check_openai_chat_request(body);
    ASSERT_TRUE(p.has_value()) << body;
    EXPECT_EQ(p->param, c.param) << body;
    EXPECT_EQ(p->code, c.code) << body;
  }
  // Valid requests pass: every role, parts, assistant null content, in-range values.
  EXPECT_FALSE(check_openai_chat_request(
      R"({"model":"m","temperature":2,"top_p":0,"n":2,"max_tokens":1,"messages":[{"role":"developer","content":"d"},)"
      R"({"role":"user","content":[{"type":"text","text":"x"},{"type":"image_url","image_url":{"url":"u"}}]},)"
      R"({"role":"assistant","content":null,"tool_calls":[]},{"role":"tool","tool_call_id":"c","content":"r"}]})"));
}

TEST(InboundOpenRouter, ExtensionsBecomeTagsAndHints) {
  auto in = parse_openrouter_chat_request(R"({
    "model":"openai/gpt-4o","messages":[{"role":"user","content":"x"}],
    "models":["anthropic/claude-3.5-sonnet","openai/gpt-4o-mini"],
    "provider":{"order":["openai","azure"],"allow_fallbacks":false,"only":["openai"],"ignore":["deepinfra"],
                "require_parameters":true,"max_price":{"prompt":"1.5","completion":2},"sort":"price"},
    "route":"fallback","transforms":["middle-out"],
    "ploke":{"provider":"sim-b","policy":"cost","deadline_ms":1500,"priority":"high"}})");
  ASSERT_TRUE(in.ok()) << in.status().to_string();
  const auto& h = in->hints;
  EXPECT_EQ(h.fallback_models, (std::vector<std::string>{"anthropic/claude-3.5-sonnet", "openai/gpt-4o-mini"}));
  EXPECT_EQ(h.provider_order, (std::vector<std::string>{"openai", "azure"}));
  EXPECT_EQ(h.allow_fallbacks, false);
  EXPECT_EQ(h.provider_only, std::vector<std::string>{"openai"});
  EXPECT_EQ(h.provider_ignore, std::vector<std::string>{"deepinfra"});
  EXPECT_EQ(h.pin, "sim-b");
  EXPECT_EQ(h.policy, "cost");
  EXPECT_EQ(h.deadline_ms, 1500);
  EXPECT_EQ(h.priority, Priority::kHigh);
  EXPECT_EQ(h.sort, "price");
  // The tags round-trip through the OpenRouter adapter's own reader.
  auto prefs = OpenRouterPreferences::FromTags(in->request.meta.tags);
  ASSERT_TRUE(prefs.ok()) << prefs.status().to_string();
  EXPECT_EQ(prefs->order, h.provider_order);
  EXPECT_EQ(prefs->models, h.fallback_models);
  EXPECT_EQ(prefs->allow_fallbacks, false);
  EXPECT_EQ(prefs->require_parameters, true);
  EXPECT_EQ(prefs->max_price_prompt, 1.5);
  EXPECT_EQ(prefs->max_price_completion, 2.0);
  EXPECT_EQ(prefs->sort, "price");
  EXPECT_EQ(prefs->route, "fallback");
  EXPECT_EQ(prefs->transforms, std::vector<std::string>{"middle-out"});
}

TEST(InboundOpenRouter, ExtensionErrorsNameTheFieldPathAndTakeTheDomPath) {
  const std::string base = R"({"model":"m","messages":[{"role":"user","content":"x"}],)";
  auto bad = parse_openrouter_chat_request(base + R"("provider":{"allow_fallbacks":"maybe"}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidRequest);
  EXPECT_EQ(bad.status().message(), "provider.allow_fallbacks: expected a boolean");  // OpenRouter's text
  auto list = parse_openrouter_chat_request(base + R"("models":["a",1]})");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().message(), "models[1]: expected string");
  // A member present declines the fast path; null members do not.
  const std::string ext = base + R"("provider":{"order":["a"]}})";
  EXPECT_FALSE(parse_openrouter_chat_request(ext, ParsePath::kFastOnly).ok());
  auto dom = parse_openrouter_chat_request(ext);
  ASSERT_TRUE(dom.ok());
  EXPECT_EQ(dom->hints.provider_order, std::vector<std::string>{"a"});
  EXPECT_EQ(dom->request.meta.tags, std::vector<std::string>{"openrouter.provider.order=a"});
  const std::string nulls = base + R"("models":null,"provider":null,"route":null,"transforms":null})";
  auto fast = parse_openrouter_chat_request(nulls, ParsePath::kFastOnly);
  ASSERT_TRUE(fast.ok()) << fast.status().to_string();
  EXPECT_TRUE(fast->request.meta.tags.empty());
}

// The one `provider` parser: OpenRouter's 400 texts in both modes; kStrict (the simulated
// OpenRouter) rejects unknown keys and sort values, kPassThrough (the gateway) sends them on.
// A multi-turn OpenRouter conversation through the gateway: the assistant turn's
// reasoning_details (signed, encrypted) and the parts' cache_control become the normalized
// request, so an Anthropic upstream gets the signed thinking blocks and the breakpoints
// back; a malformed breakpoint names its path.
TEST(InboundOpenRouter, ReasoningDetailsAndCacheControlReachTheUpstream) {
  const json body = json::parse(R"({"model":"anthropic/claude-sonnet-4.5","reasoning":{"max_tokens":2048},
    "messages":[{"role":"user","content":[{"type":"text","text":"Long file.","cache_control":{"type":"ephemeral","ttl":"1h"}},
                                          {"type":"text","text":"Weather?"}]},
      {"role":"assistant","content":null,"reasoning":"Plan.","reasoning_details":[
         {"type":"reasoning.text","text":"Plan.","signature":"sig-1","format":"anthropic-claude-v1","index":0},
         {"type":"reasoning.encrypted","data":"ENC","index":1}],
       "tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"w","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"toolu_1","content":"18C"}],
    "tools":[{"type":"function","function":{"name":"w","parameters":{"type":"object"}}}]})");
  for (ParsePath path : {ParsePath::kAuto, ParsePath::kDomOnly}) {
    auto in = parse_openrouter_chat_request(body.dump(), path);
    ASSERT_TRUE(in.ok()) << in.status().to_string();
    const ChatRequest& r = in->request;
    EXPECT_EQ(r.messages[0].content[0].cache, CacheControl::kEphemeral1h);
    EXPECT_EQ(r.messages[0].content[1].cache, CacheControl::kNone);
    const std::vector<ReasoningBlock> want = {{ReasoningBlock::Kind::kThinking, "Plan.", "sig-1", ""},
                                              {ReasoningBlock::Kind::kRedacted, "", "", "ENC"}};
    EXPECT_EQ(r.messages[1].reasoning_blocks, want);
    auto up = anthropic::AnthropicAdapter().build_request(r, Endpoint{"anthropic", "http://x", Secret(), {}});
    ASSERT_TRUE(up.ok()) << up.status().to_string();
    const json sent = json::parse(up->body);
    EXPECT_EQ(sent["messages"][0]["content"][0]["cache_control"], json::parse(R"({"type":"ephemeral","ttl":"1h"})"));
    EXPECT_EQ(sent["messages"][1]["content"][0], json::parse(R"({"type":"thinking","thinking":"Plan.","signature":"sig-1"})"));
    EXPECT_EQ(sent["messages"][1]["content"][1], json::parse(R"({"type":"redacted_thinking","data":"ENC"})"));
    EXPECT_EQ(sent["thinking"], json::parse(R"({"type":"enabled","budget_tokens":2048})"));
  }
  json bad = body;
  bad["messages"][0]["content"][0]["cache_control"] = {{"type", "persistent"}};
  auto b = parse_openrouter_chat_request(bad.dump());
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("messages[0].content[0].cache_control.type"), std::string::npos) << b.status().message();
}

TEST(OpenRouterProvider, StrictRejectsWhatOpenRouterRejectsPassThroughForwardsUnknownKeys) {
  using adapters::openrouter::parse_openrouter_provider;
  using adapters::openrouter::ProviderChecks;
  auto run = [](const char* text, ProviderChecks c, OpenRouterPreferences* out = nullptr) {
    OpenRouterPreferences p;
    Status st = parse_openrouter_provider(nlohmann::json::parse(text), c, out ? *out : p);
    return st.ok() ? std::string("ok") : st.message();
  };
  constexpr auto kStrict = ProviderChecks::kStrict;
  constexpr auto kPass = ProviderChecks::kPassThrough;
  EXPECT_EQ(run(R"({"zeta":1,"order":"x","alpha":2})", kStrict), "Unrecognized key(s) in object: 'alpha', 'zeta'");
  EXPECT_EQ(run(R"({"order":"x"})", kStrict), "provider.order: expected an array of strings");
  EXPECT_EQ(run(R"({"only":["a",1]})", kPass), "provider.only: expected an array of strings");
  EXPECT_EQ(run(R"({"zdr":1})", kPass), "provider.zdr: expected a boolean");
  EXPECT_EQ(run(R"({"data_collection":"maybe"})", kPass), "provider.data_collection: expected 'allow' | 'deny'");
  EXPECT_EQ(run(R"({"max_price":{"tokens":1}})", kPass), "Unrecognized key(s) in object: 'tokens'");
  EXPECT_EQ(run(R"({"max_price":{"prompt":"cheap"}})", kStrict), "provider.max_price.prompt: expected a number");
  EXPECT_EQ(run(R"({"max_price":{"prompt":"1e999"}})", kStrict), "provider.max_price.prompt: expected a number");
  EXPECT_EQ(run(R"({"sort":"fastest"})", kStrict), "provider.sort: expected 'price' | 'throughput' | 'latency' | 'exacto'");
  EXPECT_EQ(run(R"({"sort":{"x":1}})", kStrict), "provider.sort.by: required");
  EXPECT_EQ(run("[]", kPass), "provider: expected an object");
  EXPECT_EQ(run(R"({"order":null,"max_price":null})", kStrict), "ok");

  OpenRouterPreferences strict;
  ASSERT_EQ(run(R"({"sort":{"by":"latency"},"max_price":{"prompt":"0.5","image":1},"data_collection":"deny",
                    "enforce_distillable_text":true})", kStrict, &strict), "ok");
  EXPECT_EQ(strict.sort, "latency");
  EXPECT_EQ(strict.max_price_prompt, 0.5);
  EXPECT_EQ(strict.max_price_image, 1.0);
  EXPECT_EQ(strict.data_collection, "deny");
  EXPECT_EQ(strict.extra, (std::vector<std::pair<std::string, std::string>>{{"enforce_distillable_text", "true"}}));

  OpenRouterPreferences pass;
  ASSERT_EQ(run(R"({"new_knob":{"a":1},"sort":{"by":"price"},"allow_fallbacks":false})", kPass, &pass), "ok");
  EXPECT_EQ(pass.allow_fallbacks, false);
  EXPECT_EQ(pass.extra, (std::vector<std::pair<std::string, std::string>>{{"new_knob", R"({"a":1})"},
                                                                          {"sort", R"({"by":"price"})"}}));
  OpenRouterPreferences newer;
  ASSERT_EQ(run(R"({"sort":"fastest-ever"})", kPass, &newer), "ok");  // a value newer than ploke knows
  EXPECT_EQ(newer.sort, "fastest-ever");
}

}  // namespace
}  // namespace ploke::adapters::inbound
