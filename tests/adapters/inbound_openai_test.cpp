// Inbound OpenAI codec: requests parse into the ChatRequest our own client-side adapter
// would have sent (round trip through OpenAiAdapter::build_request), bad input names the
// field path, responses/streams/errors render into what OpenAiAdapter parses back to the
// same values (so any client that parses OpenAI like the SDKs do sees a real provider).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ploke/adapters/inbound.h"
#include "ploke/adapters/openai/server.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openai/errors.h"
#include "ploke/adapters/openai/render.h"

namespace ploke::adapters::inbound {
using namespace ploke::adapters::openai;  // NOLINT: the package under test
namespace {

using nlohmann::json;

ChatRequest rich_request() {
  ChatRequest r;
  r.model = "gpt-4o-mini";
  r.messages.push_back(Message::System("be brief"));
  r.messages.push_back(Message::Developer("dev note"));
  Message u = Message::User("look");
  u.content.push_back(ContentPart::Image("https://example.com/a.png", "low"));
  r.messages.push_back(u);
  Message a;
  a.role = Role::kAssistant;
  a.tool_calls.push_back({"call_1", "get_weather", R"({"city":"Paris"})"});
  a.tool_calls.push_back({"call_2", "get_time", R"({"tz":"CET"})"});
  r.messages.push_back(a);
  r.messages.push_back(Message::ToolResult("call_1", "sunny"));
  r.messages.push_back(Message::ToolResult("call_2", "noon"));
  r.tools.push_back({"get_weather", "weather", R"({"type":"object","properties":{"city":{"type":"string"}}})", true});
  r.tools.push_back({"get_time", "", R"({"type":"object"})", std::nullopt});
  r.tool_choice.mode = ToolChoice::Mode::kFunction;
  r.tool_choice.function_name = "get_weather";
  r.parallel_tool_calls = false;
  r.response_format.kind = ResponseFormat::Kind::kJsonSchema;
  r.response_format.schema_name = "answer";
  r.response_format.schema_json = R"({"type":"object"})";
  r.response_format.strict = true;
  r.temperature = 0.25;
  r.top_p = 0.5;
  r.frequency_penalty = 0.1;
  r.presence_penalty = -0.2;
  r.max_output_tokens = 77;
  r.stop = {"END", "STOP"};
  r.seed = 42;
  r.user = "u-1";
  r.stream = true;
  return r;
}

TEST(InboundOpenAi, RoundTripsEverythingTheOpenAiAdapterSends) {
  const ChatRequest orig = rich_request();
  auto adapter = make_openai_adapter();
  auto http = adapter->build_request(orig, Endpoint{"openai", "http://x/v1", {}, {}});
  ASSERT_TRUE(http.ok()) << http.status().to_string();
  auto in = parse_openai_chat_request(http->body);
  ASSERT_TRUE(in.ok()) << in.status().to_string();
  ChatRequest got = in->request;
  EXPECT_TRUE(in->include_usage);  // the adapter always asks for usage when streaming
  EXPECT_TRUE(got.meta.required.tools);
  EXPECT_TRUE(got.meta.required.json_schema);
  EXPECT_TRUE(got.meta.required.vision);
  EXPECT_TRUE(got.meta.required.streaming);
  got.meta = orig.meta;
  // JSON text may be re-serialized; compare parsed.
  ASSERT_EQ(got.tools.size(), orig.tools.size());
  for (size_t i = 0; i < got.tools.size(); ++i) {
    EXPECT_EQ(json::parse(got.tools[i].parameters_json), json::parse(orig.tools[i].parameters_json));
    got.tools[i].parameters_json = orig.tools[i].parameters_json;
  }
  EXPECT_EQ(json::parse(got.response_format.schema_json), json::parse(orig.response_format.schema_json));
  got.response_format.schema_json = orig.response_format.schema_json;
  EXPECT_EQ(got, orig);
}

TEST(InboundOpenAi, ReadsSdkShapesAndLegacyFields) {
  auto in = parse_openai_chat_request(R"({
    "model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":"data:image/png;base64,AA"}]},
      {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":{"a":1}}}]},
      {"role":"tool","tool_call_id":"c1","content":"r"}],
    "max_tokens":12,"stop":"X","tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required","response_format":{"type":"json_object"},
    "logit_bias":{},"metadata":{"k":"v"},"store":false,"n":1,"stream":false})");
  ASSERT_TRUE(in.ok()) << in.status().to_string();
  const ChatRequest& r = in->request;
  EXPECT_EQ(r.max_output_tokens, 12u);
  EXPECT_EQ(r.stop, std::vector<std::string>{"X"});
  EXPECT_EQ(r.tool_choice.mode, ToolChoice::Mode::kRequired);
  EXPECT_EQ(r.response_format.kind, ResponseFormat::Kind::kJsonObject);
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0].content[1].image_url, "data:image/png;base64,AA");
  EXPECT_EQ(r.messages[1].tool_calls[0].arguments_json, R"({"a":1})");
  EXPECT_FALSE(in->include_usage);
  // max_completion_tokens wins over max_tokens.
  auto both = parse_openai_chat_request(R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":5,"max_completion_tokens":9})");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->request.max_output_tokens, 9u);
}

TEST(InboundOpenAi, WithoutAnExtensionDialectMembersAreUnknownFields) {
  const std::string b =
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"provider":{"order":["a"]},"models":["n"]})";
  auto fast = parse_openai_chat_request(b, ParsePath::kFastOnly);
  ASSERT_TRUE(fast.ok()) << fast.status().to_string();
  EXPECT_TRUE(fast->request.meta.tags.empty());
  EXPECT_TRUE(fast->hints.provider_order.empty());
  EXPECT_TRUE(fast->hints.fallback_models.empty());
}

// n (how many choices the gateway makes), logprobs and top_logprobs: both paths agree.
TEST(InboundOpenAi, ChoicesAndLogprobs) {
  auto in = parse_openai_chat_request(
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"n":3,"logprobs":true,"top_logprobs":2})");
  ASSERT_TRUE(in.ok()) << in.status().to_string();
  EXPECT_EQ(in->n, 3u);
  EXPECT_TRUE(in->request.logprobs);
  EXPECT_EQ(in->request.top_logprobs, 2u);
  EXPECT_TRUE(in->request.meta.required.logprobs);
  const std::string plain = R"({"model":"m","messages":[{"role":"user","content":"x"}],"logprobs":true})";
  auto fast = parse_openai_chat_request(plain, ParsePath::kFastOnly);
  auto dom = parse_openai_chat_request(plain, ParsePath::kDomOnly);
  ASSERT_TRUE(fast.ok() && dom.ok());
  EXPECT_TRUE(fast->request.logprobs);
  EXPECT_EQ(fast->request, dom->request);
  EXPECT_EQ(fast->n, 1u);
  auto none = parse_openai_chat_request(R"({"model":"m","messages":[{"role":"user","content":"x"}]})");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->request.logprobs);
  EXPECT_FALSE(none->request.meta.required.logprobs);
  EXPECT_EQ(none->n, 1u);
}

TEST(InboundOpenAi, BadInputNamesTheFieldPath) {
  struct Case {
    const char* body;
    const char* expect;
  };
  const Case cases[] = {
      {R"({"model":"m"})", "messages: Missing required parameter: 'messages'."},
      {R"({"messages":[{"role":"user","content":"x"}]})", "you must provide a model parameter"},
      {R"({"model":"m","messages":[]})", "messages: Invalid 'messages': empty array."},
      {R"({"model":"m","messages":[{"role":"user","content":"x"},{"role":"robot","content":"x"}]})", "messages[1].role: Invalid value: 'robot'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'."},
      {R"({"model":"m","messages":[{"role":"user","content":[{"type":"input_audio"}]}]})", "messages[0].content[0].type: unsupported part type 'input_audio'"},
      {R"({"model":"m","messages":[{"role":"user","content":[{"type":"video"}]}]})", "messages[0].content[0].type: Invalid value: 'video'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', 'audio', and 'file'."},
      {R"({"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]})", "messages[0].content[0].type: Missing required parameter: 'messages[0].content[0].type'."},
      {R"({"model":"m","messages":[{"role":"user","content":[7]}]})", "messages[0].content[0]: Invalid type for 'messages[0].content[0]': expected an object, but got an integer instead."},
      {R"({"model":"m","messages":[{"role":"tool","content":"x"}]})", "messages[0].tool_call_id: Missing required parameter: 'messages[0].tool_call_id'."},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"})", "temperature: Invalid type for 'temperature': expected a decimal, but got a string instead."},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":[1]}}]})", "tools[0].function.parameters: Invalid type for 'tools[0].function.parameters': expected an object, but got an array instead."},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]})", "tools[0].function: Missing required parameter: 'tools[0].function'."},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"function":{"name":"f"}}]})", "tools[0].type: Missing required parameter: 'tools[0].type'."},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"sometimes"})", "tool_choice: Invalid value: 'sometimes'. Supported values are: 'none', 'auto', and 'required'."},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"n":129})", "n: Invalid 'n'"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"logprobs":"yes"})", "logprobs"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"top_logprobs":21})", "top_logprobs: Invalid 'top_logprobs'"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":-1})", "max_tokens: Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got -1 instead."},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"ploke":{"priority":"urgent"}})", "ploke.priority"},
      {R"({"model":"m",)", "body: invalid JSON at byte"},
      {R"([1])", "body: expected a JSON object"},
  };
  for (const Case& c : cases) {
    auto in = parse_openai_chat_request(c.body);
    ASSERT_FALSE(in.ok()) << c.body;
    EXPECT_EQ(in.status().code(), StatusCode::kInvalidRequest);
    EXPECT_NE(in.status().message().find(c.expect), std::string::npos) << in.status().message() << " / " << c.expect;
    // The 400 carries the path as `param`.
    const Reply rep = render_openai_error(in.status());
    EXPECT_EQ(rep.status, 400);
    const json body = json::parse(rep.body);
    EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  }
  auto in = parse_openai_chat_request(R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"})");
  EXPECT_EQ(json::parse(render_openai_error(in.status()).body)["error"]["param"], "temperature");
}

// JSON text fields re-serialized (the DOM path sorts keys; the fast path keeps them).
ChatRequest normalized(ChatRequest r) {
  auto norm = [](std::string& t) {
    if (!t.empty()) t = json::parse(t).dump();
  };
  for (auto& t : r.tools) norm(t.parameters_json);
  norm(r.response_format.schema_json);
  return r;
}

// The fast path (no DOM) gives exactly what the DOM path gives for what clients send, and
// declines (→ DOM path) what it does not handle, so errors and extensions stay the DOM's.
TEST(InboundOpenAi, FastPathMatchesTheDomPath) {
  auto adapter = make_openai_adapter();
  auto shaped = adapter->build_request(rich_request(), Endpoint{"openai", "http://x/v1", {}, {}});
  ASSERT_TRUE(shaped.ok());
  const std::string bodies[] = {
      shaped->body,
      R"({"model":"gpt-4o","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Give me a short status update."}],"max_tokens":8})",
      R"( {"messages":[{"role":"user","content":[{"type":"text","text":"caf\u00e9 \"q\" \n"},{"type":"image_url","image_url":{"url":"data:x","detail":null}}],"name":"bob"}],
          "model":"m","stream":true,"stream_options":{"include_usage":true,"x":1},"temperature":1,"top_p":0.5e0,"seed":-3,"top_k":4,"n":1,
          "stop":"END","user":null,"unknown":{"deep":[1,2,{"a":null}]},"metadata":{"k":"v"},"store":false,
          "tool_choice":"auto","parallel_tool_calls":true,"max_completion_tokens":9,"max_tokens":5} )",
      R"({"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
          {"role":"tool","tool_call_id":"c1","content":"ok"},{"role":"assistant"},{"role":"developer","content":[]},{"role":"user","content":[{"type":"image_url","image_url":"https://x/y.png"}]}],
          "tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"properties":{"a":{"type":"integer"}},"type":"object"},"strict":true}},{"type":"function","function":{"name":"g"}}],
          "tool_choice":{"type":"function","function":{"name":"f"}},"response_format":{"type":"json_object"}})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"s","strict":false,"schema":{"type":"object"}}},"stop":["a","b"],"frequency_penalty":-0.5,"presence_penalty":2})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"models":null,"provider":null,"route":null,"transforms":null,"ploke":null,"tools":null,"tool_choice":null,"response_format":null,"stream_options":null,"temperature":null})",
  };
  for (const std::string& b : bodies) {
    auto fast = parse_openai_chat_request(b, ParsePath::kFastOnly);
    auto dom = parse_openai_chat_request(b, ParsePath::kDomOnly);
    ASSERT_TRUE(fast.ok()) << fast.status().to_string() << "\n" << b;
    ASSERT_TRUE(dom.ok()) << dom.status().to_string() << "\n" << b;
    EXPECT_TRUE(normalized(fast->request) == normalized(dom->request)) << b;
    EXPECT_EQ(fast->include_usage, dom->include_usage) << b;
    EXPECT_EQ(fast->hints.pin, dom->hints.pin);
  }
  // Objects carried as text keep the client's key order on the fast path (compacted).
  auto kept = parse_openai_chat_request(
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{ "type": "object", "properties": {"b":{},"a":{}} }}}]})",
      ParsePath::kFastOnly);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->request.tools[0].parameters_json, R"({"type":"object","properties":{"b":{},"a":{}}})");
  // Declined: errors, extensions, duplicate keys, integral floats, escaped keys.
  const char* declined[] = {
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"ploke":{"priority":"high"}})",
      R"({"model":"m","model":"n","messages":[{"role":"user","content":"x"}]})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":8.0})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"\u0074emperature":1})",
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"refusal","refusal":"no"}]}]})",
      R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":{"a":1}}}]}]})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}]} x)",
      R"({"model":"m","messages":[{"role":"user","content":null}]})",
      R"({"model":"m","messages":[{"content":null,"role":"tool","tool_call_id":"c"}]})",
  };
  for (const char* b : declined) {
    EXPECT_FALSE(parse_openai_chat_request(b, ParsePath::kFastOnly).ok()) << b;
    auto a = parse_openai_chat_request(b);
    auto d = parse_openai_chat_request(b, ParsePath::kDomOnly);
    ASSERT_EQ(a.ok(), d.ok()) << b;
    if (a.ok()) EXPECT_TRUE(a->request == d->request) << b;
    else EXPECT_EQ(a.status().message(), d.status().message()) << b;
  }
}

// The fast path's JsonCursor checks UTF-8 with ploke/json/utf8.h: every ill-formed class is
// declined (the DOM path then rejects it too), and well-formed multi-byte text is read as is.
TEST(InboundOpenAi, FastPathUtf8CheckAgreesWithTheDomPath) {
  const std::string head = R"({"model":"m","messages":[{"role":"user","content":")";
  const std::string tail = R"("}]})";
  for (const char* bad : {"\xff", "\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
                          "\xe2\x82"}) {
    const std::string b = head + bad + tail;
    EXPECT_FALSE(parse_openai_chat_request(b, ParsePath::kFastOnly).ok()) << b;
    EXPECT_FALSE(parse_openai_chat_request(b, ParsePath::kDomOnly).ok()) << b;
  }
  const std::string good = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \\u00e9\\ud83d\\ude00";
  auto fast = parse_openai_chat_request(head + good + tail, ParsePath::kFastOnly);
  auto dom = parse_openai_chat_request(head + good + tail, ParsePath::kDomOnly);
  ASSERT_TRUE(fast.ok()) << fast.status().to_string();
  ASSERT_TRUE(dom.ok()) << dom.status().to_string();
  EXPECT_EQ(fast->request.messages[0].text(), dom->request.messages[0].text());
  EXPECT_EQ(fast->request.messages[0].text(), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xc3\xa9\xf0\x9f\x98\x80");
}

ChatResponse sample_response() {
  ChatResponse r;
  r.id = "chatcmpl-abc";
  r.model = "gpt-4o-mini";
  r.content = "Hello \"world\"\n";
  r.tool_calls.push_back({"call_A", "get_weather", R"({"city":"Paris"})"});
  r.finish_reason = FinishReason::kToolCalls;
  Usage u;
  u.prompt_tokens = 12;
  u.completion_tokens = 3;
  u.total_tokens = 15;
  u.cached_prompt_tokens = 2;
  r.usage = u;
  return r;
}

TEST(InboundOpenAi, CompletionParsesBackThroughTheOpenAiAdapter) {
  const ChatResponse orig = sample_response();
  HttpResponse http;
  http.status = 200;
  http.headers.add("content-type", "application/json");
  http.body = render_openai_chat_completion(orig, 1735689600, "x");
  auto adapter = make_openai_adapter();
  auto got = adapter->parse_response(http, Endpoint{"openai", "http://x/v1", {}, {}});
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(got->id, orig.id);
  EXPECT_EQ(got->content, orig.content);
  EXPECT_EQ(got->tool_calls, orig.tool_calls);
  EXPECT_EQ(got->finish_reason, FinishReason::kToolCalls);
  ASSERT_TRUE(got->usage);
  EXPECT_EQ(got->usage->prompt_tokens, 12u);
  EXPECT_EQ(got->usage->cached_prompt_tokens, 2u);
  const json j = json::parse(http.body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["created"], 1735689600);
  // An id-less response gets one.
  ChatResponse bare;
  bare.content = "x";
  EXPECT_EQ(json::parse(render_openai_chat_completion(bare, 1, "gw7"))["id"], "chatcmpl-gw7");
  EXPECT_EQ(json::parse(render_openai_chat_completion(bare, 1, "gw7"))["choices"][0]["finish_reason"], "stop");
}

// JsonWriter escapes through ploke::json: content with quotes, controls and invalid UTF-8
// (an upstream's bytes, passed through) still renders a body JSON parsers accept.
TEST(InboundOpenAi, RenderedResponseIsValidJsonForAnyContentBytes) {
  ChatResponse r;
  r.content = "bad\xff\xed\xa0\x80 \"q\"\n\x01 \\ caf\xc3\xa9";
  r.model = "m\xc0";
  const std::string body = render_openai_chat_completion(r, 1, "gw\xe2\x82");
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << body;
  EXPECT_EQ(j["choices"][0]["message"]["content"],
            "bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \"q\"\n\x01 \\ caf\xc3\xa9");
  EXPECT_EQ(j["model"], "m\xef\xbf\xbd");
}

std::vector<StreamEvent> sample_events() {
  std::vector<StreamEvent> ev;
  StreamEvent start;
  start.kind = StreamEvent::Kind::kStart;
  ev.push_back(start);
  ev.push_back(StreamEvent::TextDelta("Hel"));
  ev.push_back(StreamEvent::TextDelta("lo \u00e9\"\n"));
  for (uint32_t i = 0; i < 2; ++i) {
    StreamEvent t;
    t.kind = StreamEvent::Kind::kToolCallDelta;
    t.tool_index = i;
    t.tool_call_id = "call_" + std::to_string(i);
    t.tool_name = i == 0 ? "get_weather" : "get_time";
    t.arguments_fragment = "{\"a\":";
    ev.push_back(t);
    StreamEvent t2;
    t2.kind = StreamEvent::Kind::kToolCallDelta;
    t2.tool_index = i;
    t2.arguments_fragment = std::to_string(i) + "}";
    ev.push_back(t2);
  }
  StreamEvent fin;
  fin.kind = StreamEvent::Kind::kFinish;
  fin.finish_reason = FinishReason::kToolCalls;
  ev.push_back(fin);
  StreamEvent usage;
  usage.kind = StreamEvent::Kind::kUsage;
  usage.usage.prompt_tokens = 9;
  usage.usage.completion_tokens = 4;
  usage.usage.total_tokens = 13;
  ev.push_back(usage);
  return ev;
}

TEST(InboundOpenAi, SseStreamDecodesBackToTheSameResponse) {
  StreamAccumulator want;
  for (const auto& e : sample_events()) ASSERT_TRUE(want.add(e).ok());
  OpenAiSseWriter w("chatcmpl-s1", "gpt-4o", 1735689600, /*include_usage=*/true);
  std::string wire;
  for (const auto& e : sample_events()) wire += w.event(e);
  wire += w.finish(want.response());
  EXPECT_EQ(wire.substr(wire.size() - 14), "data: [DONE]\n\n");
  // Every chunk carries "usage":null except the final usage chunk (choices: []).
  EXPECT_NE(wire.find(R"("choices":[],"usage":{)"), std::string::npos) << wire;
  EXPECT_NE(wire.find(R"("prompt_tokens":9)"), std::string::npos) << wire;
  auto adapter = make_openai_adapter();
  auto dec = adapter->new_stream_decoder(Endpoint{"openai", "http://x/v1", {}, {}});
  std::vector<StreamEvent> out;
  // Feed in odd-sized pieces.
  for (size_t i = 0; i < wire.size(); i += 7) ASSERT_TRUE(dec->feed(std::string_view(wire).substr(i, 7), out).ok());
  ASSERT_TRUE(dec->finish(out).ok());
  EXPECT_TRUE(dec->terminated());
  StreamAccumulator got;
  for (const auto& e : out) ASSERT_TRUE(got.add(e).ok());
  EXPECT_EQ(got.response().content, want.response().content);
  EXPECT_EQ(got.response().tool_calls, want.response().tool_calls);
  EXPECT_EQ(got.response().finish_reason, FinishReason::kToolCalls);
  ASSERT_TRUE(got.response().usage);
  EXPECT_EQ(got.response().usage->total_tokens, 13u);
  // The first tool fragment carries id/type/name, later ones only arguments.
  EXPECT_NE(wire.find(R"({"index":1,"id":"call_1","type":"function","function":{"name":"get_time","arguments":"{\"a\":"}})"), std::string::npos);
  EXPECT_NE(wire.find(R"({"index":1,"function":{"arguments":"1}"}})"), std::string::npos);
}

TEST(InboundOpenAi, EmptyStreamStillSendsRoleFinishAndDone) {
  OpenAiSseWriter w("chatcmpl-e", "m", 1, false);
  ChatResponse r;
  r.finish_reason = FinishReason::kLength;
  const std::string wire = w.finish(r);
  EXPECT_NE(wire.find(R"("delta":{"role":"assistant","content":""})"), std::string::npos);
  EXPECT_NE(wire.find(R"("finish_reason":"length")"), std::string::npos);
  EXPECT_EQ(wire.find("usage"), std::string::npos);  // not asked for: the key is absent
  EXPECT_EQ(wire.substr(wire.size() - 14), "data: [DONE]\n\n");
}

TEST(InboundOpenAi, MidStreamErrorIsAnErrorChunkTheDecoderRaises) {
  OpenAiSseWriter w("chatcmpl-x", "m", 1, false);
  std::string wire = w.event(StreamEvent::TextDelta("partial"));
  wire += w.error(OverloadedError("upstream overloaded").with_provider("sim"));
  auto dec = make_openai_adapter()->new_stream_decoder(Endpoint{"openai", "http://x/v1", {}, {}});
  std::vector<StreamEvent> out;
  Status st = dec->feed(wire, out);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kOverloaded) << st.to_string();
}

TEST(InboundOpenAi, ErrorsMapBackToTheSameClass) {
  // What the OpenAI adapter (which maps like the SDK: by HTTP status, then type/code) reads
  // from each reply.
  struct Case {
    Status st;
    int http;
    StatusCode back;
  };
  const Case cases[] = {
      {RateLimitedError("slow down").with_retry_after(std::chrono::milliseconds(1500)), 429, StatusCode::kRateLimited},
      {OverloadedError("busy"), 503, StatusCode::kOverloaded},
      {ServerError("boom").with_http_status(500), 500, StatusCode::kServerError},
      {ServerError("bad gw"), 502, StatusCode::kServerError},
      {TimeoutError(TimeoutPhase::kFirstByte, "slow"), 504, StatusCode::kServerError},
      {ConnectionResetError("rst"), 502, StatusCode::kServerError},
      {AuthError("bad key"), 401, StatusCode::kAuth},
      {PermissionError("no"), 403, StatusCode::kPermission},
      {NotFoundError("no model"), 404, StatusCode::kNotFound},
      {InvalidRequestError("messages: missing"), 400, StatusCode::kInvalidRequest},
      {ContextLengthExceededError("too long"), 400, StatusCode::kContextLengthExceeded},
      {InsufficientCreditsError("pay"), 429, StatusCode::kInsufficientCredits},
      {InternalError("bug"), 500, StatusCode::kServerError},
  };
  auto adapter = make_openai_adapter();
  for (const Case& c : cases) {
    const Reply rep = render_openai_error(c.st);
    EXPECT_EQ(rep.status, c.http) << c.st.to_string();
    HttpResponse http;
    http.status = rep.status;
    http.headers.add("content-type", "application/json");
    for (const auto& [k, v] : rep.headers) http.headers.add(k, v);
    http.body = rep.body;
    const Status back = adapter->map_error(http, Endpoint{"openai", "http://x/v1", {}, {}});
    EXPECT_EQ(back.code(), c.back) << c.st.to_string() << " -> " << back.to_string();
    if (c.st.code() == StatusCode::kRateLimited) {
      EXPECT_EQ(http.headers.get("retry-after"), "2");
      EXPECT_EQ(http.headers.get("retry-after-ms"), "1500");
      EXPECT_EQ(back.retry_after(), std::chrono::milliseconds(1500));
    }
    if (c.st.code() == StatusCode::kInsufficientCredits) {
      EXPECT_EQ(http.headers.get("x-should-retry"), "false");
    }
    EXPECT_EQ(json::parse(rep.body)["error"]["message"].get<std::string>().find("sk-"), std::string::npos);
  }
}

TEST(InboundOpenAi, ModelsList) {
  const json j = json::parse(render_openai_models({"a", "b"}, 7));
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][1]["id"], "b");
  EXPECT_EQ(j["data"][1]["object"], "model");
}

}  // namespace
}  // namespace ploke::adapters::inbound

namespace ploke::adapters::inbound {
namespace {

TEST(InboundOpenAiIds, CompletionIdIsTheProtocolPrefixAndTheLocalId) {
  EXPECT_EQ(adapters::openai::completion_id("abc123"), "chatcmpl-abc123");
  ChatResponse r;
  r.model = "m";
  const json body = json::parse(adapters::openai::render_openai_chat_completion(r, 1, "abc123"));
  EXPECT_EQ(body["id"], adapters::openai::completion_id("abc123"));
}

TEST(InboundOpenAiIds, MalformedChunkEventIsOneSseEventWhoseJsonDoesNotParse) {
  const std::string_view ev = adapters::openai::kMalformedChunkEvent;
  ASSERT_EQ(ev.rfind("data: ", 0), 0u);
  ASSERT_GE(ev.size(), 2u);
  EXPECT_EQ(ev.substr(ev.size() - 2), "\n\n");
  EXPECT_EQ(ev.find("\n\n"), ev.size() - 2);  // exactly one event
  const std::string data(ev.substr(6, ev.size() - 8));
  EXPECT_FALSE(json::accept(data));
  EXPECT_NE(data.find("chat.completion.chunk"), std::string::npos);
}

}  // namespace
}  // namespace ploke::adapters::inbound
