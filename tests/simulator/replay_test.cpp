// Cassette replay inside SimEngine: recorded bytes, chunk boundaries and timing
// through InProcessTransport on a SimulatedClock (exact virtual-time assertions), the
// OpenAI adapter + ChatClient on top, recorded order and after-last, near-miss errors,
// faults overlaid on replayed responses, the strict report. No sockets.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/register.h"
#include "ploke/codec/recording.h"
#include "ploke/core/chat_client.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "sim_test_util.h"
#include "support/test_support.h"

namespace ploke::simulator {
namespace {

using namespace std::chrono_literals;
using testing::chat_http;
using testing::Json;

// ---- Building cassettes ----

double ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// An InProcessTransport handler that answers from `engine` (synthetic) and records every
// exchange into `cassette` through codec's InteractionBuilder, as the recorder would.
InProcessTransport::Handler recording_handler(SimEngine& engine, codec::Cassette& cassette) {
  return [&engine, &cassette](const HttpRequest& in) {
    ScriptedResponse sr = engine.handle(in);
    HttpRequest seen = in;  // the recorder sees the full path (base_url prefix joined)
    seen.base_url.clear();
    seen.path = "/v1" + in.path;
    char id[8];
    std::snprintf(id, sizeof(id), "%04zu", cassette.interactions.size() + 1);
    codec::InteractionBuilder b(seen, id, "2026-11-24T00:00:00.000Z");
    b.on_head(sr.head_at, sr.status, sr.headers);
    Duration last = sr.head_at;
    for (const auto& c : sr.chunks) {
      b.on_body(c.at, c.bytes);
      last = std::max(last, c.at);
    }
    cassette.interactions.push_back(std::move(b).finish(last, sr.ending, codec::RedactionRules::Defaults()));
    return sr;
  };
}

codec::Cassette empty_cassette(std::string name) {
  codec::Cassette c;
  c.name = std::move(name);
  c.provider = "openai";
  c.protocol = "openai-chat";
  c.synthetic = true;
  return c;
}

Json chat_body(std::string content, bool stream = false) {
  Json b = {{"model", "gpt-4o"}, {"messages", Json::array({{{"role", "user"}, {"content", std::move(content)}}})}};
  if (stream) b["stream"] = true;
  return b;
}

codec::Interaction json_interaction(std::string id, const Json& request_body, std::string response_body,
                             double first_byte_ms = 40, double elapsed_ms = 50) {
  codec::Interaction i;
  i.id = std::move(id);
  i.request.method = "POST";
  i.request.path = "/v1/chat/completions";
  i.request.headers.add("content-type", "application/json");
  i.request.body = codec::RecordedBody{codec::BodyEncoding::kJson, request_body.dump(), -1};
  i.response.status = 200;
  i.response.headers.add("content-type", "application/json");
  i.response.headers.add("x-request-id", "req_" + i.id);
  i.response.body = codec::RecordedBody{codec::BodyEncoding::kText, std::move(response_body), -1};
  i.response.first_byte_ms = first_byte_ms;
  i.response.elapsed_ms = elapsed_ms;
  return i;
}

std::string content_event(const std::string& text, bool first = false, bool last = false) {
  Json delta = Json::object();
  if (first) delta["role"] = "assistant";
  if (!last) delta["content"] = text;
  Json c = {{"id", "chatcmpl-rec"}, {"object", "chat.completion.chunk"}, {"created", 1}, {"model", "gpt-4o"},
            {"choices", Json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", last ? Json("stop") : Json()}}})}};
  return "data: " + c.dump() + "\n\n";
}

// A recorded stream of 7 content events + [DONE] (8 events) whose read boundaries do not
// follow the events: two events in one read, an event split over two reads.
struct SplitStream {
  std::vector<std::string> events;  // E1..E7, [DONE]
  codec::Interaction interaction;
};

SplitStream split_stream() {
  SplitStream s;
  s.events.push_back(content_event("Hello", true));
  for (const char* w : {" there", ",", " recorded", " stream", " of"}) s.events.push_back(content_event(w));
  s.events.push_back(content_event("", false, true));
  s.events.push_back("data: [DONE]\n\n");
  const auto& e = s.events;
  codec::Interaction& i = s.interaction;
  i.id = "0001";
  i.request.method = "POST";
  i.request.path = "/v1/chat/completions";
  i.request.body = codec::RecordedBody{codec::BodyEncoding::kJson, chat_body("stream please", true).dump(), -1};
  i.response.status = 200;
  i.response.headers.add("content-type", "text/event-stream; charset=utf-8");
  i.response.headers.add("x-request-id", "req_stream");
  i.response.streamed = true;
  i.response.first_byte_ms = 80;
  i.response.elapsed_ms = 180;
  const size_t half4 = e[3].size() / 2;
  i.response.chunks = {
      {100, e[0] + e[1]},
      {120, e[2] + e[3].substr(0, half4)},
      {140, e[3].substr(half4) + e[4] + e[5].substr(0, 5)},
      {160, e[5].substr(5) + e[6]},
      {180, e[7]},
  };
  return s;
}

// ---- Playing ----

// Captures the exchange with the virtual time of every piece.
class CapturingHandler final : public ResponseHandler {
 public:
  explicit CapturingHandler(Clock& clock) : clock_(clock), start_(clock.now()) {}
  // ResponseHandler
  void on_head(int status, const Headers& headers) override {
    status_ = status;
    headers_ = headers;
    head_at_ = clock_.now() - start_;
  }
  bool on_body(std::string_view bytes) override {
    pieces_.push_back(TimedChunk{clock_.now() - start_, std::string(bytes)});
    return true;
  }
  void on_complete(Status status) override {
    final_ = std::move(status);
    done_at_ = clock_.now() - start_;
    done_.notify();
  }

  std::string body() const {
    std::string b;
    for (const auto& p : pieces_) b += p.bytes;
    return b;
  }

  Clock& clock_;
  TimePoint start_;
  Completion done_;
  int status_ = 0;
  Headers headers_;
  Duration head_at_{-1};
  std::vector<TimedChunk> pieces_;
  Status final_;
  Duration done_at_{0};
};

class ReplayTest : public ::testing::Test {
 protected:
  void make(std::vector<codec::Cassette> cassettes, SimOptions opts = {}) {
    opts.replay.cassettes = std::move(cassettes);
    auto e = SimEngine::Create(opts, clock_);
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    transport_.reset();
    engine_ = std::move(e).value();
    transport_ = std::make_unique<InProcessTransport>(clock_, engine_handler(*engine_));
  }
  void set_faults(std::string_view json) {
    auto p = parse_fault_plan(json, "replay-test");
    ASSERT_OK(p);
    ASSERT_OK(engine_->set_faults(*p));
  }
  std::unique_ptr<CapturingHandler> play(const HttpRequest& req, CallOptions co = {}) {
    auto h = std::make_unique<CapturingHandler>(clock_);
    CallPtr call = transport_->start(req, co, *h);
    if (!h->done_.wait(clock_)) {
      call->cancel();
      h->done_.wait(clock_);
    }
    return h;
  }
  ChatClient client(Transport& t, Clock& c) {
    Endpoint ep{"openai", "http://sim.invalid/v1", Secret("sk-sim-test"), {}};
    CallOptions co;
    co.first_byte_timeout = 5s;
    co.idle_timeout = 5s;
    return ChatClient(*adapter_, ep, t, c, co);
  }
  // Records `requests` against a synthetic engine (default pacing) on its own clock.
  codec::Cassette record(const std::vector<ChatRequest>& requests, std::vector<Result<ChatResponse>>* answers = nullptr) {
    SimulatedClock rec_clock;
    SimOptions o;
    o.seed = 99;
    auto synth = SimEngine::Create(o, rec_clock);
    EXPECT_TRUE(synth.ok());
    codec::Cassette c = empty_cassette("recorded");
    InProcessTransport t(rec_clock, recording_handler(**synth, c));
    ChatClient cl = client(t, rec_clock);
    for (const auto& r : requests) {
      auto res = r.stream ? cl.stream(r, [](const StreamEvent&) {}) : cl.complete(r);
      EXPECT_OK(res);
      if (answers) answers->push_back(std::move(res));
    }
    return c;
  }

  SimulatedClock clock_;
  ProviderAdapterPtr adapter_ = adapters::openai::make_openai_adapter();
  std::unique_ptr<SimEngine> engine_;
  std::unique_ptr<InProcessTransport> transport_;
};

ChatRequest hello(bool stream, std::string text = "Hello simulator, please answer.") {
  ChatRequest r;
  r.model = "gpt-4o";
  r.messages.push_back(Message::User(std::move(text)));
  r.stream = stream;
  return r;
}

// ---- Byte-exact replay ----

TEST_F(ReplayTest, RecordedSyntheticConversationReplaysThroughChatClient) {
  std::vector<Result<ChatResponse>> live;
  codec::Cassette c = record({hello(false), hello(true), hello(false, "A second question")}, &live);
  ASSERT_EQ(c.interactions.size(), 3u);
  make({c});
  ASSERT_TRUE(engine_->replay_enabled());
  ChatClient cl = client(*transport_, clock_);
  auto a = cl.complete(hello(false));
  auto b = cl.stream(hello(true), [](const StreamEvent&) {});
  auto d = cl.complete(hello(false, "A second question"));
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK(d);
  EXPECT_EQ(a->content, live[0]->content);
  EXPECT_EQ(a->id, live[0]->id);
  EXPECT_EQ(a->request_id, live[0]->request_id);
  EXPECT_EQ(b->content, live[1]->content);
  EXPECT_EQ(d->content, live[2]->content);
  EXPECT_TRUE(engine_->strict_report().ok()) << engine_->strict_report().to_string();
  auto j = engine_->journal();
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0].replay, "recorded#0");
  EXPECT_EQ(j[1].replay, "recorded#1");
  EXPECT_EQ(j[1].request_id, live[1]->request_id);
  EXPECT_TRUE(j[1].stream);
}

TEST_F(ReplayTest, NonStreamBodyAndHeadersAreByteEqual) {
  codec::Cassette c = record({hello(false)});
  const codec::RecordedResponse& rec = c.interactions[0].response;
  make({c});
  // Replay the exact recorded request (the adapter's body) as raw HTTP.
  HttpRequest req;
  req.base_url = "http://sim.invalid/v1";
  req.path = "/chat/completions";
  req.body = c.interactions[0].request.body.bytes;
  auto h = play(req);
  ASSERT_OK(h->final_);
  EXPECT_EQ(h->status_, 200);
  EXPECT_EQ(h->body(), rec.body.bytes);
  ASSERT_EQ(h->pieces_.size(), 1u);
  // Recorded headers only (framing headers are the player's business).
  EXPECT_EQ(h->headers_.get("x-request-id"), rec.headers.get("x-request-id"));
  EXPECT_EQ(h->headers_.get("openai-processing-ms"), rec.headers.get("openai-processing-ms"));
  size_t n = 0;
  for (const auto& [k, v] : h->headers_.items()) n += iequals(k, "openai-processing-ms") ? 1 : 0;
  EXPECT_EQ(n, 1u);  // not added a second time
  EXPECT_EQ(h->head_at_, Duration(std::chrono::microseconds(static_cast<int64_t>(rec.first_byte_ms * 1000))));
}

TEST_F(ReplayTest, StreamChunkBoundariesAndOffsetsAreIdentical) {
  SplitStream s = split_stream();
  codec::Cassette c = empty_cassette("split");
  c.interactions.push_back(s.interaction);
  make({c});
  auto h = play(chat_http(chat_body("stream please", true)));
  ASSERT_OK(h->final_);
  EXPECT_EQ(h->head_at_, 80ms);
  ASSERT_EQ(h->pieces_.size(), s.interaction.response.chunks.size());
  for (size_t i = 0; i < h->pieces_.size(); ++i) {
    EXPECT_EQ(h->pieces_[i].bytes, s.interaction.response.chunks[i].data) << i;
    EXPECT_EQ(h->pieces_[i].at, Duration(std::chrono::milliseconds(100 + 20 * static_cast<int>(i)))) << i;
  }
  EXPECT_EQ(h->headers_.get("x-request-id"), "req_stream");
}

TEST_F(ReplayTest, RecordedStreamFromEngineReplaysWithSamePieces) {
  codec::Cassette c = record({hello(true)});
  const codec::RecordedResponse& rec = c.interactions[0].response;
  ASSERT_TRUE(rec.streamed);
  make({c});
  HttpRequest req;
  req.base_url = "http://sim.invalid/v1";
  req.path = "/chat/completions";
  req.body = c.interactions[0].request.body.bytes;
  req.expect_stream = true;
  auto h = play(req);
  ASSERT_OK(h->final_);
  ASSERT_EQ(h->pieces_.size(), rec.chunks.size());
  for (size_t i = 0; i < rec.chunks.size(); ++i) {
    EXPECT_EQ(h->pieces_[i].bytes, rec.chunks[i].data) << i;
    EXPECT_NEAR(ms(h->pieces_[i].at), rec.chunks[i].offset_ms, 1e-6) << i;
  }
}

// ---- Timing ----

class ReplayTimingTest : public ReplayTest, public ::testing::WithParamInterface<std::pair<const char*, double>> {};

TEST_P(ReplayTimingTest, OffsetsFollowTheTimingMode) {
  // Plain locals, not a structured binding: clang 14 cannot capture bindings in lambdas.
  const char* const mode = GetParam().first;
  const double divisor = GetParam().second;  // 0 = everything at 0
  SplitStream s = split_stream();
  codec::Cassette c = empty_cassette("split");
  c.interactions.push_back(s.interaction);
  c.interactions.push_back(json_interaction("0002", chat_body("plain"), R"({"ok":true})", 40, 50));
  SimOptions o;
  auto t = codec::Timing::Parse(mode);
  ASSERT_OK(t);
  o.replay.timing = *t;
  make({c}, o);
  auto scaled = [&](double recorded_ms) {
    return divisor == 0 ? Duration{0} : Duration(static_cast<int64_t>(recorded_ms * 1e6 / divisor));
  };
  auto st = play(chat_http(chat_body("stream please", true)));
  ASSERT_OK(st->final_);
  EXPECT_EQ(st->head_at_, scaled(80));
  ASSERT_EQ(st->pieces_.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(st->pieces_[i].at, scaled(100 + 20.0 * i)) << mode << " " << i;
  auto ns = play(chat_http(chat_body("plain")));
  ASSERT_OK(ns->final_);
  EXPECT_EQ(ns->head_at_, scaled(40));
  ASSERT_EQ(ns->pieces_.size(), 1u);
  EXPECT_EQ(ns->pieces_[0].at, scaled(50));
  EXPECT_EQ(ns->body(), R"({"ok":true})");
}

INSTANTIATE_TEST_SUITE_P(Modes, ReplayTimingTest,
                         ::testing::Values(std::make_pair("recorded", 1.0), std::make_pair("none", 0.0),
                                           std::make_pair("x2", 2.0), std::make_pair("x0.5", 0.5)));

// ---- Recorded order, after-last ----

codec::Cassette two_answers() {
  codec::Cassette c = empty_cassette("order");
  c.interactions.push_back(json_interaction("0001", chat_body("same"), R"({"n":1})"));
  c.interactions.push_back(json_interaction("0002", chat_body("same"), R"({"n":2})"));
  return c;
}

// The simulator's replay ignores the packages' volatile request fields unless configured.
TEST(ReplayDefaults, IgnorePathsAreThePackagesVolatileFields) {
  EXPECT_EQ(SimOptions{}.replay.options.match.ignore_paths, adapters::builtin_cassette_ignore_paths());
  EXPECT_FALSE(SimOptions{}.replay.options.match.ignore_paths.empty());
}

TEST_F(ReplayTest, IdenticalRequestsGetRecordedOrderThenRepeatLast) {
  make({two_answers()});
  // Key order and volatile fields do not matter for matching.
  Json b = chat_body("same");
  b["user"] = "someone";
  EXPECT_EQ(play(chat_http(b))->body(), R"({"n":1})");
  EXPECT_EQ(play(chat_http(chat_body("same")))->body(), R"({"n":2})");
  EXPECT_EQ(play(chat_http(chat_body("same")))->body(), R"({"n":2})");
  EXPECT_TRUE(engine_->replay_misses().empty());
  auto usage = engine_->replay_usage();
  ASSERT_EQ(usage.size(), 2u);
  EXPECT_EQ(usage[0].uses, 1u);
  EXPECT_EQ(usage[1].uses, 2u);
}

TEST_F(ReplayTest, AfterLastFailAnswersNoMatchWhenExhausted) {
  SimOptions o;
  o.replay.options.after_last = codec::AfterLast::kFail;
  make({two_answers()}, o);
  EXPECT_EQ(play(chat_http(chat_body("same")))->status_, 200);
  EXPECT_EQ(play(chat_http(chat_body("same")))->status_, 200);
  auto h = play(chat_http(chat_body("same")));
  EXPECT_EQ(h->status_, 400);
  Json err = Json::parse(h->body());
  EXPECT_EQ(err["error"]["code"], "cassette_no_match");
  EXPECT_NE(err["error"]["message"].get<std::string>().find("already used"), std::string::npos)
      << err["error"]["message"];
  ASSERT_EQ(engine_->replay_misses().size(), 1u);
  EXPECT_TRUE(engine_->replay_misses()[0].exhausted);
}

TEST_F(ReplayTest, ResetReplayStartsRecordedOrderOver) {
  make({two_answers()});
  EXPECT_EQ(play(chat_http(chat_body("same")))->body(), R"({"n":1})");
  engine_->reset_replay();
  EXPECT_EQ(play(chat_http(chat_body("same")))->body(), R"({"n":1})");
}

// ---- Near misses ----

TEST_F(ReplayTest, UnmatchedRequestGetsOpenAiShapedNearMissError) {
  make({two_answers()});
  Json b = chat_body("sane");
  b["top_p"] = 0.5;
  auto h = play(chat_http(b));
  EXPECT_EQ(h->status_, 400);
  EXPECT_EQ(h->headers_.get("x-ploke-replay"), "miss");
  EXPECT_EQ(h->headers_.get("content-type"), "application/json");
  Json err = Json::parse(h->body());
  ASSERT_TRUE(err.contains("error"));
  EXPECT_EQ(err["error"]["type"], "invalid_request_error");
  EXPECT_EQ(err["error"]["code"], "cassette_no_match");
  EXPECT_TRUE(err["error"]["param"].is_null());
  const std::string msg = err["error"]["message"];
  EXPECT_NE(msg.find("no recorded interaction matches POST /v1/chat/completions"), std::string::npos) << msg;
  EXPECT_NE(msg.find("nearest: order#0 (id 0001) POST /v1/chat/completions"), std::string::npos) << msg;
  EXPECT_NE(msg.find("changed messages[0].content: \"same\" -> \"sane\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("added top_p: 0.5"), std::string::npos) << msg;

  auto misses = engine_->replay_misses();
  ASSERT_EQ(misses.size(), 1u);
  ASSERT_TRUE(misses[0].nearest);
  EXPECT_EQ(misses[0].nearest->id, "0001");
  Json mj = Json::parse(replay_misses_to_json(misses));
  ASSERT_EQ(mj["misses"].size(), 1u);
  EXPECT_EQ(mj["misses"][0]["nearest"]["id"], "0001");
  EXPECT_EQ(mj["misses"][0]["diff"].size(), 2u);
  EXPECT_EQ(engine_->journal().back().replay, "miss");
  EXPECT_EQ(engine_->journal().back().status, 400);
}

TEST_F(ReplayTest, ChatClientSeesAMissAsInvalidRequestNotNotFound) {
  codec::Cassette c = record({hello(false)});
  make({c});
  ChatClient cl = client(*transport_, clock_);
  auto r = cl.complete(hello(false, "Something never recorded"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidRequest) << r.status().to_string();
  EXPECT_EQ(r.status().http_status(), 400);
  EXPECT_NE(r.status().message().find("nearest: recorded#0"), std::string::npos) << r.status().message();
}

TEST_F(ReplayTest, AnthropicPathMissHasAnthropicShape) {
  make({two_answers()});
  HttpRequest req = chat_http(chat_body("hi"), "/v1/messages");
  auto h = play(req);
  EXPECT_EQ(h->status_, 400);
  Json err = Json::parse(h->body());
  EXPECT_EQ(err["type"], "error");
  EXPECT_EQ(err["error"]["type"], "invalid_request_error");
  EXPECT_NE(err["error"]["message"].get<std::string>().find("no recorded interaction matches POST /v1/messages"),
            std::string::npos);
  // The request id in the body (as the API's error bodies carry it) and the header agree.
  ASSERT_TRUE(err["request_id"].is_string());
  EXPECT_EQ(h->headers_.get("request-id").value_or(""), err["request_id"].get<std::string>());
}

TEST_F(ReplayTest, ModelsListStaysSyntheticUnlessRecorded) {
  make({two_answers()});
  HttpRequest req;
  req.method = "GET";
  req.path = "/v1/models";
  auto h = play(req);
  EXPECT_EQ(h->status_, 200);
  EXPECT_NE(h->body().find("gpt-4o"), std::string::npos);
  EXPECT_TRUE(engine_->replay_misses().empty());

  codec::Cassette c = two_answers();
  codec::Interaction m = json_interaction("0003", Json::object(), R"({"object":"list","data":[]})");
  m.request.method = "GET";
  m.request.path = "/v1/models";
  m.request.body = codec::RecordedBody{};
  c.interactions.push_back(m);
  make({c});
  EXPECT_EQ(play(req)->body(), R"({"object":"list","data":[]})");
}

// ---- Faults on top of replayed responses ----

TEST_F(ReplayTest, StreamCutCutsARecordedStreamAtItsFifthEvent) {
  SplitStream s = split_stream();
  codec::Cassette c = empty_cassette("split");
  c.interactions.push_back(s.interaction);
  make({c});
  set_faults(R"({"faults":[{"id":"cut","kind":"stream_cut","after_events":5}]})");
  auto h = play(chat_http(chat_body("stream please", true)));
  EXPECT_EQ(h->final_.code(), StatusCode::kConnectionReset) << h->final_.to_string();
  std::string five;
  for (size_t i = 0; i < 5; ++i) five += s.events[i];
  EXPECT_EQ(h->body(), five);
  // Read boundaries up to the cut are the recorded ones; the read holding the cut is
  // truncated at the event boundary and keeps its time.
  ASSERT_EQ(h->pieces_.size(), 3u);
  EXPECT_EQ(h->pieces_[0].bytes, s.interaction.response.chunks[0].data);
  EXPECT_EQ(h->pieces_[1].bytes, s.interaction.response.chunks[1].data);
  EXPECT_EQ(h->pieces_[2].at, 140ms);
  EXPECT_EQ(engine_->fault_stats()[0].fired, 1u);
  EXPECT_EQ(engine_->journal().back().ending, "reset");
  EXPECT_EQ(engine_->journal().back().fault_id, "cut");
}

TEST_F(ReplayTest, StreamCutOnReplayedStreamIsStreamInterruptedForChatClient) {
  codec::Cassette c = record({hello(true)});
  make({c});
  set_faults(R"({"faults":[{"kind":"stream_cut","after_events":3}]})");
  ChatClient cl = client(*transport_, clock_);
  std::vector<StreamEvent> events;
  auto r = cl.stream(hello(true), [&](const StreamEvent& e) { events.push_back(e); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kStreamInterrupted) << r.status().to_string();
  EXPECT_GT(r.status().delivered().events, 0u);
  EXPECT_GT(r.status().delivered().content_chars, 0u);
}

TEST_F(ReplayTest, MidStreamErrorAndHangOverlayAtEventN) {
  SplitStream s = split_stream();
  codec::Cassette c = empty_cassette("split");
  c.interactions.push_back(s.interaction);
  make({c});
  set_faults(R"({"faults":[{"kind":"mid_stream_error","after_events":2,"trigger":{"nth":1}},
                           {"kind":"hang","after_events":4,"trigger":{"nth":2}}]})");
  auto h = play(chat_http(chat_body("stream please", true)));
  ASSERT_OK(h->final_);
  const std::string body = h->body();
  EXPECT_EQ(body.substr(0, s.events[0].size() + s.events[1].size()), s.events[0] + s.events[1]);
  auto data = testing::sse_data(body);
  ASSERT_EQ(data.size(), 3u);
  EXPECT_NE(data[2].find("\"error\""), std::string::npos) << data[2];
  EXPECT_EQ(h->pieces_.back().at, 120ms);  // where the third event would have started

  CallOptions co;
  co.idle_timeout = 1s;
  auto g = play(chat_http(chat_body("stream please", true)), co);
  EXPECT_EQ(g->final_.code(), StatusCode::kTimeout) << g->final_.to_string();
  EXPECT_EQ(g->body(), s.events[0] + s.events[1] + s.events[2] + s.events[3]);
}

TEST_F(ReplayTest, HttpErrorFaultDoesNotConsumeTheRecording) {
  make({two_answers()});
  set_faults(R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":100,"trigger":{"nth":1}}]})");
  auto a = play(chat_http(chat_body("same")));
  EXPECT_EQ(a->status_, 429);
  EXPECT_EQ(a->headers_.get("retry-after-ms"), "100");
  EXPECT_EQ(play(chat_http(chat_body("same")))->body(), R"({"n":1})");  // the retry gets the first answer
  EXPECT_EQ(engine_->journal().front().replay, "");
}

TEST_F(ReplayTest, DelayAddsToRecordedTimingAndMalformedHalvesTheBody) {
  make({two_answers()});
  set_faults(R"({"faults":[{"kind":"delay","delay_ms":1000,"trigger":{"nth":1}},
                           {"kind":"malformed_json","trigger":{"nth":2}}]})");
  auto a = play(chat_http(chat_body("same")));
  EXPECT_EQ(a->head_at_, 1040ms);
  EXPECT_EQ(a->pieces_.at(0).at, 1050ms);
  EXPECT_EQ(a->body(), R"({"n":1})");
  auto b = play(chat_http(chat_body("same")));
  EXPECT_EQ(b->status_, 200);
  EXPECT_EQ(b->body(), std::string(R"({"n":2})").substr(0, 3));
}

TEST_F(ReplayTest, SlowStreamStretchesRecordedTiming) {
  SplitStream s = split_stream();
  codec::Cassette c = empty_cassette("split");
  c.interactions.push_back(s.interaction);
  make({c});
  set_faults(R"({"faults":[{"kind":"slow_stream","factor":3}]})");
  auto h = play(chat_http(chat_body("stream please", true)));
  ASSERT_OK(h->final_);
  EXPECT_EQ(h->head_at_, 240ms);
  EXPECT_EQ(h->pieces_.back().at, 540ms);
}

// ---- Strict report ----

TEST_F(ReplayTest, StrictReportListsMissesAndUnusedInteractions) {
  codec::Cassette c = two_answers();
  c.interactions.push_back(json_interaction("0003", chat_body("never asked"), R"({"n":3})"));
  make({c});
  EXPECT_TRUE(engine_->strict_report().unused.size() == 3u);
  play(chat_http(chat_body("same")));
  play(chat_http(chat_body("smae")));
  codec::StrictReport rep = engine_->strict_report();
  EXPECT_FALSE(rep.ok());
  EXPECT_EQ(rep.requests, 2u);
  EXPECT_EQ(rep.unmatched, 1u);
  ASSERT_EQ(rep.unused.size(), 2u);  // 0002 (second answer) and 0003
  EXPECT_EQ(rep.unused[1].id, "0003");
  const std::string text = rep.to_string();
  EXPECT_NE(text.find("FAILED"), std::string::npos) << text;
  EXPECT_NE(text.find("unused: order#2 (id 0003)"), std::string::npos) << text;
  EXPECT_NE(text.find("unmatched: no recorded interaction matches"), std::string::npos) << text;
  Json j = Json::parse(strict_report_to_json(rep));
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["unmatched"], 1);
  EXPECT_EQ(j["unused"].size(), 2u);
  EXPECT_EQ(Json::parse(replay_unused_to_json(engine_->replay_unused()))["unused"][1]["label"],
            "order#2 (id 0003) POST /v1/chat/completions");
}

TEST_F(ReplayTest, ConcurrentRequestsAreEachAnsweredAndCounted) {
  make({two_answers()});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  std::vector<int> ok(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        ScriptedResponse r = engine_->handle(chat_http(chat_body(i % 5 == 0 ? "other" : "same")));
        ok[t] += r.status == 200 ? 1 : 0;
      }
    });
  }
  for (auto& th : threads) th.join();
  int hits = 0;
  for (int n : ok) hits += n;
  EXPECT_EQ(hits, kThreads * kPerThread * 4 / 5);
  codec::StrictReport rep = engine_->strict_report();
  EXPECT_EQ(rep.requests, static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(rep.unmatched, static_cast<size_t>(kThreads * kPerThread / 5));
  auto usage = engine_->replay_usage();
  EXPECT_EQ(usage[0].uses + usage[1].uses, static_cast<uint32_t>(hits));
  EXPECT_EQ(usage[0].uses, 1u);
  EXPECT_EQ(engine_->request_count(), static_cast<uint64_t>(kThreads * kPerThread));
}

TEST_F(ReplayTest, ReplayOffMeansEmptyReportsAndSyntheticAnswers) {
  auto e = SimEngine::Create(SimOptions{}, clock_);
  ASSERT_OK(e);
  EXPECT_FALSE((*e)->replay_enabled());
  EXPECT_TRUE((*e)->strict_report().ok());
  EXPECT_TRUE((*e)->replay_misses().empty());
  ScriptedResponse r = (*e)->handle(chat_http(chat_body("hi")));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE((*e)->journal().back().replay.empty());
}

TEST_F(ReplayTest, PerTestCassettesReplayOnlyTheNamedOne) {
  codec::Cassette a = empty_cassette("suite/a");
  a.interactions.push_back(json_interaction("0001", chat_body("hi"), R"({"id":"from-a"})"));
  codec::Cassette b = empty_cassette("suite");  // a prefix of "suite/a": the longest loaded name wins
  b.interactions.push_back(json_interaction("0001", chat_body("hi"), R"({"id":"from-b"})"));
  SimOptions o;
  o.replay.cassettes = {a, b};
  o.replay.options.scope_by_cassette = true;
  auto e = SimEngine::Create(o, clock_);
  ASSERT_OK(e);
  HttpRequest by_header = chat_http(chat_body("hi"));
  by_header.headers.add("x-ploke-cassette", "suite/a");
  EXPECT_EQ((*e)->handle(by_header).body(), R"({"id":"from-a"})");
  EXPECT_EQ((*e)->handle(chat_http(chat_body("hi"), "/cassettes/suite/a/v1/chat/completions")).body(),
            R"({"id":"from-a"})");
  EXPECT_EQ((*e)->journal().back().path, "/v1/chat/completions");  // the prefix is not part of the route
  EXPECT_EQ((*e)->handle(chat_http(chat_body("hi"), "/cassettes/suite/v1/chat/completions")).body(),
            R"({"id":"from-b"})");
  const ScriptedResponse missing = (*e)->handle(chat_http(chat_body("hi"), "/cassettes/other/v1/chat/completions"));
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body().find("cassette_not_found"), std::string::npos) << missing.body();
  EXPECT_NE(missing.body().find("no cassette \\\"other\\\""), std::string::npos) << missing.body();
  EXPECT_EQ((*e)->journal().back().replay, "miss");
  const ScriptedResponse unnamed = (*e)->handle(chat_http(chat_body("hi")));
  EXPECT_EQ(unnamed.status, 400);
  EXPECT_NE(unnamed.body().find("x-ploke-cassette"), std::string::npos) << unnamed.body();
}

TEST_F(ReplayTest, BadIgnorePathIsAnOptionsError) {
  SimOptions o;
  o.replay.cassettes = {two_answers()};
  o.replay.options.match.ignore_paths = {"messages[oops"};
  auto e = SimEngine::Create(o, clock_);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(e.status().message().find("ignore_paths"), std::string::npos) << e.status().message();
}

}  // namespace
}  // namespace ploke::simulator
