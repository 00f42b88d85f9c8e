// The engine's protocol registry (simulator/src/protocol.h, SimOptions::protocols): an added
// ploke::SimProtocol answers the routes it claims (a dialect through SimCall::answer_as),
// injected faults reach it in its own error shape (http_error, mid_stream_error) and through
// the engine's stream overlays (stream_cut), faults match its inference route by default,
// the built-in routes are untouched, and Create() refuses a taken, empty or null protocol.
#include <gtest/gtest.h>

#include "ploke/simulator/engine.h"
#include "sim_test_util.h"

namespace ploke::simulator {
namespace {

using testing::chat_http;
using testing::Json;
using testing::simple_body;

// "/echo/…": the OpenAI protocol on the path without "/echo"; errors as {"echo_error":{…}}.
class EchoProtocol final : public SimProtocol {
 public:
  explicit EchoProtocol(std::string name = "echo") : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  bool answers(std::string_view, std::string_view path, const Headers&) const override {
    return path.rfind("/echo/", 0) == 0;
  }
  bool is_inference(std::string_view method, std::string_view path) const override {
    return method == "POST" && path == "/echo/v1/chat/completions";
  }
  ScriptedResponse respond(const SimCall& call) const override {
    if (call.path() == "/echo/unknown") return call.answer_as("nope", call.request());
    HttpRequest r = call.request();
    r.base_url.clear();
    r.path = std::string(call.path().substr(5));
    return call.answer_as("openai", r);
  }
  ScriptedResponse error_response(const SimCall& call, const SimError& e) const override {
    Headers h;
    h.set("content-type", "application/json");
    if (e.retry_after_ms) h.set("retry-after-ms", std::to_string(e.retry_after_ms->count() / 1000000));
    return ScriptedResponse::Simple(e.status == 429 ? 499 : e.status, std::move(h),
                                    "{\"echo_error\":{\"status\":" + std::to_string(e.status) + ",\"id\":\"" +
                                        std::string(call.request_id()) + "\"}}");
  }

 private:
  std::string name_;
};

class ProtocolRegistryTest : public testing::EngineFixture {
 protected:
  std::unique_ptr<SimEngine> echo_engine(std::string_view plan = R"({"faults":[]})") {
    SimOptions o;
    o.latency = LatencyModel::Fast();
    o.protocols.push_back(std::make_shared<EchoProtocol>());
    return make_with_plan(plan, o);
  }
};

TEST_F(ProtocolRegistryTest, AnAddedProtocolAnswersItsRoutesAndTheBuiltInsKeepTheirs) {
  auto engine = echo_engine();
  ScriptedResponse r = engine->handle(chat_http(simple_body(), "/echo/v1/chat/completions"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Json::parse(r.body())["object"], "chat.completion");
  EXPECT_FALSE(r.headers.has("openai-processing-ms"));  // the protocol's headers, as answered
  ScriptedResponse s = engine->handle(chat_http(simple_body(true), "/echo/v1/chat/completions"));
  EXPECT_EQ(s.status, 200);
  EXPECT_TRUE(s.streaming);
  EXPECT_NE(s.body().find("data: [DONE]"), std::string::npos);
  ScriptedResponse o = engine->handle(chat_http(simple_body()));  // the built-in OpenAI route
  EXPECT_EQ(o.status, 200);
  EXPECT_TRUE(o.headers.has("openai-processing-ms"));
  const auto journal = engine->journal();
  ASSERT_EQ(journal.size(), 3u);
  EXPECT_EQ(journal[0].path, "/echo/v1/chat/completions");
  EXPECT_EQ(journal[0].model, "gpt-4o");
  EXPECT_TRUE(journal[1].stream);
  // answer_as() reaches built-ins only: an unknown name is a 500 naming it.
  HttpRequest bad = chat_http(simple_body(), "/echo/unknown");
  ScriptedResponse u = engine->handle(bad);
  EXPECT_EQ(u.status, 500);
  EXPECT_NE(u.body().find("no built-in protocol 'nope'"), std::string::npos) << u.body();
}

TEST_F(ProtocolRegistryTest, InjectedErrorsComeInTheProtocolsShape) {
  auto engine = echo_engine(R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":300}]})");
  ScriptedResponse r = engine->handle(chat_http(simple_body(), "/echo/v1/chat/completions"));
  EXPECT_EQ(r.status, 499);
  EXPECT_EQ(r.headers.get("retry-after-ms"), "300");
  const Json b = Json::parse(r.body());
  EXPECT_EQ(b["echo_error"]["status"], 429);
  EXPECT_EQ(b["echo_error"]["id"], engine->journal().back().request_id);
  EXPECT_EQ(engine->journal().back().fault_id, "f1");
  EXPECT_EQ(engine->journal().back().status, 499);
}

TEST_F(ProtocolRegistryTest, StreamFaultsOverlayTheAddedProtocolsStream) {
  auto engine = echo_engine(R"({"faults":[
      {"kind":"mid_stream_error","after_events":2,"status":500,"trigger":{"nth":1}},
      {"kind":"stream_cut","after_events":2,"trigger":{"nth":2}}]})");
  ScriptedResponse m = engine->handle(chat_http(simple_body(true), "/echo/v1/chat/completions"));
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body().find("data: {\"echo_error\":{\"status\":500"), std::string::npos) << m.body();
  EXPECT_EQ(m.body().find("[DONE]"), std::string::npos);
  ScriptedResponse c = engine->handle(chat_http(simple_body(true), "/echo/v1/chat/completions"));
  EXPECT_EQ(c.ending, Ending::kReset);
  EXPECT_EQ(c.chunks.size(), 2u);
}

TEST_F(ProtocolRegistryTest, DefaultFaultsMatchTheAddedProtocolsInferenceRouteOnly) {
  auto engine = echo_engine(R"({"faults":[{"kind":"http_error","status":500}]})");
  HttpRequest models;
  models.method = "GET";
  models.path = "/echo/v1/models";
  EXPECT_EQ(engine->handle(models).status, 200);  // not an inference route: no fault
  EXPECT_EQ(engine->handle(chat_http(simple_body(), "/echo/v1/chat/completions")).status, 500);
}

TEST_F(ProtocolRegistryTest, CreateRefusesTakenEmptyAndNullProtocols) {
  for (const char* taken : {"openai", "anthropic", "openrouter"}) {
    SimOptions o;
    o.protocols.push_back(std::make_shared<EchoProtocol>(taken));
    auto e = SimEngine::Create(o, clock_);
    ASSERT_FALSE(e.ok()) << taken;
    EXPECT_NE(e.status().message().find("protocols[0]: protocol '" + std::string(taken) + "' is already registered"),
              std::string::npos)
        << e.status().message();
  }
  SimOptions o;
  o.protocols = {std::make_shared<EchoProtocol>(), std::make_shared<EchoProtocol>(), nullptr,
                 std::make_shared<EchoProtocol>("")};
  auto e = SimEngine::Create(o, clock_);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("protocols[1]: protocol 'echo' is already registered"), std::string::npos);
  EXPECT_NE(e.status().message().find("protocols[2]: no protocol or an empty name"), std::string::npos);
  EXPECT_NE(e.status().message().find("protocols[3]: no protocol or an empty name"), std::string::npos);
  EXPECT_EQ(builtin_protocol_names(), (std::vector<std::string>{"anthropic", "openrouter", "openai"}));
}

}  // namespace
}  // namespace ploke::simulator
