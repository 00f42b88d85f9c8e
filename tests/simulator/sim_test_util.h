// File: tests/simulator/sim_test_util.h
// Helpers shared by the simulator tests: request builders and SSE splitting.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <memory>
#include <string_view>

#include "ploke/core/clock.h"
#include "ploke/core/transport.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"

namespace ploke::simulator::testing {

using Json = nlohmann::json;

inline HttpRequest chat_http(const Json& body, std::string path = "/v1/chat/completions") {
  HttpRequest r;
  r.method = "POST";
  r.path = std::move(path);
  r.headers.add("content-type", "application/json");
  r.body = body.dump();
  r.expect_stream = body.value("stream", false);
  return r;
}

inline Json simple_body(bool stream = false, std::string model = "gpt-4o") {
  Json b = {{"model", model}, {"messages", Json::array({{{"role", "user"}, {"content", "Say hello to the simulator"}}})}};
  if (stream) b["stream"] = true;
  return b;
}

/// Payloads of the `data:` lines of an SSE body, in order.
inline std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string::npos) nl = body.size();
    std::string line = body.substr(pos, nl - pos);
    if (line.rfind("data: ", 0) == 0) out.push_back(line.substr(6));
    pos = nl + 1;
  }
  return out;
}

/// An engine with `o` and the fast latency model on `clock` (the golden tests' engine).
inline std::unique_ptr<SimEngine> fast_engine(SimOptions o, SimulatedClock& clock) {
  o.latency = LatencyModel::Fast();
  auto e = SimEngine::Create(o, clock);
  EXPECT_TRUE(e.ok()) << e.status().to_string();
  return e.ok() ? std::move(e).value() : nullptr;
}

/// Appends one answer to a golden transcript: "### NAME", a head line (status, head time in
/// µs, the ending's number when `with_ending`, streaming), one "h" line per header, then one
/// "c" line per chunk (time in µs, size) followed by its bytes.
inline void append_transcript(std::string& out, const std::string& name, const ScriptedResponse& r,
                              bool with_ending = false) {
  const auto us = [](Duration d) { return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(d).count()); };
  out += "### " + name + "\n";
  out += "status " + std::to_string(r.status) + " head_at_us " + us(r.head_at);
  if (with_ending) out += " ending " + std::to_string(static_cast<int>(r.ending));
  out += " streaming " + std::to_string(r.streaming) + "\n";
  for (const auto& [k, v] : r.headers.items()) out += "h " + k + ": " + v + "\n";
  for (const TimedChunk& c : r.chunks) out += "c " + us(c.at) + " " + std::to_string(c.bytes.size()) + "\n" + c.bytes + "\n";
}

/// Engines on one SimulatedClock, optionally with a fault plan (the engine fixtures).
class EngineFixture : public ::testing::Test {
 protected:
  std::unique_ptr<SimEngine> make(SimOptions opts = {}) {
    auto e = SimEngine::Create(opts, clock_);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    return std::move(e).value();
  }
  std::unique_ptr<SimEngine> make_with_plan(std::string_view plan_json, SimOptions opts = {}) {
    auto plan = parse_fault_plan(plan_json, "test");
    EXPECT_TRUE(plan.ok()) << plan.status().to_string();
    opts.faults = *plan;
    return make(opts);
  }
  SimulatedClock clock_;
};

}  // namespace ploke::simulator::testing
