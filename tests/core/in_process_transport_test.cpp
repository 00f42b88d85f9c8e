// InProcessTransport and ChatClient on a SimulatedClock: every timing and failure path in
// virtual time, with a scripted handler and a minimal line-based fake adapter.
#include "ploke/core/in_process_transport.h"

#include <gtest/gtest.h>

#include "ploke/core/chat_client.h"
#include "support/test_support.h"

namespace ploke {
namespace {

using namespace std::chrono_literals;
using testing::RecordingHandler;

ScriptedResponse stream_script(std::vector<std::pair<Duration, std::string>> chunks, Ending ending) {
  ScriptedResponse r;
  r.status = 200;
  r.streaming = true;
  for (auto& [at, bytes] : chunks) r.chunks.push_back(TimedChunk{at, bytes});
  r.ending = ending;
  return r;
}

class InProcessTransportTest : public ::testing::Test {
 protected:
  CallPtr start(ScriptedResponse script, CallOptions opts = {}) {
    transport_ = std::make_unique<InProcessTransport>(clock_, [script](const HttpRequest&) { return script; });
    return transport_->start(HttpRequest{}, opts, handler_);
  }
  SimulatedClock clock_;
  std::unique_ptr<InProcessTransport> transport_;
  RecordingHandler handler_;
};

TEST_F(InProcessTransportTest, NothingHappensUntilTheClockIsDriven) {
  auto call = start(ScriptedResponse::Simple(200, {}, "hi", 10ms));
  EXPECT_EQ(handler_.heads_, 0);
  clock_.advance(9ms);
  EXPECT_EQ(handler_.heads_, 0);
  clock_.advance(1ms);
  EXPECT_EQ(handler_.heads_, 1);
  EXPECT_EQ(handler_.body_, "hi");
  EXPECT_EQ(handler_.completes_, 1);
  EXPECT_OK(handler_.final_);
  EXPECT_TRUE(call->done());
}

TEST_F(InProcessTransportTest, ChunksArriveAtTheirOffsets) {
  const TimePoint t0 = clock_.now();
  std::vector<Duration> arrivals;
  class TimingHandler : public RecordingHandler {
   public:
    TimingHandler(Clock& c, TimePoint t0, std::vector<Duration>& out) : c_(c), t0_(t0), out_(out) {}
    bool on_body(std::string_view b) override { out_.push_back(c_.now() - t0_); return RecordingHandler::on_body(b); }
    Clock& c_; TimePoint t0_; std::vector<Duration>& out_;
  } h(clock_, t0, arrivals);
  InProcessTransport t(clock_, [](const HttpRequest&) {
    return stream_script({{0ms, "a"}, {20ms, "b"}, {25ms, "c"}}, Ending::kComplete);
  });
  auto call = t.start(HttpRequest{}, {}, h);
  clock_.run_until_idle();
  EXPECT_EQ(arrivals, (std::vector<Duration>{0ms, 20ms, 25ms}));
  EXPECT_EQ(h.body_, "abc");
  EXPECT_OK(h.final_);
}

TEST_F(InProcessTransportTest, HangEndsWithFirstByteTimeout) {
  ScriptedResponse s;
  s.send_head = false;
  s.ending = Ending::kHang;
  CallOptions o;
  o.first_byte_timeout = 5s;
  const TimePoint t0 = clock_.now();
  auto call = start(s, o);
  clock_.run_until_idle();
  EXPECT_EQ(handler_.final_.code(), StatusCode::kTimeout);
  EXPECT_EQ(handler_.final_.timeout_phase(), TimeoutPhase::kFirstByte);
  EXPECT_EQ(clock_.now() - t0, 5s);
  EXPECT_EQ(handler_.heads_, 0);
}

TEST_F(InProcessTransportTest, StallAfterChunksEndsWithIdleTimeout) {
  CallOptions o;
  o.idle_timeout = 2s;
  auto call = start(stream_script({{0ms, "a"}, {1s, "b"}}, Ending::kHang), o);
  clock_.run_until_idle();
  EXPECT_EQ(handler_.body_, "ab");
  EXPECT_EQ(handler_.final_.code(), StatusCode::kTimeout);
  EXPECT_EQ(handler_.final_.timeout_phase(), TimeoutPhase::kIdle);
}

TEST_F(InProcessTransportTest, SlowTrickleEndsWithTotalTimeout) {
  CallOptions o;
  o.idle_timeout = 2s;
  o.total_timeout = 3s;
  auto call = start(stream_script({{0ms, "a"}, {1500ms, "b"}, {3000ms, "c"}, {4500ms, "d"}}, Ending::kComplete), o);
  clock_.run_until_idle();
  EXPECT_EQ(handler_.final_.timeout_phase(), TimeoutPhase::kTotal);
  EXPECT_EQ(handler_.body_, "ab");  // the chunk due exactly at 3 s was scheduled after the deadline
}

TEST_F(InProcessTransportTest, ResetAndEmptyReplyAreConnectionResets) {
  ScriptedResponse reset;
  reset.send_head = false;
  reset.ending = Ending::kReset;
  auto c1 = start(reset);
  clock_.run_until_idle();
  EXPECT_EQ(handler_.final_.code(), StatusCode::kConnectionReset);
  EXPECT_EQ(handler_.heads_, 0);

  RecordingHandler h2;
  ScriptedResponse empty;
  empty.ending = Ending::kCloseNoReply;
  InProcessTransport t(clock_, [empty](const HttpRequest&) { return empty; });
  auto c2 = t.start(HttpRequest{}, {}, h2);
  clock_.run_until_idle();
  EXPECT_EQ(h2.final_.code(), StatusCode::kConnectionReset);
}

TEST_F(InProcessTransportTest, StreamCutDeliversThenResets) {
  auto call = start(stream_script({{0ms, "a"}, {5ms, "b"}}, Ending::kReset));
  clock_.run_until_idle();
  EXPECT_EQ(handler_.body_, "ab");
  EXPECT_EQ(handler_.final_.code(), StatusCode::kConnectionReset);
}

TEST_F(InProcessTransportTest, CancelCompletesWithCancelled) {
  ScriptedResponse s;
  s.send_head = false;
  s.ending = Ending::kHang;
  auto call = start(s);
  call->cancel();
  clock_.run_until_idle();
  EXPECT_EQ(handler_.final_.code(), StatusCode::kCancelled);
  EXPECT_EQ(handler_.completes_, 1);
}

TEST_F(InProcessTransportTest, HandlerAbortCancels) {
  handler_.abort_after_first_chunk_ = true;
  auto call = start(stream_script({{0ms, "a"}, {5ms, "b"}}, Ending::kComplete));
  clock_.run_until_idle();
  EXPECT_EQ(handler_.body_, "a");
  EXPECT_EQ(handler_.final_.code(), StatusCode::kCancelled);
}

TEST_F(InProcessTransportTest, SendAndWaitDrivesVirtualTime) {
  transport_ = std::make_unique<InProcessTransport>(
      clock_, [](const HttpRequest&) { return ScriptedResponse::Simple(201, {}, "done", 30s); });
  const TimePoint t0 = clock_.now();
  auto r = send_and_wait(*transport_, clock_, HttpRequest{}, {});
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "done");
  EXPECT_EQ(clock_.now() - t0, 30s);
}

// ---- ChatClient over the in-process transport, with a tiny line protocol adapter ------
// Wire format of the fake: non-stream body = the content; stream body = lines "t:<text>",
// "e:<error>", terminated by "done". Non-2xx → kServerError.
class LineDecoder final : public StreamDecoder {
 public:
  Status feed(std::string_view bytes, std::vector<StreamEvent>& out) override {
    buf_.append(bytes);
    size_t nl;
    while ((nl = buf_.find('\n')) != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      if (line == "done") { done_ = true; continue; }
      if (line.rfind("e:", 0) == 0) return OverloadedError(line.substr(2));
      out.push_back(StreamEvent::TextDelta(line.substr(2)));
    }
    return Status::Ok();
  }
  Status finish(std::vector<StreamEvent>&) override {
    return done_ ? Status::Ok() : ConnectionResetError("stream ended without done");
  }
  bool terminated() const override { return done_; }

 private:
  std::string buf_;
  bool done_ = false;
};

class LineAdapter final : public ProviderAdapter {
 public:
  std::string_view name() const override { return "line"; }
  Result<HttpRequest> build_request(const ChatRequest& r, const Endpoint& ep) const override {
    HttpRequest h;
    h.base_url = ep.base_url;
    h.path = "/chat";
    h.body = r.messages.empty() ? "" : r.messages[0].text();
    h.expect_stream = r.stream;
    return h;
  }
  Result<ChatResponse> parse_response(const HttpResponse& r, const Endpoint&) const override {
    ChatResponse out;
    out.content = r.body;
    return out;
  }
  Status map_error(const HttpResponse& r, const Endpoint&) const override {
    return ServerError("status " + std::to_string(r.status)).with_http_status(r.status);
  }
  std::unique_ptr<StreamDecoder> new_stream_decoder(const Endpoint&) const override {
    return std::make_unique<LineDecoder>();
  }
};

class ChatClientTest : public ::testing::Test {
 protected:
  Result<ChatResponse> run(ScriptedResponse script, bool stream, CallOptions opts = {}) {
    InProcessTransport t(clock_, [script](const HttpRequest&) { return script; });
    ChatClient client(adapter_, Endpoint{"fake", "inproc://", Secret{}, {}}, t, clock_, opts);
    ChatRequest req;
    req.messages.push_back(Message::User("hi"));
    if (!stream) return client.complete(req);
    return client.stream(req, [this](const StreamEvent& e) { events_.push_back(e); });
  }
  SimulatedClock clock_;
  LineAdapter adapter_;
  std::vector<StreamEvent> events_;
};

TEST_F(ChatClientTest, CompleteParsesSuccessAndMapsErrors) {
  auto ok = run(ScriptedResponse::Simple(200, {}, "hello"), false);
  ASSERT_OK(ok);
  EXPECT_EQ(ok->content, "hello");
  EXPECT_EQ(ok->provider, "fake");
  auto bad = run(ScriptedResponse::Simple(503, {}, "busy"), false);
  EXPECT_EQ(bad.status().code(), StatusCode::kServerError);
  EXPECT_EQ(bad.status().provider(), "fake");
  EXPECT_EQ(bad.status().http_status(), 503);
}

TEST_F(ChatClientTest, StreamDeliversEventsInOrder) {
  auto r = run(stream_script({{0ms, "t:He"}, {1ms, "llo\nt:!\n"}, {2ms, "done\n"}}, Ending::kComplete), true);
  ASSERT_OK(r);
  EXPECT_EQ(r->content, "Hello!");
  ASSERT_EQ(events_.size(), 2u);
}

TEST_F(ChatClientTest, CutAfterContentIsStreamInterruptedWithDelivered) {
  auto r = run(stream_script({{0ms, "t:abc\n"}, {1ms, "t:de\n"}}, Ending::kReset), true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kStreamInterrupted);
  EXPECT_EQ(r.status().delivered().content_chars, 5u);
  EXPECT_EQ(events_.size(), 2u);
}

TEST_F(ChatClientTest, FailureBeforeContentKeepsItsOwnCode) {
  auto r = run(stream_script({}, Ending::kReset), true);
  EXPECT_EQ(r.status().code(), StatusCode::kConnectionReset);
  CallOptions o;
  o.first_byte_timeout = 1s;
  ScriptedResponse hang;
  hang.send_head = false;
  hang.ending = Ending::kHang;
  auto t = run(hang, true, o);
  EXPECT_EQ(t.status().code(), StatusCode::kTimeout);
  EXPECT_EQ(t.status().timeout_phase(), TimeoutPhase::kFirstByte);
}

TEST_F(ChatClientTest, InBandErrorAfterContentIsInterrupted) {
  auto r = run(stream_script({{0ms, "t:abc\n"}, {1ms, "e:Overloaded\n"}}, Ending::kComplete), true);
  EXPECT_EQ(r.status().code(), StatusCode::kStreamInterrupted);
  EXPECT_NE(r.status().message().find("overloaded"), std::string::npos);
}

TEST_F(ChatClientTest, HangWithoutTimeoutIsCancelledNotStuck) {
  ScriptedResponse hang;
  hang.send_head = false;
  hang.ending = Ending::kHang;
  auto r = run(hang, false);
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
}

// Header names compare ASCII case-insensitively (iequals folds A-Z only, as tolower in the
// "C" locale); get() returns the first match, set() replaces every match.
TEST(HeadersTest, NamesCompareAsciiCaseInsensitively) {
  EXPECT_TRUE(iequals("Content-Type", "content-type"));
  EXPECT_TRUE(iequals("X-RATELIMIT-LIMIT-REQUESTS", "x-ratelimit-limit-requests"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("content-type", "content-typ"));
  EXPECT_FALSE(iequals("retry-after", "retry_after"));
  EXPECT_FALSE(iequals("a[", "A{"));  // '[' and '{' differ by 0x20 but are not letters
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("\xC3\x89", "\xC3\xA9"));  // no folding beyond ASCII
  Headers h;
  h.add("Retry-After", "2");
  h.add("retry-after", "3");
  h.add("X-Request-Id", "req_1");
  ASSERT_TRUE(h.get("RETRY-AFTER").has_value());
  EXPECT_EQ(*h.get("RETRY-AFTER"), "2");
  EXPECT_EQ(*h.get("x-request-id"), "req_1");
  EXPECT_FALSE(h.has("x-request"));
  h.set("RETRY-after", "5");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(*h.get("retry-after"), "5");
}

}  // namespace
}  // namespace ploke
