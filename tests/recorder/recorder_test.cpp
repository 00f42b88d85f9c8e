// Recorder integration tests: the simulator (or a tiny echoing httplib server) as upstream,
// the recorder in between, a real HTTP client in front; all on loopback, ephemeral ports.
#include "ploke/recorder/recorder.h"

#include <httplib.h>

#include <cmath>
#include <mutex>
#include <thread>
#include <vector>

#include "ploke/codec/cassette_json.h"
#include "ploke/codec/redact.h"
#include "recorder_test_util.h"

namespace ploke::recorder {
namespace {

using namespace ploke::recorder::testing;

class RecorderTest : public ::testing::Test {
 protected:
  std::unique_ptr<Recorder> start(RecorderOptions o) {
    auto r = Recorder::Create(o, clock_);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok()) return nullptr;
    Status st = (*r)->Start();
    EXPECT_TRUE(st.ok()) << st.to_string();
    return std::move(r).value();
  }
  RecorderOptions opts(RecordMode mode, const std::string& cassette) {
    RecorderOptions o;
    o.upstream = sim_.url();
    o.cassette_path = cassette;
    o.mode = mode;
    o.flush_interval = Duration{0};
    o.synthetic = true;
    o.provider = "openai";
    o.protocol = "openai-chat";
    o.threads = 8;
    return o;
  }
  Cassette load(const std::string& path) {
    auto c = codec::load_cassette_file(path);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return c.ok() ? std::move(c).value() : Cassette{};
  }

  RealClock clock_;
  TempDir dir_;
  SimUpstream sim_{clock_};
};

struct Req {
  std::string name;
  std::string body;
  int want_status;
  bool stream;
};

std::vector<Req> library_requests() {
  return {
      {"non-stream", chat_body("gpt-4o", false, "say hi"), 200, false},
      {"stream", chat_body("gpt-4o", true, "stream please"), 200, true},
      {"tool-stream", chat_body("gpt-4o", true, "weather in Paris?", true), 200, true},
      {"tool", chat_body("gpt-4o", false, "weather in Rome?", true), 200, false},
      {"429", chat_body("gpt-4o-mini", false, "rate me"), 429, false},
      {"500", chat_body("gpt-4.1", false, "break me"), 500, false},
      // A stream request answered with a JSON error: the streaming path, Content-Length framing.
      {"429-stream", chat_body("gpt-4o-mini", true, "rate my stream"), 429, false},
  };
}

TEST_F(RecorderTest, RecordsThenReplaysByteExact) {
  const std::string path = dir_.file("lib.json");
  const auto reqs = library_requests();
  std::vector<Reply> live;
  {
    auto rec = start(opts(RecordMode::kAll, path));
    ASSERT_TRUE(rec);
    for (const auto& r : reqs) {
      live.push_back(send(clock_, rec->url(), "POST", "/v1/chat/completions", r.body));
      ASSERT_EQ(live.back().status, r.want_status) << r.name << ": " << live.back().body;
      EXPECT_OK(live.back().final);
    }
    EXPECT_NE(live[2].body.find("tool_calls"), std::string::npos);
    EXPECT_NE(live[3].body.find("tool_calls"), std::string::npos);
    ASSERT_OK(rec->stop());
    EXPECT_EQ(rec->stats().recorded, reqs.size());
  }
  const Cassette c = load(path);
  ASSERT_EQ(c.interactions.size(), reqs.size());
  EXPECT_TRUE(c.synthetic);
  for (size_t i = 0; i < reqs.size(); ++i) {
    const auto& resp = c.interactions[i].response;
    SCOPED_TRACE(reqs[i].name);
    EXPECT_EQ(resp.status, reqs[i].want_status);
    EXPECT_EQ(resp.streamed, reqs[i].stream);
    EXPECT_EQ(resp.body_bytes(), live[i].body);
    EXPECT_EQ(resp.ending, Ending::kComplete);
    if (reqs[i].stream) {
      // Chunks are recorded as received. The text stream spans tens of ms upstream, so it
      // arrives in several reads; the short tool-call stream may legitimately arrive in
      // one read when the machine is loaded (seen under parallel ctest).
      EXPECT_GE(resp.chunks.size(), reqs[i].name == "stream" ? 2u : 1u);
      for (size_t k = 1; k < resp.chunks.size(); ++k) {
        EXPECT_GE(resp.chunks[k].offset_ms, resp.chunks[k - 1].offset_ms);
      }
    }
    EXPECT_GT(resp.elapsed_ms, 0);
    EXPECT_EQ(c.interactions[i].request.path, "/v1/chat/completions");
  }
  EXPECT_TRUE(c.interactions[4].response.headers.has("retry-after"));

  // Replay (mode none): same statuses and bodies, the upstream is never touched.
  const uint64_t upstream_before = sim_.requests();
  auto replay = start(opts(RecordMode::kNone, path));
  ASSERT_TRUE(replay);
  for (size_t i = 0; i < reqs.size(); ++i) {
    Reply r = send(clock_, replay->url(), "POST", "/v1/chat/completions", reqs[i].body);
    EXPECT_EQ(r.status, reqs[i].want_status) << reqs[i].name;
    EXPECT_EQ(r.body, live[i].body) << reqs[i].name;
  }
  EXPECT_EQ(sim_.requests(), upstream_before);
  EXPECT_EQ(replay->stats().replayed, reqs.size());

  // Chunk boundaries and timing of the replayed streams: record the replay itself through
  // a second recorder and compare the two recordings chunk by chunk.
  const std::string path2 = dir_.file("rerecorded.json");
  RecorderOptions o2 = opts(RecordMode::kAll, path2);
  o2.upstream = replay->url();
  auto rerec = start(o2);
  ASSERT_TRUE(rerec);
  for (size_t i : {size_t{1}, size_t{2}}) {
    Reply r = send(clock_, rerec->url(), "POST", "/v1/chat/completions", reqs[i].body);
    EXPECT_EQ(r.body, live[i].body);
  }
  ASSERT_OK(rerec->stop());
  ASSERT_OK(replay->stop());
  const Cassette c2 = load(path2);
  ASSERT_EQ(c2.interactions.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    const auto& a = c.interactions[k + 1].response.chunks;
    const auto& b = c2.interactions[k].response.chunks;
    ASSERT_EQ(a.size(), b.size()) << "stream " << k;
    for (size_t j = 0; j < a.size(); ++j) {
      EXPECT_EQ(a[j].data, b[j].data) << "stream " << k << " chunk " << j;
      // Replay with recorded timing is never early (tight bound: replay without timing
      // would put every chunk near 0) and, on a loaded shared machine, may be late (a
      // generous bound: a scheduler stall of tens of ms is not a replay bug).
      EXPECT_GE(b[j].offset_ms, a[j].offset_ms - 5.0) << "stream " << k << " chunk " << j;
      EXPECT_LE(b[j].offset_ms, a[j].offset_ms + 250.0) << "stream " << k << " chunk " << j;
    }
  }
}

// An upstream that echoes every credential it gets back in an error body and headers.
class EchoUpstream {
 public:
  EchoUpstream() {
    svr_.Post(".*", [](const httplib::Request& req, httplib::Response& res) {
      std::string echo = "Incorrect API key provided: " + req.get_header_value("Authorization") +
                         " / x-api-key " + req.get_header_value("x-api-key") + " / query " +
                         req.get_param_value("api_key") + " / body " + req.body;
      nlohmann_free_escape(echo);
      res.status = 401;
      res.set_header("x-echo-key", req.get_header_value("x-api-key"));
      res.set_header("set-cookie", "session=" + req.get_param_value("api_key"));
      res.set_content("{\"error\":{\"message\":\"" + echo + "\",\"type\":\"invalid_request_error\","
                      "\"code\":\"invalid_api_key\",\"param\":null}}",
                      "application/json");
    });
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    while (!svr_.is_running()) std::this_thread::yield();  // bound: listen_after_bind sets it at once
  }
  ~EchoUpstream() {
    svr_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  // Keeps the echo valid JSON: escapes quotes and backslashes.
  static void nlohmann_free_escape(std::string& s) {
    std::string out;
    for (char ch : s) {
      if (ch == '"' || ch == '\\') out.push_back('\\');
      out.push_back(ch);
    }
    s = out;
  }
  httplib::Server svr_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(RecorderTest, PlantedKeysNeverReachTheCassetteOrLogs) {
  const std::string kProj = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123456789abcd";  // fake key, planted
  const std::string kAnt = "sk-ant-api03-ZyXwVuTsRqPoNmLkJiHg0123456789";  // fake key, planted
  const std::string kQuery = "qk9f8e7d6c5b4a3928170655";
  const std::string kField = "bodysecret7788990011";
  const std::string kInText = "sk-proj-ZZZZyyyyXXXXwwwwVVVVuuuu11112222";  // fake key, planted
  EchoUpstream up;
  std::mutex log_mu;
  std::string logs;
  RecorderOptions o = opts(RecordMode::kAll, dir_.file("keys.json"));
  o.upstream = up.url();
  o.log = [&](std::string_view line) {
    std::lock_guard<std::mutex> l(log_mu);
    logs += std::string(line) + "\n";
  };
  auto rec = start(o);
  ASSERT_TRUE(rec);
  Headers h;
  h.add("Authorization", "Bearer " + kProj);
  h.add("x-api-key", kAnt);
  h.add("OpenAI-Project", "proj_secretproject123");
  const std::string body = "{\"model\":\"gpt-4o\",\"api_key\":\"" + kField +
                           "\",\"messages\":[{\"role\":\"user\",\"content\":\"my key is " + kInText + "\"}]}";
  Reply r = send(clock_, rec->url(), "POST", "/v1/chat/completions?api_key=" + kQuery, body, h);
  ASSERT_EQ(r.status, 401);
  // The live client gets the upstream's bytes unredacted (it is a proxy).
  EXPECT_NE(r.body.find(kQuery), std::string::npos);
  ASSERT_OK(rec->stop());

  auto text = codec::read_file(dir_.file("keys.json"));
  ASSERT_OK(text);
  for (const std::string& secret : {kProj, kAnt, kQuery, kField, kInText, std::string("proj_secretproject123")}) {
    EXPECT_EQ(text->find(secret), std::string::npos) << "cassette leaks " << secret.substr(0, 6) << "…";
    EXPECT_EQ(logs.find(secret), std::string::npos) << "logs leak " << secret.substr(0, 6) << "…";
  }
  EXPECT_NE(text->find("[REDACTED"), std::string::npos);
  const Cassette c = load(dir_.file("keys.json"));
  EXPECT_TRUE(codec::scan_for_secrets(c).empty());
  ASSERT_EQ(c.interactions.size(), 1u);
  EXPECT_EQ(c.interactions[0].response.status, 401);
}

TEST_F(RecorderTest, UnreachableUpstreamGives502NamingItWithoutSecrets) {
  // Port 1 on loopback: connection refused. The prefix carries a key-shaped string.
  const std::string kKey = "sk-proj-PrefixSecretAAAABBBBCCCCDDDD1234";  // fake key, planted
  RecorderOptions o = opts(RecordMode::kAll, dir_.file("down.json"));
  o.upstream = "http://127.0.0.1:1/" + kKey;
  auto rec = start(o);
  ASSERT_TRUE(rec);
  Reply r = send(clock_, rec->url(), "POST", "/v1/chat/completions", chat_body("gpt-4o", false));
  EXPECT_EQ(r.status, 502);
  EXPECT_NE(r.body.find("127.0.0.1:1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("upstream_unreachable"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(kKey), std::string::npos) << r.body;
  ASSERT_OK(rec->stop());
  EXPECT_EQ(rec->stats().upstream_failures, 1u);
  EXPECT_EQ(rec->stats().recorded, 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("down.json")));  // nothing recorded, nothing written
}

TEST_F(RecorderTest, RecordModes) {
  const std::string path = dir_.file("modes.json");
  const std::string a = chat_body("gpt-4o", false, "first");
  const std::string b = chat_body("gpt-4o", false, "second");
  std::string recorded_a;
  {  // once, cassette absent → records
    auto rec = start(opts(RecordMode::kOnce, path));
    ASSERT_TRUE(rec);
    EXPECT_TRUE(rec->records());
    const uint64_t before = sim_.requests();
    Reply r = send(clock_, rec->url(), "POST", "/v1/chat/completions", a);
    EXPECT_EQ(r.status, 200);
    recorded_a = r.body;
    EXPECT_EQ(sim_.requests(), before + 1);
    ASSERT_OK(rec->stop());
    EXPECT_EQ(load(path).interactions.size(), 1u);
  }
  {  // once, cassette present → replay only; unknown request → 404 near miss, no upstream
    auto rec = start(opts(RecordMode::kOnce, path));
    ASSERT_TRUE(rec);
    EXPECT_FALSE(rec->records());
    const uint64_t before = sim_.requests();
    Reply r = send(clock_, rec->url(), "POST", "/v1/chat/completions", a);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, recorded_a);
    Reply miss = send(clock_, rec->url(), "POST", "/v1/chat/completions", b);
    EXPECT_EQ(miss.status, 404);
    EXPECT_TRUE(miss.headers.has("x-ploke-unmatched"));
    EXPECT_NE(miss.body.find("nearest"), std::string::npos) << miss.body;
    EXPECT_EQ(sim_.requests(), before);
    ASSERT_OK(rec->stop());
    EXPECT_EQ(load(path).interactions.size(), 1u);
  }
  {  // new_episodes: known replayed (once), unknown and repeats recorded and appended
    auto rec = start(opts(RecordMode::kNewEpisodes, path));
    ASSERT_TRUE(rec);
    const uint64_t before = sim_.requests();
    Reply r = send(clock_, rec->url(), "POST", "/v1/chat/completions", a);
    EXPECT_EQ(r.body, recorded_a);
    EXPECT_EQ(sim_.requests(), before);
    EXPECT_EQ(send(clock_, rec->url(), "POST", "/v1/chat/completions", b).status, 200);
    EXPECT_EQ(sim_.requests(), before + 1);
    EXPECT_EQ(send(clock_, rec->url(), "POST", "/v1/chat/completions", a).status, 200);  // used up → recorded
    EXPECT_EQ(sim_.requests(), before + 2);
    ASSERT_OK(rec->stop());
    const Cassette c = load(path);
    ASSERT_EQ(c.interactions.size(), 3u);
    EXPECT_EQ(c.interactions[2].id, "0003");
  }
  {  // all: re-records everything, overwriting
    auto rec = start(opts(RecordMode::kAll, path));
    ASSERT_TRUE(rec);
    const uint64_t before = sim_.requests();
    EXPECT_EQ(send(clock_, rec->url(), "POST", "/v1/chat/completions", a).status, 200);
    EXPECT_EQ(sim_.requests(), before + 1);
    ASSERT_OK(rec->stop());
    EXPECT_EQ(load(path).interactions.size(), 1u);
  }
  {  // none without a cassette: refused at creation
    RecorderOptions o = opts(RecordMode::kNone, dir_.file("absent.json"));
    auto r = Recorder::Create(o, clock_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  }
}

TEST_F(RecorderTest, MalformedCassetteNamesFileAndField) {
  const std::string path = dir_.file("bad.json");
  ASSERT_OK(codec::write_file_atomic(
      path, "{\"format\":\"ploke-cassette\",\"version\":1,\"interactions\":[{\"request\":{\"method\":3}}]}"));
  auto r = Recorder::Create(opts(RecordMode::kNone, path), clock_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("interactions[0]"), std::string::npos) << r.status().message();

  ASSERT_OK(codec::write_file_atomic(path, "{\"format\":\"ploke-cassette\",\"vers"));
  auto t = Recorder::Create(opts(RecordMode::kOnce, path), clock_);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(t.status().message().find(path), std::string::npos) << t.status().message();
}

TEST_F(RecorderTest, PeriodicFlushWritesWithoutStop) {
  const std::string path = dir_.file("periodic.json");
  RecorderOptions o = opts(RecordMode::kAll, path);
  o.flush_interval = std::chrono::milliseconds(20);
  auto rec = start(o);
  ASSERT_TRUE(rec);
  EXPECT_EQ(send(clock_, rec->url(), "POST", "/v1/chat/completions", chat_body("gpt-4o", true)).status, 200);
  // Poll (bounded) for the timer-driven flush.
  const TimePoint deadline = clock_.now() + std::chrono::seconds(10);
  while (rec->stats().flushes == 0 && clock_.now() < deadline) clock_.sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(rec->stats().flushes, 1u);
  EXPECT_EQ(load(path).interactions.size(), 1u);
  ASSERT_OK(rec->stop());
}

TEST_F(RecorderTest, UpstreamStreamCutIsRecordedAsResetAndCutForTheClient) {
  sim::SimOptions so;
  so.seed = 5;
  so.latency = sim::LatencyModel::Fast();
  Fault cut;
  cut.kind = FaultKind::kStreamCut;
  cut.after_events = 3;
  so.faults.faults = {cut};
  auto engine = sim::SimEngine::Create(so, clock_);
  ASSERT_OK(engine);
  auto server = sim::SimServer::Start(**engine, clock_, sim::ServerOptions{});
  ASSERT_OK(server);
  RecorderOptions o = opts(RecordMode::kAll, dir_.file("cut.json"));
  o.upstream = (*server)->url();
  auto rec = start(o);
  ASSERT_TRUE(rec);
  Reply r = send(clock_, rec->url(), "POST", "/v1/chat/completions", chat_body("gpt-4o", true, "cut me"));
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.final.ok());  // the client sees the cut, not a clean end
  EXPECT_EQ(r.body.find("[DONE]"), std::string::npos);
  ASSERT_OK(rec->stop());
  const Cassette c = load(dir_.file("cut.json"));
  ASSERT_EQ(c.interactions.size(), 1u);
  EXPECT_EQ(c.interactions[0].response.ending, Ending::kReset);
  EXPECT_TRUE(c.interactions[0].response.streamed);
  EXPECT_EQ(c.interactions[0].response.body_bytes(), r.body);
  (*server)->stop();
}

TEST_F(RecorderTest, StreamsReachTheClientBeforeTheUpstreamFinishes) {
  // A slow stream (~1 s): the client must see the first bytes long before the end.
  sim::SimOptions so;
  so.seed = 3;
  so.latency.time_to_first_token = std::chrono::milliseconds(10);
  so.latency.tokens_per_second = 40;
  so.length = {40, 40};
  auto engine = sim::SimEngine::Create(so, clock_);
  ASSERT_OK(engine);
  auto server = sim::SimServer::Start(**engine, clock_, sim::ServerOptions{});
  ASSERT_OK(server);
  RecorderOptions o = opts(RecordMode::kAll, dir_.file("slow.json"));
  o.upstream = (*server)->url();
  auto rec = start(o);
  ASSERT_TRUE(rec);

  struct FirstByte : ploke::testing::RecordingHandler {
    explicit FirstByte(Clock& c) : clock(c), t0(c.now()) {}
    bool on_body(std::string_view b) override {
      if (chunks_ == 0) first = clock.now() - t0;
      return RecordingHandler::on_body(b);
    }
    void on_complete(Status s) override {
      total = clock.now() - t0;
      RecordingHandler::on_complete(std::move(s));
    }
    Clock& clock;
    TimePoint t0;
    Duration first{0}, total{0};
  };
  HttpTransport http(clock_);
  HttpRequest req;
  req.base_url = rec->url();
  req.path = "/v1/chat/completions";
  req.body = chat_body("gpt-4o", true, "go slowly");
  req.headers.add("content-type", "application/json");
  FirstByte h(clock_);
  http.start(req, CallOptions{}, h);
  EXPECT_OK(h.final_);
  EXPECT_GT(h.chunks_, 10);
  EXPECT_LT(to_ms(h.first) * 3, to_ms(h.total)) << "first byte " << to_ms(h.first) << " ms, total " << to_ms(h.total);
  ASSERT_OK(rec->stop());
  (*server)->stop();
}

}  // namespace
}  // namespace ploke::recorder
