// Recorder integration tests: the simulator (or a tiny echoing httplib server) as upstream,
// the recorder in between, a real HTTP client in front; all on loopback, ephemeral ports.
#include "ploke/core/file_io.h"
#include "ploke/recorder/recorder.h"

#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
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
    o.max_idle_upstream = 8;
    return o;
  }
  codec::Cassette load(const std::string& path) {
    auto c = codec::load_cassette_file(path);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return c.ok() ? std::move(c).value() : codec::Cassette{};
  }
  void record_then_replay(const std::string& name, const std::string& path, const std::vector<std::string>& bodies,
                          const Headers& headers, const std::string& marker);

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

// Each interaction of a recording of `reqs` has the status, framing and body the
// client got live, chunks in time order, and the request's path.
void expect_recorded_as_received(const codec::Cassette& c, const std::vector<Req>& reqs, const std::vector<Reply>& live) {
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
}

// The two streams of `a` (interactions 1 and 2) and their re-recording `b` (0 and 1) have
// the same chunks, replayed with the recorded timing.
void expect_same_chunks_in_time(const codec::Cassette& c, const codec::Cassette& c2) {
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
  const codec::Cassette c = load(path);
  ASSERT_EQ(c.interactions.size(), reqs.size());
  EXPECT_TRUE(c.synthetic);
  expect_recorded_as_received(c, reqs, live);
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
  const codec::Cassette c2 = load(path2);
  ASSERT_EQ(c2.interactions.size(), 2u);
  expect_same_chunks_in_time(c, c2);
}

// Records `bodies` sent to `path` (with `headers`), then replays them byte for byte without
// the upstream; the last answer must contain `marker` (a stream is recorded event by event).
void RecorderTest::record_then_replay(const std::string& name, const std::string& path,
                                      const std::vector<std::string>& bodies, const Headers& headers,
                                      const std::string& marker) {
  const std::string file = dir_.file(name + ".json");
  std::vector<Reply> live;
  {
    auto rec = start(opts(RecordMode::kAll, file));
    ASSERT_TRUE(rec);
    for (const auto& b : bodies) {
      live.push_back(send(clock_, rec->url(), "POST", path, b, headers));
      ASSERT_EQ(live.back().status, 200) << live.back().body;
    }
    ASSERT_OK(rec->stop());
  }
  EXPECT_NE(live.back().body.find(marker), std::string::npos) << live.back().body;
  const codec::Cassette c = load(file);
  ASSERT_EQ(c.interactions.size(), bodies.size());
  EXPECT_EQ(c.interactions.back().request.path, path);
  if (bodies.back().find("\"stream\":true") != std::string::npos) {
    EXPECT_GT(c.interactions.back().response.chunks.size(), 1u);  // recorded event by event
  }
  const uint64_t upstream_before = sim_.requests();
  auto replay = start(opts(RecordMode::kNone, file));
  ASSERT_TRUE(replay);
  for (size_t i = 0; i < bodies.size(); ++i) {
    Reply r = send(clock_, replay->url(), "POST", path, bodies[i], headers);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, live[i].body) << name << " " << i;
  }
  EXPECT_EQ(sim_.requests(), upstream_before);
  ASSERT_OK(replay->stop());
}

// The Responses API through the recorder: a plain and a streamed /v1/responses (typed
// `event:` lines) recorded, then replayed byte for byte without the upstream.
TEST_F(RecorderTest, RecordsThenReplaysResponsesApiByteExact) {
  record_then_replay("responses", "/v1/responses",
                     {R"({"model":"gpt-4o","input":"Say hello."})", R"({"model":"gpt-4o","input":"Say hello.","stream":true})"},
                     {}, "event: response.completed\n");
}

// Embeddings (float and base64 vectors) and Anthropic extended thinking (a signed thinking
// block, then its stream of thinking_delta / signature_delta events) recorded and replayed
// byte for byte.
TEST_F(RecorderTest, RecordsThenReplaysEmbeddingsAndThinkingByteExact) {
  record_then_replay("embeddings", "/v1/embeddings",
                     {R"({"model":"text-embedding-3-small","input":["a","b"],"encoding_format":"float"})",
                      R"({"model":"text-embedding-3-small","input":"a","encoding_format":"base64"})"},
                     {}, "\"embedding\":\"");
  Headers anthropic;
  anthropic.add("anthropic-version", "2023-06-01");
  const std::string think = R"({"model":"claude-sonnet-4-5","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":1024},
    "messages":[{"role":"user","content":"Think, then say hello."}]})";
  record_then_replay("thinking", "/v1/messages", {think, think.substr(0, think.size() - 1) + R"(,"stream":true})"}, anthropic,
                     "\"signature_delta\"");
}

// on_access: one note per answered request with what the proxy did — recorded, replayed,
// unmatched (404) — its method, path without the query, status and latency.
TEST_F(RecorderTest, AccessNotesSayWhatTheProxyDid) {
  std::mutex mu;
  std::vector<RecorderAccess> notes;
  auto collect = [&](RecorderOptions o) {
    o.on_access = [&](const RecorderAccess& a) {
      std::lock_guard<std::mutex> lock(mu);
      notes.push_back(a);
    };
    return o;
  };
  const std::string path = dir_.file("access.json");
  const std::string body = R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})";
  {
    auto rec = start(collect(opts(RecordMode::kAll, path)));
    ASSERT_TRUE(rec);
    EXPECT_EQ(send(clock_, rec->url(), "POST", "/v1/chat/completions?x=1", body).status, 200);
    ASSERT_OK(rec->stop());
  }
  auto replay = start(collect(opts(RecordMode::kNone, path)));
  ASSERT_TRUE(replay);
  EXPECT_EQ(send(clock_, replay->url(), "POST", "/v1/chat/completions?x=1", body).status, 200);
  EXPECT_EQ(send(clock_, replay->url(), "POST", "/v1/chat/completions", R"({"model":"other"})").status, 404);
  ASSERT_OK(replay->stop());
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_EQ(notes[0].outcome, "recorded");
  EXPECT_EQ(notes[0].method, "POST");
  EXPECT_EQ(notes[0].path, "/v1/chat/completions");
  EXPECT_EQ(notes[0].status, 200);
  EXPECT_GT(notes[0].latency, Duration{0});
  EXPECT_EQ(notes[1].outcome, "replayed");
  EXPECT_EQ(notes[1].status, 200);
  EXPECT_EQ(notes[2].outcome, "unmatched");
  EXPECT_EQ(notes[2].status, 404);
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

  auto text = ploke::read_file(dir_.file("keys.json"));
  ASSERT_OK(text);
  for (const std::string& secret : {kProj, kAnt, kQuery, kField, kInText, std::string("proj_secretproject123")}) {
    EXPECT_EQ(text->find(secret), std::string::npos) << "cassette leaks " << secret.substr(0, 6) << "…";
    EXPECT_EQ(logs.find(secret), std::string::npos) << "logs leak " << secret.substr(0, 6) << "…";
  }
  EXPECT_NE(text->find("[REDACTED"), std::string::npos);
  const codec::Cassette c = load(dir_.file("keys.json"));
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
    const codec::Cassette c = load(path);
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
  ASSERT_OK(ploke::write_file_atomic(
      path, "{\"format\":\"ploke-cassette\",\"version\":1,\"interactions\":[{\"request\":{\"method\":3}}]}"));
  auto r = Recorder::Create(opts(RecordMode::kNone, path), clock_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("interactions[0]"), std::string::npos) << r.status().message();

  ASSERT_OK(ploke::write_file_atomic(path, "{\"format\":\"ploke-cassette\",\"vers"));
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
  simulator::SimOptions so;
  so.seed = 5;
  so.latency = simulator::LatencyModel::Fast();
  simulator::Fault cut;
  cut.kind = simulator::FaultKind::kStreamCut;
  cut.after_events = 3;
  so.faults.faults = {cut};
  auto engine = simulator::SimEngine::Create(so, clock_);
  ASSERT_OK(engine);
  auto server = simulator::SimServer::Start(**engine, clock_, simulator::ServerOptions{});
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
  const codec::Cassette c = load(dir_.file("cut.json"));
  ASSERT_EQ(c.interactions.size(), 1u);
  EXPECT_EQ(c.interactions[0].response.ending, Ending::kReset);
  EXPECT_TRUE(c.interactions[0].response.streamed);
  EXPECT_EQ(c.interactions[0].response.body_bytes(), r.body);
  (*server)->stop();
}

TEST_F(RecorderTest, StreamsReachTheClientBeforeTheUpstreamFinishes) {
  // A slow stream (~1 s): the client must see the first bytes long before the end.
  simulator::SimOptions so;
  so.seed = 3;
  so.latency.time_to_first_token = std::chrono::milliseconds(10);
  so.latency.tokens_per_second = 40;
  so.length = {40, 40};
  auto engine = simulator::SimEngine::Create(so, clock_);
  ASSERT_OK(engine);
  auto server = simulator::SimServer::Start(**engine, clock_, simulator::ServerOptions{});
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
  adapters::HttpTransport http(clock_);
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

namespace ploke::recorder {
namespace {

using namespace ploke::recorder::testing;

// A long stream (~10 s: 400 tokens at 40/s) from an in-process simulator: the tests below
// end it long before that, so a pass proves the upstream call was cancelled, not waited out.
struct LongStreamUpstream {
  explicit LongStreamUpstream(Clock& clock) {
    simulator::SimOptions so;
    so.seed = 9;
    so.latency.time_to_first_token = std::chrono::milliseconds(5);
    so.latency.tokens_per_second = 40;
    so.length = {400, 400};
    auto e = simulator::SimEngine::Create(so, clock);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    engine = std::move(e).value();
    auto s = simulator::SimServer::Start(*engine, clock, simulator::ServerOptions{});
    EXPECT_TRUE(s.ok()) << s.status().to_string();
    server = std::move(s).value();
  }
  ~LongStreamUpstream() { server->stop(); }
  std::unique_ptr<simulator::SimEngine> engine;
  std::unique_ptr<simulator::SimServer> server;
};

class RecorderCancelTest : public ::testing::Test {
 protected:
  std::unique_ptr<Recorder> start(RecordMode mode, const std::string& cassette, const std::string& upstream) {
    RecorderOptions o;
    o.upstream = upstream;
    o.cassette_path = cassette;
    o.mode = mode;
    o.flush_interval = Duration{0};
    auto r = Recorder::Create(o, clock_);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok()) return nullptr;
    EXPECT_OK((*r)->Start());
    return std::move(r).value();
  }
  HttpRequest stream_request(const std::string& base) {
    HttpRequest req;
    req.base_url = base;
    req.path = "/v1/chat/completions";
    req.body = chat_body("gpt-4o", true, "a long story");
    req.headers.add("content-type", "application/json");
    return req;
  }
  RealClock clock_;
  TempDir dir_;
};

TEST_F(RecorderCancelTest, ClientLeavingMidStreamCancelsTheUpstreamCallAndRecordsNothing) {
  LongStreamUpstream up(clock_);
  auto rec = start(RecordMode::kAll, dir_.file("left.json"), up.server->url());
  ASSERT_TRUE(rec);
  const TimePoint t0 = clock_.now();
  adapters::HttpTransport http(clock_);
  ploke::testing::RecordingHandler h;
  h.abort_after_first_chunk_ = true;  // the client hangs up after the first bytes
  http.start(stream_request(rec->url()), CallOptions{}, h);
  EXPECT_EQ(h.status_, 200);
  EXPECT_EQ(h.final_.code(), StatusCode::kCancelled);
  // The recorder notices (Responder::on_cancel), cancels its upstream call and counts the
  // abort: seconds before the upstream's stream would have ended.
  while (rec->stats().client_aborts == 0 && clock_.now() - t0 < std::chrono::seconds(5)) {
    clock_.sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(rec->stats().client_aborts, 1u);
  EXPECT_LT(to_ms(clock_.now() - t0), 5000.0);
  ASSERT_OK(rec->stop());
  EXPECT_EQ(rec->stats().recorded, 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("left.json")));  // nothing recorded, nothing written
}

TEST_F(RecorderCancelTest, StopWithAStreamInFlightCutsItPromptlyAndKeepsWhatWasRecorded) {
  LongStreamUpstream up(clock_);
  const std::string path = dir_.file("stop.json");
  auto rec = start(RecordMode::kAll, path, up.server->url());
  ASSERT_TRUE(rec);
  // One complete exchange first (non-stream, short): it must survive the stop.
  Reply done = send(clock_, rec->url(), "POST", "/v1/chat/completions",
                    "{\"model\":\"gpt-4o\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  ASSERT_EQ(done.status, 200) << done.body;

  struct Watch final : ResponseHandler {
    void on_head(int, const Headers&) override {}
    bool on_body(std::string_view) override {
      got_bytes = true;
      return true;
    }
    void on_complete(Status s) override {
      ok = s.ok();
      completed = true;
    }
    std::atomic<bool> got_bytes{false};
    std::atomic<bool> completed{false};
    std::atomic<bool> ok{false};
  } w;
  adapters::HttpTransport http(clock_);
  CallPtr call = http.start_async(stream_request(rec->url()), CallOptions{}, w);
  const TimePoint deadline = clock_.now() + std::chrono::seconds(5);
  while (!w.got_bytes.load() && clock_.now() < deadline) clock_.sleep_for(std::chrono::milliseconds(2));
  ASSERT_TRUE(w.got_bytes.load());
  const TimePoint t_stop = clock_.now();
  ASSERT_OK(rec->stop());  // cancels the upstream call, closes the client, final flush
  EXPECT_LT(to_ms(clock_.now() - t_stop), 3000.0);
  call.reset();  // the client's call ends (cut)
  EXPECT_TRUE(w.completed.load());
  EXPECT_FALSE(w.ok.load());
  const auto c = codec::load_cassette_file(path);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->interactions.size(), 1u);  // the stream cut by stop() is not recorded
  EXPECT_FALSE(c->interactions[0].response.streamed);
  EXPECT_EQ(rec->stats().client_aborts, 0u);  // stop() is not a client abort
}

// A TCP connection to 127.0.0.1:port, or -1.
int connect_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A raw POST /v1/chat/completions with `body` (Connection: close); false if not all sent.
bool send_chat_request(int fd, const std::string& body) {
  const std::string req = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Connection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return ::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size());
}

// Reads until EOF: the byte count, and the last 16 bytes in `tail`.
size_t read_to_eof(int fd, std::string& tail) {
  size_t got = 0;
  char buf[64 * 1024];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
    got += static_cast<size_t>(n);
    tail = (tail + std::string(buf, static_cast<size_t>(n)));
    if (tail.size() > 16) tail = tail.substr(tail.size() - 16);
  }
  return got;
}

TEST_F(RecorderCancelTest, SlowClientPausesTheUpstreamReadOnTheLoop) {
  // The upstream streams 28 MiB of SSE as fast as it can; the client sends its request and
  // reads nothing. With backpressure the recorder stops reading the upstream once 256 KiB
  // are queued for the client, so the upstream is stuck after what the loopback socket
  // buffers hold (~7 MiB here: receive buffers do not grow while nobody reads); without it the
  // recorder takes everything into memory (20 MiB within ~0.5 s on a loaded 2-core VM).
  const size_t total = 28u << 20;
  const std::string event = "data: " + std::string(4090, 'x') + "\n\n";  // 4 KiB
  std::atomic<size_t> written{0};
  httplib::Server up;
  up.Post(".*", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/event-stream", [&](size_t, httplib::DataSink& sink) {
      while (written.load() < total) {
        if (!sink.write(event.data(), event.size())) return false;
        written += event.size();
      }
      sink.done();
      return true;
    });
  });
  const int up_port = up.bind_to_any_port("127.0.0.1");
  std::thread up_thread([&] { up.listen_after_bind(); });
  while (!up.is_running()) std::this_thread::yield();

  RecorderOptions o;
  o.upstream = "http://127.0.0.1:" + std::to_string(up_port);
  o.cassette_path = dir_.file("slow-client.json");
  o.mode = RecordMode::kAll;
  o.flush_interval = Duration{0};
  o.max_queued_bytes = 256 * 1024;
  auto r = Recorder::Create(o, clock_);
  ASSERT_OK(r);
  auto rec = std::move(r).value();
  ASSERT_OK(rec->Start());

  const int fd = connect_loopback(rec->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_chat_request(fd, chat_body("gpt-4o", true, "flood me")));
  // The upstream gets going, then stalls well short of the end while the client reads nothing.
  ASSERT_TRUE([&] {
    const TimePoint end = clock_.now() + std::chrono::seconds(10);
    while (written.load() < (1u << 20) && clock_.now() < end) clock_.sleep_for(std::chrono::milliseconds(1));
    return written.load() >= (1u << 20);
  }());
  // Bounded wait for what only a missing pause allows.
  const TimePoint until = clock_.now() + std::chrono::seconds(2);
  while (written.load() < (20u << 20) && clock_.now() < until) clock_.sleep_for(std::chrono::milliseconds(5));
  EXPECT_LT(written.load(), 14u << 20) << "the recorder kept reading the upstream for a client that reads nothing";
  // Now the client reads: everything arrives and the exchange completes.
  std::string tail;
  const size_t got = read_to_eof(fd, tail);
  ::close(fd);
  EXPECT_GT(got, total);  // the body plus head and chunk framing
  EXPECT_NE(tail.find("0\r\n\r\n"), std::string::npos);  // the chunked terminator: not cut
  EXPECT_GE(written.load(), total);
  ASSERT_OK(rec->stop());
  EXPECT_EQ(rec->stats().recorded, 1u);
  up.stop();
  up_thread.join();
}

}  // namespace
}  // namespace ploke::recorder
