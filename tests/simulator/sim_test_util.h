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
