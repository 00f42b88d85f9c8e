// File: tests/recorder/recorder_test_util.h
// Helpers for the recorder tests: temp dirs, a blocking HTTP client, an in-process
// simulator upstream (tests may link ploke::simulator; recorder code may not).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "ploke/adapters/http_transport.h"
#include "ploke/core/clock.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/http_server.h"
#include "support/test_support.h"

namespace ploke::recorder::testing {

using ::ploke::testing::TempDir;

struct Reply {
  int status = 0;
  Headers headers;
  std::string body;
  Status final;
};

inline Reply send(Clock& clock, const std::string& base, const std::string& method, const std::string& path,
                  const std::string& body = "", Headers headers = {}) {
  adapters::HttpTransport http(clock);
  HttpRequest r;
  r.method = method;
  r.base_url = base;
  r.path = path;
  r.body = body;
  if (!body.empty() && !headers.has("content-type")) headers.add("content-type", "application/json");
  r.headers = std::move(headers);
  ploke::testing::RecordingHandler h;
  CallOptions o;
  o.total_timeout = std::chrono::seconds(30);
  http.start(r, o, h);
  return Reply{h.status_, h.headers_, h.body_, h.final_};
}

/// The simulator as upstream: normal latency (so streams have timing), tool calls when
/// tools are offered, a 429 for model gpt-4o-mini and a 500 for model gpt-4.1.
struct SimUpstream {
  explicit SimUpstream(Clock& clock) {
    simulator::SimOptions o;
    o.seed = 11;
    o.latency.time_to_first_token = std::chrono::milliseconds(15);
    o.latency.tokens_per_second = 400;
    o.tool_call_probability = 1.0;
    simulator::Fault f429;
    f429.id = "rate";
    f429.kind = simulator::FaultKind::kHttpError;
    f429.status = 429;
    f429.match.model = "gpt-4o-mini";
    f429.retry_after = std::chrono::seconds(1);
    simulator::Fault f500;
    f500.id = "boom";
    f500.kind = simulator::FaultKind::kHttpError;
    f500.status = 500;
    f500.match.model = "gpt-4.1";
    o.faults.faults = {f429, f500};
    auto e = simulator::SimEngine::Create(o, clock);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    engine = std::move(e).value();
    auto s = simulator::SimServer::Start(*engine, clock, simulator::ServerOptions{});
    EXPECT_TRUE(s.ok()) << s.status().to_string();
    server = std::move(s).value();
  }
  std::string url() const { return server->url(); }
  uint64_t requests() const { return engine->request_count(); }

  std::unique_ptr<simulator::SimEngine> engine;
  std::unique_ptr<simulator::SimServer> server;
};

inline std::string chat_body(const std::string& model, bool stream, const std::string& content = "hello recorder",
                             bool tools = false) {
  std::string b = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]";
  if (stream) b += ",\"stream\":true";
  if (tools) {
    b += ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\","
         "\"properties\":{\"city\":{\"type\":\"string\"}}}}}],\"tool_choice\":\"required\"";
  }
  return b + "}";
}

}  // namespace ploke::recorder::testing
