// The simulated OpenAI Chat Completions bytes, pinned: requests on the DOM path (tools
// chosen, forced, required, serial; seed; logprobs; n choices with include_usage; response
// formats; max tokens) and on the plain path, and every validation error the OpenAI package
// words for the simulator (status, param, code), rendered on a simulated clock and compared
// with tests/simulator/golden/openai_chat.txt byte for byte: status, head time, headers,
// and each chunk with its time.
//
// Regenerate (after a deliberate change, then review the diff):
//   PLOKE_UPDATE_GOLDEN=1 build/tests/simulator/simulator_openai_golden_test
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "ploke/simulator/engine.h"
#include "sim_test_util.h"
#include "support/golden.h"

namespace ploke::simulator {
namespace {

using testing::chat_http;
using testing::Json;

const std::string kGolden = std::string(PLOKE_SOURCE_DIR) + "/tests/simulator/golden/openai_chat.txt";

struct Recorder {
  explicit Recorder(SimOptions o) : engine(testing::fast_engine(std::move(o), clock)) {}
  void record(const std::string& name, const ScriptedResponse& r) {
    testing::append_transcript(out, name, r);
  }
  void post(const std::string& name, const Json& body) { record(name, engine->handle(chat_http(body))); }
  void post_raw(const std::string& name, const std::string& body) {
    HttpRequest r = chat_http(Json::object());
    r.body = body;
    record(name, engine->handle(r));
  }
  SimulatedClock clock;
  std::unique_ptr<SimEngine> engine;
  std::string out;
};

Json ask(bool stream = false) {
  Json b = {{"model", "gpt-4o"}, {"messages", Json::array({{{"role", "user"}, {"content", "What is the weather?"}}})}};
  if (stream) b["stream"] = true;
  return b;
}

Json with(Json b, const std::string& key, Json v) {
  b[key] = std::move(v);
  return b;
}

Json tool(const std::string& name, Json params) {
  Json fn = {{"name", name}};
  if (!params.is_null()) fn["parameters"] = std::move(params);
  return {{"type", "function"}, {"function", fn}};
}

Json three_tools() {
  return Json::array({tool("get_weather", {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"required", {"city"}}}),
                      tool("lookup", {{"properties", {{"n", {{"type", "integer"}, {"minimum", 1}, {"maximum", 9}}}}}}),
                      tool("noop", nullptr)});
}

void generated(Recorder& r) {
  const Json tools = three_tools();
  r.post("plain", ask());
  r.post("plain stream", ask(true));
  for (int i = 0; i < 4; ++i) r.post("tools auto " + std::to_string(i), with(ask(i % 2 == 1), "tools", tools));
  r.post("tools required", with(with(ask(), "tools", tools), "tool_choice", "required"));
  r.post("tools required stream", with(with(ask(true), "tools", tools), "tool_choice", "required"));
  r.post("tools none", with(with(ask(), "tools", tools), "tool_choice", "none"));
  r.post("tools serial", with(with(with(ask(), "tools", tools), "tool_choice", "required"), "parallel_tool_calls", false));
  Json dup = three_tools();
  dup.push_back(tool("lookup", {{"type", "object"}, {"properties", {{"flag", {{"type", "boolean"}}}}}}));
  r.post("tools forced (last match)",
         with(with(ask(), "tools", dup), "tool_choice", {{"type", "function"}, {"function", {{"name", "lookup"}}}}));
  r.post("tools forced empty name",
         with(with(ask(), "tools", tools), "tool_choice", {{"type", "function"}, {"function", {{"name", ""}}}}));
  Json answered = ask();
  answered["messages"].push_back({{"role", "assistant"}, {"content", nullptr},
                                  {"tool_calls", Json::array({{{"id", "call_1"}, {"type", "function"},
                                                               {"function", {{"name", "lookup"}, {"arguments", "{\"n\":3}"}}}}})}});
  answered["messages"].push_back({{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "42"}});
  for (int i = 0; i < 3; ++i) r.post("after tool result " + std::to_string(i), with(answered, "tools", tools));
  r.post("seed 7", with(ask(), "seed", 7));
  r.post("seed 7 again", with(ask(), "seed", 7));
  r.post("seed -1 tools", with(with(ask(), "seed", -1), "tools", tools));
  r.post("logprobs", with(with(ask(), "logprobs", true), "top_logprobs", 3));
  r.post("logprobs stream n2",
         with(with(with(ask(true), "logprobs", true), "n", 2), "stream_options", {{"include_usage", true}}));
  r.post("n3 max_completion_tokens", with(with(with(ask(), "n", 3), "max_completion_tokens", 2), "max_tokens", 50));
  r.post("max_tokens stream usage", with(with(ask(true), "max_tokens", 3), "stream_options", {{"include_usage", true}}));
  r.post("json_object", with(ask(), "response_format", {{"type", "json_object"}}));
  const Json schema = Json::parse(
      R"({"type":"object","properties":{"t":{"type":"number"},"tags":{"type":"array","items":{"enum":["a","b"]}}}})");
  r.post("json_schema stream",
         with(ask(true), "response_format", {{"type", "json_schema"}, {"json_schema", {{"name", "w"}, {"schema", schema}}}}));
  r.post("json_schema cut short", with(with(ask(), "max_tokens", 2), "response_format", {{"type", "json_schema"}}));
  r.post("content parts",
         with(ask(), "messages", Json::parse(R"([{"role":"user","content":[{"type":"text","text":"Hello there, parts"}]}])")));
}

void errors(Recorder& r) {
  r.post_raw("not json", "{nope");
  r.post_raw("not an object", "[1]");
  r.post("no model", {{"messages", Json::array({{{"role", "user"}, {"content", "x"}}})}});
  r.post("no messages", {{"model", "gpt-4o"}});
  r.post("messages not array", with(ask(), "messages", "hi"));
  r.post("messages empty", with(ask(), "messages", Json::array()));
  r.post_raw("stream string", with(ask(), "stream", "yes").dump());
  r.post("temperature", with(ask(), "temperature", 2.5));
  r.post("n 0", with(ask(), "n", 0));
  r.post("bad role", with(ask(), "messages", Json::array({{{"role", "robot"}, {"content", "x"}}})));
  r.post("missing role", with(ask(), "messages", Json::array({{{"content", "x"}}})));
  r.post("tool without call", with(ask(), "messages", Json::array({{{"role", "tool"}, {"tool_call_id", "a"}, {"content", "x"}}})));
  Json unanswered = ask();
  unanswered["messages"].push_back(Json::parse(
      R"({"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}},
                                          {"id":"c2","type":"function","function":{"name":"f","arguments":"{}"}}]})"));
  unanswered["messages"].push_back({{"role", "tool"}, {"tool_call_id", "c1"}, {"content", "x"}});
  unanswered["messages"].push_back({{"role", "user"}, {"content", "and?"}});
  r.post("unanswered call", unanswered);
  r.post("tool_choice value", with(ask(), "tool_choice", "always"));
  r.post("tool_choice without tools", with(ask(), "tool_choice", "required"));
  r.post("tool_choice no name", with(with(ask(), "tools", three_tools()), "tool_choice", {{"type", "function"}}));
  r.post("tool_choice unknown function",
         with(with(ask(), "tools", three_tools()), "tool_choice", {{"type", "function"}, {"function", {{"name", "zzz"}}}}));
  r.post("unknown model", with(ask(), "model", "gpt-nope"));
  r.post("unknown model stream", with(ask(true), "model", "gpt-nope"));
}

std::string transcript() {
  SimOptions o;
  o.seed = 11;
  Recorder r(o);
  generated(r);
  errors(r);
  return r.out;
}

TEST(OpenAiGolden, ChatMatchesTheGoldenTranscript) {
  ploke::testing::expect_golden(kGolden, transcript());
}

}  // namespace
}  // namespace ploke::simulator
