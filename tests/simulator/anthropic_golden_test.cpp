// The simulated Anthropic Messages bytes, pinned: requests on the DOM path (tools chosen,
// forced with duplicate names, any, none, serial; after tool results; stop sequences;
// structured output; max_tokens; system blocks), count_tokens, and the validation errors,
// rendered on a simulated clock and compared with tests/simulator/golden/anthropic_messages.txt
// byte for byte: status, head time, headers, and each chunk with its time.
//
// Regenerate (after a deliberate change, then review the diff):
//   PLOKE_UPDATE_GOLDEN=1 build/tests/simulator/simulator_anthropic_golden_test
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "ploke/simulator/engine.h"
#include "sim_test_util.h"
#include "support/golden.h"

namespace ploke::simulator {
namespace {

using testing::Json;

const std::string kGolden = std::string(PLOKE_SOURCE_DIR) + "/tests/simulator/golden/anthropic_messages.txt";

HttpRequest anth_http(const std::string& body, const std::string& path, bool stream) {
  HttpRequest r;
  r.method = "POST";
  r.path = path;
  r.headers.add("content-type", "application/json");
  r.headers.add("anthropic-version", "2023-06-01");
  r.body = body;
  r.expect_stream = stream;
  return r;
}

struct Recorder {
  explicit Recorder(SimOptions o) : engine(testing::fast_engine(std::move(o), clock)) {}
  void record(const std::string& name, const ScriptedResponse& r) {
    testing::append_transcript(out, name, r);
  }
  void post(const std::string& name, const Json& body, const std::string& path = "/v1/messages") {
    const bool stream = body.is_object() && body.contains("stream") && body["stream"] == true;
    record(name, engine->handle(anth_http(body.dump(), path, stream)));
  }
  void post_raw(const std::string& name, const std::string& body) {
    record(name, engine->handle(anth_http(body, "/v1/messages", false)));
  }
  SimulatedClock clock;
  std::unique_ptr<SimEngine> engine;
  std::string out;
};

Json ask(bool stream = false) {
  Json b = {{"model", "claude-sonnet-4-5"},
            {"max_tokens", 256},
            {"system", Json::array({{{"type", "text"}, {"text", "Be brief."}}})},
            {"messages", Json::array({{{"role", "user"}, {"content", "What is the weather?"}}})}};
  if (stream) b["stream"] = true;
  return b;
}

Json with(Json b, const std::string& key, Json v) {
  b[key] = std::move(v);
  return b;
}

Json three_tools() {
  return Json::parse(R"([
    {"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
    {"name":"lookup","input_schema":{"properties":{"n":{"type":"integer","minimum":1,"maximum":9}},"type":"object"}},
    {"name":"web_search","type":"web_search_20250305"}])");
}

void generated(Recorder& r) {
  const Json tools = three_tools();
  r.post("plain (DOM path: system blocks)", ask());
  r.post("plain stream", ask(true));
  for (int i = 0; i < 4; ++i) r.post("tools auto " + std::to_string(i), with(ask(i % 2 == 1), "tools", tools));
  r.post("tools any", with(with(ask(), "tools", tools), "tool_choice", {{"type", "any"}}));
  r.post("tools any stream", with(with(ask(true), "tools", tools), "tool_choice", {{"type", "any"}}));
  r.post("tools none", with(with(ask(), "tools", tools), "tool_choice", {{"type", "none"}}));
  r.post("tools serial", with(with(ask(), "tools", tools), "tool_choice",
                              {{"type", "any"}, {"disable_parallel_tool_use", true}}));
  r.post("tools forced", with(with(ask(), "tools", tools), "tool_choice", {{"type", "tool"}, {"name", "lookup"}}));
  Json answered = ask();
  answered["messages"].push_back(Json::parse(
      R"({"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"lookup","input":{"n":3}}]})"));
  answered["messages"].push_back(Json::parse(
      R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"42"}]}]})"));
  for (int i = 0; i < 3; ++i) r.post("after tool result " + std::to_string(i), with(answered, "tools", tools));
  r.post("stop sequences", with(with(ask(), "stop_sequences", {"zzz", "the", " a"}), "temperature", 0.5));
  r.post("max_tokens 2 stream", with(ask(true), "max_tokens", 2));
  const Json schema = Json::parse(
      R"({"type":"object","properties":{"t":{"type":"number"},"tags":{"type":"array","items":{"enum":["a","b"]}}}})");
  r.post("output schema", with(ask(), "output_config", {{"format", {{"type", "json_schema"}, {"schema", schema}}}}));
  r.post("output schema stream",
         with(ask(true), "output_config", {{"format", {{"type", "json_schema"}, {"schema", schema}}}}));
  Json counted = with(answered, "tools", tools);
  counted.erase("max_tokens");
  r.post("count_tokens", counted, "/v1/messages/count_tokens");
}

void errors(Recorder& r) {
  r.post_raw("not json", "{nope");
  r.post_raw("not an object", "[1]");
  r.post("no max_tokens", with(ask(), "max_tokens", nullptr));
  r.post("unknown model", with(ask(), "model", "claude-nope"));
  r.post("tool without name", with(ask(), "tools", Json::parse(R"([{"input_schema":{}}])")));
  r.post("tool_choice names a missing tool",
         with(with(ask(), "tools", three_tools()), "tool_choice", {{"type", "tool"}, {"name", "nope"}}));
  Json bad = ask();
  bad.erase("messages");
  r.post("count_tokens without messages", bad, "/v1/messages/count_tokens");
}

TEST(AnthropicGolden, MessagesBytesArePinned) {
  SimOptions o;
  o.seed = 20260412;
  Recorder r(o);
  generated(r);
  errors(r);
  ploke::testing::expect_golden(kGolden, r.out);
}

}  // namespace
}  // namespace ploke::simulator
