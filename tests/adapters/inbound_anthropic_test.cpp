// Inbound Anthropic codec: requests the AnthropicAdapter would send parse back into the
// same ChatRequest; bad input names the field path; messages, SSE event streams and error
// replies decode back through AnthropicAdapter to the same values and classes.
#include <gtest/gtest.h>

#include <regex>

#include <nlohmann/json.hpp>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/anthropic/server.h"

namespace ploke::adapters::inbound {
using namespace ploke::adapters::anthropic;  // NOLINT: the package under test
namespace {

using nlohmann::json;

const Endpoint kEp{"anthropic", "http://x", {}, {}};

TEST(InboundAnthropic, RoundTripsWhatTheAnthropicAdapterSends) {
  ChatRequest orig;
  orig.model = "claude-sonnet-4-5";
  orig.messages.push_back(Message::System("be brief"));
  orig.messages.push_back(Message::User("weather in Paris and the time?"));
  Message a = Message::Assistant("Let me check.");
  a.tool_calls.push_back({"toolu_1", "get_weather", R"({"city":"Paris"})"});
  a.tool_calls.push_back({"toolu_2", "get_time", R"({"tz":"CET"})"});
  orig.messages.push_back(a);
  orig.messages.push_back(Message::ToolResult("toolu_1", "sunny"));
  orig.messages.push_back(Message::ToolResult("toolu_2", "noon"));
  orig.messages.push_back(Message::User("thanks"));
  orig.tools.push_back({"get_weather", "weather", R"({"type":"object","properties":{"city":{"type":"string"}}})", std::nullopt});
  orig.tools.push_back({"get_time", "", R"({"type":"object"})", std::nullopt});
  orig.tool_choice.mode = ToolChoice::Mode::kFunction;
  orig.tool_choice.function_name = "get_time";
  orig.parallel_tool_calls = false;
  orig.temperature = 0.5;
  orig.top_p = 0.75;
  orig.top_k = 5;
  orig.max_output_tokens = 300;
  orig.stop = {"END"};
  orig.user = "u-9";
  orig.stream = true;

  auto http = make_anthropic_adapter()->build_request(orig, kEp);
  ASSERT_TRUE(http.ok()) << http.status().to_string();
  auto in = parse_anthropic_messages_request(http->body);
  ASSERT_TRUE(in.ok()) << in.status().to_string();
  ChatRequest got = in->request;
  EXPECT_TRUE(got.meta.required.tools);
  got.meta = orig.meta;
  ASSERT_EQ(got.tools.size(), 2u);
  for (size_t i = 0; i < got.tools.size(); ++i) {
    EXPECT_EQ(json::parse(got.tools[i].parameters_json), json::parse(orig.tools[i].parameters_json));
    got.tools[i].parameters_json = orig.tools[i].parameters_json;
  }
  ASSERT_EQ(got.messages.size(), orig.messages.size());
  for (size_t i = 0; i < got.messages.size(); ++i) {
    for (size_t k = 0; k < got.messages[i].tool_calls.size(); ++k) {
      EXPECT_EQ(json::parse(got.messages[i].tool_calls[k].arguments_json), json::parse(orig.messages[i].tool_calls[k].arguments_json));
      got.messages[i].tool_calls[k].arguments_json = orig.messages[i].tool_calls[k].arguments_json;
    }
  }
  EXPECT_EQ(got, orig);
}

TEST(InboundAnthropic, ReadsBlocksImagesSystemArraysAndToolChoices) {
  auto in = parse_anthropic_messages_request(R"({
    "model":"claude-haiku-4-5","max_tokens":64,
    "system":[{"type":"text","text":"A"},{"type":"text","text":"B","cache_control":{"type":"ephemeral"}}],
    "messages":[{"role":"user","content":[{"type":"text","text":"see"},
       {"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]},
      {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"},{"type":"tool_use","id":"t1","name":"f","input":{}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"r1"}],"is_error":true}]}],
    "tool_choice":{"type":"any"},"tools":[{"name":"f","input_schema":{"type":"object"}}],
    "thinking":{"type":"disabled"},"service_tier":"auto"})");
  ASSERT_TRUE(in.ok()) << in.status().to_string();
  const ChatRequest& r = in->request;
  ASSERT_EQ(r.messages.size(), 5u);
  EXPECT_EQ(r.messages[0].text(), "A");
  EXPECT_EQ(r.messages[1].text(), "B");
  EXPECT_EQ(r.messages[2].content[1].image_url, "data:image/png;base64,AAAA");
  EXPECT_EQ(r.messages[3].tool_calls.size(), 1u);
  EXPECT_TRUE(r.messages[3].content.empty());
  EXPECT_EQ(r.messages[4].role, Role::kTool);
  EXPECT_EQ(r.messages[4].text(), "Error: r1");
  EXPECT_EQ(r.tool_choice.mode, ToolChoice::Mode::kRequired);
  EXPECT_EQ(r.max_output_tokens, 64u);
}

// A plain text conversation takes the single-pass path and reads what the DOM path reads;
// anything else is declined there and left to the DOM path.
TEST(InboundAnthropic, FastPathReadsWhatTheDomPathReads) {
  const std::string taken[] = {
      R"({"model":"claude-haiku-4-5","max_tokens":8,"messages":[{"role":"user","content":"hi"}]})",
      R"({"messages":[{"content":"caf\u00e9 \"q\"\n","role":"user"},{"role":"assistant","content":"ok"},{"role":"user","content":"more"}],
          "system":"You are terse.","stream":true,"max_tokens":4294967295,"model":"m"})",
      R"({"model":"m","max_tokens":1,"system":null,"stream":null,"messages":[{"role":"user","content":"x"}]})",
      R"({"model":"m","max_tokens":1,"system":"","stream":false,"messages":[{"role":"user","content":"x"}]})",
  };
  for (const std::string& b : taken) {
    auto fast = parse_anthropic_messages_request(b, ParsePath::kFastOnly);
    auto dom = parse_anthropic_messages_request(b, ParsePath::kDomOnly);
    ASSERT_TRUE(fast.ok()) << fast.status().to_string() << "\n" << b;
    ASSERT_TRUE(dom.ok()) << dom.status().to_string() << "\n" << b;
    EXPECT_TRUE(fast->request == dom->request) << b;
    EXPECT_EQ(fast->hints.pin, dom->hints.pin);
  }
  const std::string declined[] = {
      R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"metadata":{"user_id":"u"}})",
      R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"ploke":{"priority":"high"}})",
      R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[]})",
      R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x","cache_control":{"type":"ephemeral"}}]})",
      R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]})",
      R"({"model":"","max_tokens":1,"messages":[{"role":"user","content":"x"}]})",
      R"({"model":"m","max_tokens":4294967296,"messages":[{"role":"user","content":"x"}]})",
      R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]})",
      R"({"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":"x"}]})",
      R"({"model":"m","model":"n","max_tokens":1,"messages":[{"role":"user","content":"x"}]})",
      R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}]} x)",
  };
  for (const std::string& b : declined) {
    EXPECT_FALSE(parse_anthropic_messages_request(b, ParsePath::kFastOnly).ok()) << b;
    auto a = parse_anthropic_messages_request(b);
    auto d = parse_anthropic_messages_request(b, ParsePath::kDomOnly);
    ASSERT_EQ(a.ok(), d.ok()) << b;
    if (a.ok()) EXPECT_TRUE(a->request == d->request) << b;
    else EXPECT_EQ(a.status().message(), d.status().message()) << b;
  }
}

TEST(InboundAnthropic, OutputConfigBecomesJsonSchemaResponseFormat) {
  auto in = parse_anthropic_messages_request(R"({"model":"m","max_tokens":9,
    "messages":[{"role":"user","content":"x"}],
    "output_config":{"format":{"type":"json_schema","schema":{"type":"object","properties":{"a":{"type":"string"}}}}}})");
  ASSERT_TRUE(in.ok()) << in.status().to_string();
  EXPECT_EQ(in->request.response_format.kind, ResponseFormat::Kind::kJsonSchema);
  EXPECT_EQ(json::parse(in->request.response_format.schema_json)["properties"]["a"]["type"], "string");
  auto bad = parse_anthropic_messages_request(R"({"model":"m","max_tokens":9,
    "messages":[{"role":"user","content":"x"}],"output_config":{"format":{"type":"json_schema"}}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "output_config.format.schema: Field required");
}

TEST(InboundAnthropic, BadInputNamesTheFieldPath) {
  struct Case {
    const char* body;
    const char* expect;
  };
  const Case cases[] = {
      {R"({"model":"m","messages":[{"role":"user","content":"x"}]})", "max_tokens: Field required"},
      {R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]})", "max_tokens: Input should be greater than or equal to 1"},
      {R"({"model":"m","max_tokens":5})", "messages: Field required"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"document"}]}]})", "messages.0.content.0.source: Field required"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"video"}]}]})", "messages.0.content.0: Input tag 'video' found using 'type' does not match"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"robot","content":"x"}]})", "messages.0.role: Input should be 'user' or 'assistant'"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":7}]})", "messages.0.content: Input should be a valid list"},
      {R"({"model":"m","max_tokens":5,"temperature":1.5,"messages":[{"role":"user","content":"x"}]})", "temperature: Input should be less than or equal to 1"},
      {R"({"model":"m","max_tokens":5,"temperature":-0.1,"messages":[{"role":"user","content":"x"}]})", "temperature: Input should be greater than or equal to 0"},
      {R"({"model":"m","max_tokens":5,"top_p":2,"messages":[{"role":"user","content":"x"}]})", "top_p: Input should be less than or equal to 1"},
      {R"({"model":"m","max_tokens":"9","messages":[{"role":"user","content":"x"}]})", "max_tokens: Input should be a valid integer"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"b","input":{}}]}]})", "messages.0.content.0: tool_use blocks are only allowed in assistant messages"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f"}]})", "tools.0.custom.input_schema: Field required"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]})", "tools[0].type: server tool"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"some"}})", "tool_choice: Input tag 'some' found using 'type' does not match any of the expected tags"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"stream":"yes"})", "stream: Input should be a valid boolean"},
      {R"({"model":)", "body: invalid JSON at byte"},
  };
  for (const Case& c : cases) {
    auto in = parse_anthropic_messages_request(c.body);
    ASSERT_FALSE(in.ok()) << c.body;
    EXPECT_EQ(in.status().code(), StatusCode::kInvalidRequest);
    EXPECT_NE(in.status().message().find(c.expect), std::string::npos) << in.status().message() << " / " << c.expect;
    const Reply rep = render_anthropic_error(in.status(), "req_1");
    EXPECT_EQ(rep.status, 400);
    const json body = json::parse(rep.body);
    EXPECT_EQ(body["type"], "error");
    EXPECT_EQ(body["error"]["type"], "invalid_request_error");
    EXPECT_EQ(body["request_id"], "req_1");
  }
}

TEST(InboundAnthropic, MessageParsesBackThroughTheAnthropicAdapter) {
  ChatResponse orig;
  orig.id = "msg_01";
  orig.model = "claude-sonnet-4-5";
  orig.content = "Let me check.";
  orig.tool_calls.push_back({"toolu_1", "get_weather", R"({"city":"Paris"})"});
  orig.finish_reason = FinishReason::kToolCalls;
  Usage u;
  u.prompt_tokens = 120;
  u.cached_prompt_tokens = 100;
  u.completion_tokens = 7;
  u.total_tokens = 127;
  orig.usage = u;
  HttpResponse http;
  http.status = 200;
  http.headers.add("content-type", "application/json");
  http.body = render_anthropic_message(orig, "x");
  auto got = make_anthropic_adapter()->parse_response(http, kEp);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(got->id, "msg_01");
  EXPECT_EQ(got->content, orig.content);
  ASSERT_EQ(got->tool_calls.size(), 1u);
  EXPECT_EQ(json::parse(got->tool_calls[0].arguments_json), json::parse(orig.tool_calls[0].arguments_json));
  EXPECT_EQ(got->finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(got->usage->prompt_tokens, 120u);  // input 20 + cache read 100
  EXPECT_EQ(got->usage->cached_prompt_tokens, 100u);
  const json j = json::parse(http.body);
  EXPECT_EQ(j["stop_reason"], "tool_use");
  EXPECT_EQ(j["usage"]["input_tokens"], 20);
  // An OpenAI-style upstream id becomes an Anthropic-native msg_ id (24 base62 characters),
  // the same for the same upstream id and different for another; tool ids become toolu_.
  ChatResponse other;
  other.id = "chatcmpl-9";
  other.content = "x";
  other.finish_reason = FinishReason::kLength;
  other.tool_calls.push_back(ToolCall{"call_abc", "f", "{}"});
  const json k = json::parse(render_anthropic_message(other, "y"));
  EXPECT_TRUE(std::regex_match(k["id"].get<std::string>(), std::regex("msg_[0-9A-Za-z]{24}"))) << k["id"];
  EXPECT_EQ(k["id"], anthropic_message_id("chatcmpl-9"));
  EXPECT_NE(anthropic_message_id("chatcmpl-9"), anthropic_message_id("chatcmpl-8"));
  EXPECT_TRUE(std::regex_match(k["content"][1]["id"].get<std::string>(), std::regex("toolu_[0-9A-Za-z]{24}")));
  EXPECT_EQ(k["content"][1]["caller"], json::parse(R"({"type":"direct"})"));
  EXPECT_TRUE(k["content"][0].contains("citations"));
  EXPECT_EQ(k["stop_reason"], "max_tokens");
}

TEST(InboundAnthropic, SseEventsDecodeBackToTheSameResponse) {
  std::vector<StreamEvent> ev;
  ev.push_back(StreamEvent::TextDelta("Let me "));
  ev.push_back(StreamEvent::TextDelta("check."));
  for (uint32_t i = 0; i < 2; ++i) {
    StreamEvent t;
    t.kind = StreamEvent::Kind::kToolCallDelta;
    t.tool_index = i;
    t.tool_call_id = "toolu_" + std::to_string(i);
    t.tool_name = "f" + std::to_string(i);
    ev.push_back(t);
    StreamEvent t2;
    t2.kind = StreamEvent::Kind::kToolCallDelta;
    t2.tool_index = i;
    t2.arguments_fragment = "{\"k\": " + std::to_string(i);
    ev.push_back(t2);
    StreamEvent t3 = t2;
    t3.arguments_fragment = "}";
    ev.push_back(t3);
  }
  StreamEvent fin;
  fin.kind = StreamEvent::Kind::kFinish;
  fin.finish_reason = FinishReason::kToolCalls;
  ev.push_back(fin);
  StreamAccumulator want;
  for (const auto& e : ev) ASSERT_TRUE(want.add(e).ok());
  ChatResponse final_resp = want.response();
  Usage u;
  u.prompt_tokens = 50;
  u.completion_tokens = 11;
  u.total_tokens = 61;
  final_resp.usage = u;

  AnthropicSseWriter w("msg_s", "claude-sonnet-4-5", 40);
  std::string wire;
  for (const auto& e : ev) wire += w.event(e);
  wire += w.finish(final_resp);
  auto dec = make_anthropic_adapter()->new_stream_decoder(kEp);
  std::vector<StreamEvent> out;
  for (size_t i = 0; i < wire.size(); i += 5) ASSERT_TRUE(dec->feed(std::string_view(wire).substr(i, 5), out).ok()) << wire;
  ASSERT_TRUE(dec->finish(out).ok());
  EXPECT_TRUE(dec->terminated());
  StreamAccumulator got;
  for (const auto& e : out) ASSERT_TRUE(got.add(e).ok());
  EXPECT_EQ(got.response().content, "Let me check.");
  ASSERT_EQ(got.response().tool_calls.size(), 2u);
  EXPECT_EQ(got.response().tool_calls[1].id, "toolu_1");
  EXPECT_EQ(got.response().tool_calls[1].arguments_json, "{\"k\": 1}");
  EXPECT_EQ(got.response().finish_reason, FinishReason::kToolCalls);
  ASSERT_TRUE(got.response().usage);
  EXPECT_EQ(got.response().usage->completion_tokens, 11u);
  // Block indexes: text 0, tools 1 and 2; message_start first, message_stop last.
  EXPECT_EQ(wire.rfind("event: message_start", 0), 0u);
  EXPECT_NE(wire.find(R"({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_1","name":"f1","input":{},"caller":{"type":"direct"}}})"),
            std::string::npos)
      << wire;
  const std::string stop = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  EXPECT_EQ(wire.substr(wire.size() - stop.size()), stop);
}

TEST(InboundAnthropic, MidStreamErrorEventDecodesAsItsClass) {
  AnthropicSseWriter w("msg_e", "m", 1);
  std::string wire = w.event(StreamEvent::TextDelta("partial"));
  wire += w.error(OverloadedError("Overloaded"));
  auto dec = make_anthropic_adapter()->new_stream_decoder(kEp);
  std::vector<StreamEvent> out;
  const Status st = dec->feed(wire, out);
  EXPECT_EQ(st.code(), StatusCode::kOverloaded) << st.to_string();
}

TEST(InboundAnthropic, ErrorsMapBackToTheSameClass) {
  struct Case {
    Status st;
    int http;
    const char* type;
    StatusCode back;
  };
  const Case cases[] = {
      {RateLimitedError("slow").with_retry_after(std::chrono::milliseconds(250)), 429, "rate_limit_error", StatusCode::kRateLimited},
      {OverloadedError("busy"), 529, "overloaded_error", StatusCode::kOverloaded},
      {ServerError("boom"), 500, "api_error", StatusCode::kServerError},
      {TimeoutError(TimeoutPhase::kTotal, "slow"), 504, "timeout_error", StatusCode::kServerError},
      {AuthError("key"), 401, "authentication_error", StatusCode::kAuth},
      {PermissionError("no"), 403, "permission_error", StatusCode::kPermission},
      {NotFoundError("model: x"), 404, "not_found_error", StatusCode::kNotFound},
      {InvalidRequestError("max_tokens: Field required"), 400, "invalid_request_error", StatusCode::kInvalidRequest},
      {InsufficientCreditsError("pay"), 402, "billing_error", StatusCode::kInsufficientCredits},
  };
  auto adapter = make_anthropic_adapter();
  for (const Case& c : cases) {
    const Reply rep = render_anthropic_error(c.st);
    EXPECT_EQ(rep.status, c.http) << c.st.to_string();
    EXPECT_EQ(json::parse(rep.body)["error"]["type"], c.type);
    HttpResponse http;
    http.status = rep.status;
    http.headers.add("content-type", "application/json");
    for (const auto& [k, v] : rep.headers) http.headers.add(k, v);
    http.body = rep.body;
    const Status back = adapter->map_error(http, kEp);
    EXPECT_EQ(back.code(), c.back) << c.st.to_string() << " -> " << back.to_string();
  }
}

TEST(InboundAnthropic, ModelsList) {
  const json j = json::parse(render_anthropic_models({"claude-a", "claude-b"}));
  EXPECT_EQ(j["data"][0]["type"], "model");
  EXPECT_EQ(j["first_id"], "claude-a");
  EXPECT_EQ(j["last_id"], "claude-b");
  EXPECT_EQ(j["has_more"], false);
}

}  // namespace
}  // namespace ploke::adapters::inbound

namespace ploke::adapters::inbound {
namespace {

TEST(InboundAnthropicIds, LocalMessageIdIsNativeAndKeptByTheWriterMapping) {
  EXPECT_EQ(adapters::anthropic::local_message_id("abc123"), "msg_abc123");
  EXPECT_EQ(adapters::anthropic::anthropic_message_id(adapters::anthropic::local_message_id("abc123")), "msg_abc123");
}

}  // namespace
}  // namespace ploke::adapters::inbound
