// The Responses API's gateway side: parse_openai_responses_request() (a create body as the
// normalized request: instructions, input items, tools, tool_choice, text.format; what it
// refuses) and the answer as a Response, whole (render_openai_response) and streamed
// (ResponsesSseWriter: item order, sequence numbers, the final Response, the error event).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

#include "ploke/adapters/openai/responses.h"
#include "ploke/adapters/openai/responses_adapter.h"

namespace ploke::adapters::openai {
namespace {

using nlohmann::json;

TEST(OpenAiResponsesInbound, InputItemsBecomeTheConversation) {
  auto r = parse_openai_responses_request(R"({"model":"gpt-4o","instructions":"Be brief.","stream":true,
    "max_output_tokens":100,"temperature":0.5,"user":"u1",
    "input":[{"role":"user","content":[{"type":"input_text","text":"Weather?"}]},
             {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Let me look."}]},
             {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
             {"type":"function_call","call_id":"call_2","name":"get_weather","arguments":"{\"city\":\"Rome\"}"},
             {"type":"function_call_output","call_id":"call_1","output":"21"},
             {"type":"function_call_output","call_id":"call_2","output":"25"}],
    "tools":[{"type":"function","name":"get_weather","description":"d","parameters":{"type":"object"},"strict":true}],
    "tool_choice":{"type":"function","name":"get_weather"},"parallel_tool_calls":false,
    "text":{"format":{"type":"json_schema","name":"w","schema":{"type":"object"},"strict":true}}})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const ChatRequest& q = r->inbound.request;
  EXPECT_EQ(q.model, "gpt-4o");
  EXPECT_TRUE(q.stream);
  EXPECT_EQ(q.max_output_tokens, 100u);
  EXPECT_EQ(q.temperature, 0.5);
  EXPECT_EQ(q.user, "u1");
  ASSERT_EQ(q.messages.size(), 5u);
  EXPECT_EQ(q.messages[0].role, Role::kSystem);
  EXPECT_EQ(q.messages[0].text(), "Be brief.");
  EXPECT_EQ(q.messages[1].text(), "Weather?");
  EXPECT_EQ(q.messages[2].role, Role::kAssistant);
  EXPECT_EQ(q.messages[2].text(), "Let me look.");
  ASSERT_EQ(q.messages[2].tool_calls.size(), 2u);  // both calls join the assistant message
  EXPECT_EQ(q.messages[2].tool_calls[1].arguments_json, R"({"city":"Rome"})");
  EXPECT_EQ(q.messages[3].role, Role::kTool);
  EXPECT_EQ(q.messages[3].tool_call_id, "call_1");
  EXPECT_EQ(q.messages[4].text(), "25");
  ASSERT_EQ(q.tools.size(), 1u);
  EXPECT_EQ(q.tools[0].description, "d");
  EXPECT_EQ(q.tools[0].strict, true);
  EXPECT_EQ(q.tool_choice.mode, ToolChoice::Mode::kFunction);
  EXPECT_EQ(q.tool_choice.function_name, "get_weather");
  EXPECT_EQ(q.parallel_tool_calls, false);
  EXPECT_EQ(q.response_format.kind, ResponseFormat::Kind::kJsonSchema);
  EXPECT_EQ(q.response_format.schema_name, "w");
  EXPECT_EQ(r->echo.instructions, R"("Be brief.")");
  EXPECT_EQ(r->instruction_messages, 1u);
  EXPECT_EQ(r->call_ids, (std::vector<std::string>{"call_1", "call_2"}));
  EXPECT_EQ(r->output_ids, (std::vector<std::string>{"call_1", "call_2"}));
  EXPECT_FALSE(r->previous_response_id);
  EXPECT_TRUE(r->store);
}

// The server that keeps responses gets what it needs to continue one.
TEST(OpenAiResponsesInbound, PreviousResponseAndStoreAreReturned) {
  auto r = parse_openai_responses_request(
      R"({"model":"m","previous_response_id":"resp_1","store":false,
          "input":[{"type":"function_call_output","call_id":"call_7","output":"ok"}]})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->previous_response_id, "resp_1");
  EXPECT_FALSE(r->store);
  EXPECT_EQ(r->instruction_messages, 0u);
  EXPECT_TRUE(r->call_ids.empty());
  EXPECT_EQ(r->output_ids, (std::vector<std::string>{"call_7"}));
  ASSERT_EQ(r->inbound.request.messages.size(), 1u);
  EXPECT_EQ(r->inbound.request.messages[0].role, Role::kTool);
}

TEST(OpenAiResponsesInbound, RefusalsNameTheField) {
  auto msg = [](const char* body) {
    auto r = parse_openai_responses_request(body);
    EXPECT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidRequest) << body;
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_EQ(msg(R"({"model":"m","input":"x","tools":[{"type":"web_search"}]})").rfind("tools[0]: ", 0), 0u);
  EXPECT_EQ(msg(R"({"model":"m","input":[{"type":"item_reference","id":"x"}]})").rfind("input[0]: ", 0), 0u);
  EXPECT_EQ(msg(R"({"model":"m","input":"x","max_output_tokens":3})").rfind("max_output_tokens: Invalid", 0), 0u);
  EXPECT_EQ(msg(R"({"model":"m"})"), "input: Missing required parameter: 'input'.");
  EXPECT_NE(msg("{\"model\":").find("We could not parse the JSON body"), std::string::npos);  // the API's words
}

ChatResponse gateway_answer() {
  ChatResponse r;
  r.model = "gpt-4o";
  r.content = "Hi there.";
  r.tool_calls.push_back(ToolCall{"call_9", "f", R"({"a":1})"});
  r.finish_reason = FinishReason::kToolCalls;
  r.usage = Usage{7, 5, 12, 0, 0, 0, std::nullopt};
  return r;
}

TEST(OpenAiResponsesInbound, WholeAnswerIsAResponseWithItsItems) {
  const json j = json::parse(render_openai_response(gateway_answer(), gateway_answer().usage, 1700000000, "trace1", ResponseEcho{}));
  EXPECT_EQ(j["id"], "resp_trace1");
  EXPECT_EQ(j["status"], "completed");
  ASSERT_EQ(j["output"].size(), 2u);
  EXPECT_EQ(j["output"][0]["content"][0]["text"], "Hi there.");
  EXPECT_EQ(j["output"][1]["type"], "function_call");
  EXPECT_EQ(j["output"][1]["call_id"], "call_9");
  EXPECT_EQ(j["usage"]["input_tokens"], 7);
  EXPECT_EQ(j["usage"]["total_tokens"], 12);
  ChatResponse cut = gateway_answer();
  cut.finish_reason = FinishReason::kLength;
  EXPECT_EQ(json::parse(render_openai_response(cut, cut.usage, 0, "t", ResponseEcho{}))["status"], "incomplete");
}

std::vector<json> parse_writer_events(const std::string& bytes, std::vector<std::string>& types) {
  std::vector<json> out;
  std::istringstream in(bytes);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("event: ", 0) == 0) types.push_back(line.substr(7));
    if (line.rfind("data: ", 0) == 0) out.push_back(json::parse(line.substr(6)));
  }
  return out;
}

StreamEvent tool_delta_event(uint32_t index, std::string id, std::string name, std::string frag) {
  StreamEvent e;
  e.kind = StreamEvent::Kind::kToolCallDelta;
  e.tool_index = index;
  e.tool_call_id = std::move(id);
  e.tool_name = std::move(name);
  e.arguments_fragment = std::move(frag);
  return e;
}

TEST(OpenAiResponsesInbound, StreamWriterOpensAndClosesItemsInOrder) {
  ResponsesSseWriter w("t1", "gpt-4o", 1700000000, ResponseEcho{});
  std::string out;
  StreamEvent start;
  start.kind = StreamEvent::Kind::kStart;
  out += w.event(start);
  out += w.event(StreamEvent::TextDelta("Hi"));
  out += w.event(StreamEvent::TextDelta(" there."));
  out += w.event(tool_delta_event(0, "call_9", "f", R"({"a")"));
  out += w.event(tool_delta_event(0, "", "", ":1}"));
  out += w.finish(gateway_answer());
  std::vector<std::string> types;
  const std::vector<json> ev = parse_writer_events(out, types);
  const std::vector<std::string> want = {
      "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
      "response.output_text.delta", "response.output_text.delta", "response.output_text.done",
      "response.content_part.done", "response.output_item.done", "response.output_item.added",
      "response.function_call_arguments.delta", "response.function_call_arguments.delta",
      "response.function_call_arguments.done", "response.output_item.done", "response.completed"};
  EXPECT_EQ(types, want);
  for (size_t i = 0; i < ev.size(); ++i) EXPECT_EQ(ev[i]["sequence_number"], i);
  EXPECT_EQ(ev[6]["text"], "Hi there.");
  EXPECT_EQ(ev[9]["output_index"], 1);
  EXPECT_EQ(ev[12]["arguments"], R"({"a":1})");
  const json& fin = ev.back()["response"];
  EXPECT_EQ(fin["output"][1]["arguments"], R"({"a":1})");
  EXPECT_EQ(fin["usage"]["output_tokens"], 5);
}

TEST(OpenAiResponsesInbound, StreamWriterErrorEventContinuesTheSequence) {
  ResponsesSseWriter w("t2", "gpt-4o", 0, ResponseEcho{});
  std::string out = w.event(StreamEvent::TextDelta("Hi"));
  out += w.error(ServerError("upstream said: secret text"));
  std::vector<std::string> types;
  const std::vector<json> ev = parse_writer_events(out, types);
  EXPECT_EQ(types.back(), "error");
  EXPECT_EQ(ev.back()["sequence_number"], ev.size() - 1);
  EXPECT_EQ(ev.back()["message"].get<std::string>().find("secret"), std::string::npos);
}


// The answer's reasoning (an upstream's thinking, OpenRouter's reasoning) is a reasoning
// item's summary before the message, whole and streamed; the client half reads it back.
TEST(OpenAiResponsesInbound, ReasoningBecomesAReasoningItemBeforeTheMessage) {
  ChatResponse a;
  a.model = "claude-sonnet-4-5";
  a.reasoning = "Check the forecast.";
  a.content = "Sunny.";
  a.finish_reason = FinishReason::kStop;
  a.usage = Usage{10, 8, 18, 4, 2, 5, std::nullopt, 0};
  const json j = json::parse(render_openai_response(a, a.usage, 0, "tr", ResponseEcho{}));
  ASSERT_EQ(j["output"].size(), 2u) << j.dump();
  EXPECT_EQ(j["output"][0]["type"], "reasoning");
  EXPECT_EQ(j["output"][0]["summary"][0]["text"], "Check the forecast.");
  EXPECT_EQ(j["output"][1]["type"], "message");
  EXPECT_NE(j["output"][0]["id"], j["output"][1]["id"]);
  EXPECT_EQ(j["usage"]["input_tokens_details"]["cached_tokens"], 4);
  EXPECT_EQ(j["usage"]["input_tokens_details"]["cache_write_tokens"], 2);
  EXPECT_EQ(j["usage"]["output_tokens_details"]["reasoning_tokens"], 5);

  ResponsesSseWriter w("tr", "claude-sonnet-4-5", 0, ResponseEcho{});
  StreamEvent r1, r2, sig;
  r1.kind = r2.kind = sig.kind = StreamEvent::Kind::kReasoningDelta;
  r1.text = "Check the ";
  r2.text = "forecast.";
  sig.signature = "sig";  // no form in a Responses stream
  std::string out = w.event(r1);
  out += w.event(r2);
  out += w.event(sig);
  out += w.event(StreamEvent::TextDelta("Sunny."));
  out += w.finish(a);
  std::vector<std::string> types;
  const std::vector<json> ev = parse_writer_events(out, types);
  const std::vector<std::string> want = {
      "response.created", "response.in_progress", "response.output_item.added", "response.reasoning_summary_part.added",
      "response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.output_item.done",
      "response.output_item.added", "response.content_part.added", "response.output_text.delta",
      "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"};
  EXPECT_EQ(types, want);
  EXPECT_EQ(ev[6]["text"], "Check the forecast.");
  EXPECT_EQ(ev.back()["response"]["output"][0]["summary"][0]["text"], "Check the forecast.");
  // Nothing streamed (a whole answer at the end): the same items.
  ResponsesSseWriter whole("tr", "m", 0, ResponseEcho{});
  std::vector<std::string> whole_types;
  parse_writer_events(whole.finish(a), whole_types);
  std::vector<std::string> want_whole = want;  // one summary delta, the message without deltas
  want_whole.erase(std::find(want_whole.begin(), want_whole.end(), "response.output_text.delta"));
  want_whole.erase(std::find(want_whole.begin(), want_whole.end(), "response.reasoning_summary_text.delta"));
  EXPECT_EQ(whole_types, want_whole);
  // The client half decodes the stream into the same reasoning and text.
  auto dec = OpenAiResponsesAdapter().new_stream_decoder(Endpoint{"openai", "http://x", Secret(), {}});
  std::vector<StreamEvent> got;
  ASSERT_TRUE(dec->feed(out, got).ok());
  ASSERT_TRUE(dec->finish(got).ok());
  StreamAccumulator acc;
  for (const StreamEvent& e : got) ASSERT_TRUE(acc.add(e).ok());
  EXPECT_EQ(acc.response().reasoning, "Check the forecast.");
  EXPECT_EQ(acc.response().content, "Sunny.");
}

}  // namespace
}  // namespace ploke::adapters::openai
