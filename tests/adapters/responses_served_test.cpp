// The Responses API's server half: read_served_responses_request()'s validation (status,
// type, param path, code) and the typed values it reads; render_response() and
// render_response_stream() shapes (event order, sequence numbers, the final Response).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sstream>

#include "ploke/adapters/openai/responses_served.h"

namespace ploke::adapters::openai {
namespace {

using nlohmann::json;

std::optional<WireError> read_responses(const std::string& text, ServedResponsesRequest& out) {
  const json j = json::parse(text);
  return read_served_responses_request(&j, out);
}

WireError responses_error_of(const std::string& text) {
  ServedResponsesRequest out;
  auto e = read_responses(text, out);
  EXPECT_TRUE(e.has_value()) << text;
  return e.value_or(WireError{});
}

TEST(OpenAiResponsesRequest, ValidationErrorsNameTheirParamAndCode) {
  ServedResponsesRequest out;
  EXPECT_NE(read_served_responses_request(nullptr, out)->message.find("could not parse the JSON body"), std::string::npos);
  WireError e = responses_error_of(R"({"input":"hi"})");
  EXPECT_EQ(e.message, "Missing required parameter: 'model'.");
  EXPECT_EQ(e.code, "missing_required_parameter");
  e = responses_error_of(R"({"model":"m","input":"hi","max_output_tokens":5})");
  EXPECT_EQ(e.message, "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 5 instead.");
  EXPECT_EQ(e.param, "max_output_tokens");
  EXPECT_EQ(e.code, "integer_below_min_value");
  e = responses_error_of(R"({"model":"m","input":"hi","temperature":3})");
  EXPECT_EQ(e.code, "decimal_above_max_value");
  e = responses_error_of(R"({"model":"m","input":7})");
  EXPECT_EQ(e.param, "input");
  EXPECT_EQ(e.code, "invalid_type");
  e = responses_error_of(R"({"model":"m","input":[{"role":"robot","content":"x"}]})");
  EXPECT_EQ(e.param, "input[0].role");
  EXPECT_EQ(e.code, "invalid_value");
  e = responses_error_of(R"({"model":"m","input":[{"type":"function_call_output","output":"x"}]})");
  EXPECT_EQ(e.param, "input[0].call_id");
  e = responses_error_of(R"({"model":"m","input":"x","tools":[{"type":"function","name":"bad name"}]})");
  EXPECT_EQ(e.param, "tools[0].name");
  EXPECT_EQ(e.code, "invalid_value");
  e = responses_error_of(R"({"model":"m","input":"x","tools":[{"type":"function","name":"a"}],"tool_choice":{"type":"function","name":"b"}})");
  EXPECT_EQ(e.message, "Tool choice 'function' not found in 'tools' parameter.");
  EXPECT_EQ(e.param, "tool_choice");
  e = responses_error_of(R"({"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"n"}}})");
  EXPECT_EQ(e.param, "text.format.schema");
  e = responses_error_of(R"({"model":"m","input":"x","stream":"yes"})");
  EXPECT_EQ(e.param, "stream");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.type, "invalid_request_error");
}

TEST(OpenAiResponsesRequest, ReadsInputToolsAndEchoes) {
  ServedResponsesRequest r;
  ASSERT_FALSE(read_responses(R"({"model":"gpt-4o","instructions":"Be brief.","stream":true,"store":false,
      "max_output_tokens":64,"previous_response_id":"resp_1","metadata":{"k":"v"},
      "input":[{"role":"user","content":"hello"},
               {"type":"function_call","call_id":"call_a","name":"f","arguments":"{\"x\":1}"},
               {"type":"function_call_output","call_id":"call_a","output":"42"}],
      "tools":[{"type":"function","name":"f","parameters":{"type":"object","properties":{"x":{"type":"integer"}}}},
               {"type":"web_search"}],
      "tool_choice":{"type":"function","name":"f"},"parallel_tool_calls":false,
      "text":{"format":{"type":"json_schema","name":"s","schema":{"type":"object"}}}})",
                    r));
  EXPECT_EQ(r.chat.model, "gpt-4o");
  EXPECT_TRUE(r.chat.stream);
  EXPECT_FALSE(r.store);
  EXPECT_EQ(r.chat.max_tokens, 64u);
  EXPECT_EQ(r.previous_response_id, "resp_1");
  EXPECT_EQ(r.chat.prompt_chars, std::string("Be brief.hello{\"x\":1}42").size());
  EXPECT_TRUE(r.chat.last_message_is_tool);
  EXPECT_EQ(r.call_ids, std::vector<std::string>{"call_a"});
  EXPECT_EQ(r.output_ids, std::vector<std::string>{"call_a"});
  ASSERT_EQ(r.chat.tools.size(), 2u);
  EXPECT_EQ(r.chat.tools[0].name, "f");
  EXPECT_FALSE(r.chat.tools[0].custom);
  EXPECT_TRUE(r.chat.tools[1].custom);  // built-in tools are offered, never called
  EXPECT_EQ(r.chat.tool_choice, ToolChoiceMode::kFunction);
  EXPECT_EQ(r.chat.forced_tool, 0u);
  EXPECT_FALSE(r.chat.parallel_tool_calls);
  EXPECT_EQ(r.chat.response_schema, R"({"type":"object"})");
  EXPECT_EQ(r.echo.instructions, R"("Be brief.")");
  EXPECT_EQ(r.echo.metadata, R"({"k":"v"})");
  EXPECT_EQ(json::parse(r.echo.tools)[0]["strict"], true);
  EXPECT_FALSE(r.echo.store);
}

WireResponse sample_response(bool call, bool incomplete) {
  WireResponse w;
  w.id = "resp_1";
  w.model = "gpt-4o";
  w.created_at = 1700000000;
  w.incomplete = incomplete;
  w.input_tokens = 5;
  w.output_tokens = 3;
  WireOutputItem item;
  if (call) {
    item.is_call = true;
    item.id = "fc_1";
    item.call_id = "call_1";
    item.name = "f";
    item.arguments = R"({"x":1})";
    item.fragments = {R"({"x")", ":1}"};
  } else {
    item.id = "msg_1";
    item.tokens = {"Hello", " there", "."};
  }
  w.output.push_back(item);
  return w;
}

std::vector<json> response_events_of(const WireResponse& w, std::vector<std::string>& types) {
  std::vector<json> out;
  for (const auto& e : render_response_stream(w)) {
    std::istringstream in(e.bytes);
    std::string event, data;
    std::getline(in, event);
    std::getline(in, data);
    EXPECT_EQ(event.rfind("event: ", 0), 0u) << e.bytes;
    out.push_back(json::parse(data.substr(6)));
    types.push_back(event.substr(7));
    EXPECT_EQ(out.back()["type"], types.back());
  }
  return out;
}

TEST(OpenAiResponsesRender, TextStreamEventsInOrderWithSequenceNumbers) {
  std::vector<std::string> types;
  const auto ev = response_events_of(sample_response(false, false), types);
  const std::vector<std::string> want = {"response.created", "response.in_progress", "response.output_item.added",
                                         "response.content_part.added", "response.output_text.delta",
                                         "response.output_text.delta", "response.output_text.delta",
                                         "response.output_text.done", "response.content_part.done",
                                         "response.output_item.done", "response.completed"};
  EXPECT_EQ(types, want);
  for (size_t i = 0; i < ev.size(); ++i) EXPECT_EQ(ev[i]["sequence_number"], i);
  EXPECT_EQ(ev[0]["response"]["status"], "in_progress");
  EXPECT_FALSE(ev[0]["response"].contains("usage"));
  EXPECT_EQ(ev[7]["text"], "Hello there.");
  const json& done = ev.back()["response"];
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(done["output"][0]["content"][0]["text"], "Hello there.");
  EXPECT_EQ(done["usage"]["total_tokens"], 8);
  EXPECT_EQ(done, json::parse(render_response(sample_response(false, false))));
}

TEST(OpenAiResponsesRender, FunctionCallStreamAndIncompleteEnding) {
  std::vector<std::string> types;
  const auto ev = response_events_of(sample_response(true, false), types);
  EXPECT_EQ(types[2], "response.output_item.added");
  EXPECT_EQ(ev[2]["item"]["arguments"], "");
  EXPECT_EQ(types[3], "response.function_call_arguments.delta");
  EXPECT_EQ(ev[3]["delta"].get<std::string>() + ev[4]["delta"].get<std::string>(), R"({"x":1})");
  EXPECT_EQ(types[5], "response.function_call_arguments.done");
  EXPECT_EQ(ev[5]["name"], "f");
  EXPECT_EQ(ev[6]["item"]["call_id"], "call_1");
  types.clear();
  const auto inc = response_events_of(sample_response(false, true), types);
  EXPECT_EQ(types.back(), "response.incomplete");
  EXPECT_EQ(inc.back()["response"]["incomplete_details"]["reason"], "max_output_tokens");
  EXPECT_TRUE(inc.back()["response"]["completed_at"].is_null());
}

TEST(OpenAiResponsesRender, ErrorEventCarriesItsSequenceNumber) {
  const std::string e = response_error_event(WireError{500, "boom", "server_error", std::nullopt, std::nullopt}, 7);
  EXPECT_EQ(e.rfind("event: error\ndata: ", 0), 0u);
  const json j = json::parse(e.substr(e.find('{')));
  EXPECT_EQ(j["sequence_number"], 7);
  EXPECT_EQ(j["code"], "server_error");
  EXPECT_EQ(j["message"], "boom");
  EXPECT_TRUE(j["param"].is_null());
}

}  // namespace
}  // namespace ploke::adapters::openai
