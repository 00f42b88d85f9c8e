// SimServer integration tests on loopback, port 0, RealClock: routes, streaming, admin
// API, socket-level faults (reset, empty reply, hang, cut) as a real client sees them, and
// stop() promptness.
#include "ploke/simulator/http_server.h"

#include <httplib.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "ploke/simulator/fault_plan_json.h"
#include "sim_test_util.h"
#include "support/test_support.h"

namespace ploke::simulator {
namespace {

using namespace std::chrono_literals;
using testing::Json;
using testing::simple_body;
using testing::sse_data;

class SimServerTest : public ::testing::Test {
 protected:
  void start(SimOptions opts = fast_options(), ServerOptions sopts = {}) {
    auto e = SimEngine::Create(opts, clock_);
    ASSERT_OK(e);
    engine_ = std::move(e).value();
    sopts.threads = 16;
    auto s = SimServer::Start(*engine_, clock_, sopts);
    ASSERT_OK(s);
    server_ = std::move(s).value();
  }
  static SimOptions fast_options() {
    SimOptions o;
    o.latency = LatencyModel::Fast();
    return o;
  }
  std::unique_ptr<httplib::Client> client(time_t read_timeout_s = 10) {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    c->set_read_timeout(read_timeout_s, 0);
    c->set_connection_timeout(5, 0);
    c->set_tcp_nodelay(true);
    return c;
  }
  void set_plan(const std::string& plan) {
    auto r = client()->Post("/__admin/faults", plan, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
  // Sends one chat request on a fresh raw socket; returns what recv() saw: bytes read and
  // the final recv() result/errno.
  struct RawResult {
    std::string bytes;
    ssize_t last = 0;
    int err = 0;
  };
  RawResult raw_chat(bool stream) {
    RawResult out;
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    std::string body = simple_body(stream).dump();
    std::string req = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    EXPECT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
    char buf[4096];
    while (true) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        out.last = n;
        out.err = n < 0 ? errno : 0;
        break;
      }
      out.bytes.append(buf, static_cast<size_t>(n));
      // A complete chunked or sized response is enough when nothing is wrong.
      if (out.bytes.find("0\r\n\r\n") != std::string::npos) break;
    }
    ::close(fd);
    return out;
  }

  RealClock clock_;
  std::unique_ptr<SimEngine> engine_;
  std::unique_ptr<SimServer> server_;
};

TEST_F(SimServerTest, ServesModelsAndChatCompletions) {
  start();
  auto c = client();
  auto r = c->Get("/v1/models");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(Json::parse(r->body)["data"][0]["id"], "gpt-4o");

  httplib::Headers h = {{"X-Stainless-Retry-Count", "1"}};
  r = c->Post("/v1/chat/completions", h, simple_body().dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->get_header_value("x-request-id").substr(0, 4), "req_");
  EXPECT_TRUE(r->has_header("openai-processing-ms"));
  EXPECT_TRUE(r->has_header("x-ratelimit-remaining-tokens"));
  Json b = Json::parse(r->body);
  EXPECT_EQ(b["object"], "chat.completion");

  r = c->Post("/v1/chat/completions", simple_body(true).dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type").substr(0, 17), "text/event-stream");
  EXPECT_EQ(r->get_header_value("Transfer-Encoding"), "chunked");
  auto data = sse_data(r->body);
  ASSERT_GE(data.size(), 3u);
  EXPECT_EQ(data.back(), "[DONE]");

  r = c->Post("/v1/nope", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(Json::parse(r->body)["error"]["message"], "Invalid URL (POST /v1/nope)");

  auto j = engine_->journal();
  ASSERT_GE(j.size(), 2u);
  EXPECT_EQ(j[1].retry_count, 1);
}

TEST_F(SimServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  auto c = client();
  c->set_keep_alive(true);
  for (int i = 0; i < 200; ++i) {
    auto r = c->Post("/v1/chat/completions", simple_body(i % 2 == 0).dump(), "application/json");
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->status, 200);
  }
}

TEST_F(SimServerTest, StreamsArePacedOnTheClock) {
  SimOptions o;
  o.latency.time_to_first_token = 150ms;
  o.latency.tokens_per_second = 1000;
  o.length = {5, 5};
  start(o);
  auto t0 = clock_.now();
  TimePoint first_chunk{};
  std::string body;
  auto c = client();
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/chat/completions";
  req.body = simple_body(true).dump();
  req.set_header("Content-Type", "application/json");
  req.content_receiver = [&](const char* d, size_t n, uint64_t, uint64_t) {
    if (body.empty()) first_chunk = clock_.now();
    body.append(d, n);
    return true;
  };
  auto r = c->send(req);
  ASSERT_TRUE(r);
  EXPECT_GE(first_chunk - t0, 140ms);
  EXPECT_NE(body.find("[DONE]"), std::string::npos);
}

TEST_F(SimServerTest, AdminApiManagesFaultsAndJournal) {
  start();
  auto c = client();
  auto r = c->Get("/__admin/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(Json::parse(r->body)["status"], "ok");

  r = c->Post("/__admin/faults", R"({"faults":[{"id":"a","kind":"http_error","status":500,"trigger":{"nth":1}}]})",
              "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = c->Post("/__admin/faults?append=1", R"({"faults":[{"id":"b","kind":"http_error","status":503}]})",
              "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = c->Get("/__admin/faults");
  ASSERT_TRUE(r);
  Json f = Json::parse(r->body);
  ASSERT_EQ(f["plan"]["faults"].size(), 2u);
  EXPECT_EQ(f["stats"][1]["id"], "b");

  EXPECT_EQ(c->Post("/v1/chat/completions", simple_body().dump(), "application/json")->status, 500);
  EXPECT_EQ(c->Post("/v1/chat/completions", simple_body().dump(), "application/json")->status, 503);
  f = Json::parse(c->Get("/__admin/faults")->body);
  EXPECT_EQ(f["stats"][0]["fired"], 1);
  EXPECT_EQ(f["stats"][1]["fired"], 1);
  EXPECT_EQ(f["stats"][1]["kind"], "http_error");

  r = c->Post("/__admin/faults", R"({"faults":[{"kind":"http_error","status":99,"oops":1}]})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  std::string msg = Json::parse(r->body)["error"]["message"];
  EXPECT_NE(msg.find("faults[0].status"), std::string::npos) << msg;
  EXPECT_NE(msg.find("faults[0].oops"), std::string::npos) << msg;

  r = c->Get("/__admin/requests?limit=1");
  ASSERT_TRUE(r);
  Json j = Json::parse(r->body);
  ASSERT_EQ(j["requests"].size(), 1u);
  EXPECT_EQ(j["requests"][0]["status"], 503);
  EXPECT_EQ(j["requests"][0]["fault_id"], "b");
  EXPECT_EQ(j["requests"][0]["path"], "/v1/chat/completions");

  EXPECT_EQ(c->Delete("/__admin/faults")->status, 200);
  EXPECT_EQ(c->Post("/v1/chat/completions", simple_body().dump(), "application/json")->status, 200);
  EXPECT_EQ(c->Delete("/__admin/requests")->status, 200);
  EXPECT_EQ(Json::parse(c->Get("/__admin/requests")->body)["requests"].size(), 0u);
  EXPECT_EQ(c->Get("/__admin/nope")->status, 404);
}

TEST_F(SimServerTest, ResetIsSeenAsConnectionResetByTheClient) {
  start();
  set_plan(R"({"faults":[{"kind":"reset"}]})");
  RawResult raw = raw_chat(false);
  EXPECT_TRUE(raw.bytes.empty()) << raw.bytes;
  EXPECT_EQ(raw.last, -1);
  EXPECT_EQ(raw.err, ECONNRESET);
  auto r = client()->Post("/v1/chat/completions", simple_body().dump(), "application/json");
  EXPECT_FALSE(r);
}

TEST_F(SimServerTest, EmptyReplyClosesWithoutAByte) {
  start();
  set_plan(R"({"faults":[{"kind":"empty_reply"}]})");
  RawResult raw = raw_chat(false);
  EXPECT_TRUE(raw.bytes.empty()) << raw.bytes;
  EXPECT_EQ(raw.last, 0);  // orderly EOF
  auto r = client()->Post("/v1/chat/completions", simple_body().dump(), "application/json");
  EXPECT_FALSE(r);
}

TEST_F(SimServerTest, StreamCutDeliversSomeEventsThenResets) {
  start();
  set_plan(R"({"faults":[{"kind":"stream_cut","after_events":3}]})");
  RawResult raw = raw_chat(true);
  EXPECT_NE(raw.bytes.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(sse_data(raw.bytes).size(), 3u) << raw.bytes;
  EXPECT_EQ(raw.bytes.find("[DONE]"), std::string::npos);
  EXPECT_EQ(raw.last, -1);
  EXPECT_EQ(raw.err, ECONNRESET);
  auto r = client()->Post("/v1/chat/completions", simple_body(true).dump(), "application/json");
  EXPECT_FALSE(r);  // truncated chunked body
}

TEST_F(SimServerTest, NonStreamCutIsATruncatedBody) {
  start();
  set_plan(R"({"faults":[{"kind":"stream_cut"}]})");
  auto r = client()->Post("/v1/chat/completions", simple_body().dump(), "application/json");
  EXPECT_FALSE(r);
}

TEST_F(SimServerTest, MidStreamErrorAndMalformedAreDeliveredInBand) {
  start();
  set_plan(R"({"faults":[{"kind":"mid_stream_error","after_events":2,"trigger":{"nth":1}},
                         {"kind":"malformed_json","trigger":{"nth":2}}]})");
  auto c = client();
  auto r = c->Post("/v1/chat/completions", simple_body(true).dump(), "application/json");
  ASSERT_TRUE(r);
  auto data = sse_data(r->body);
  ASSERT_EQ(data.size(), 3u);
  EXPECT_TRUE(Json::parse(data[2]).contains("error"));
  r = c->Post("/v1/chat/completions", simple_body().dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(Json::parse(r->body, nullptr, false).is_discarded());
}

TEST_F(SimServerTest, HangEndsWhenTheClientGivesUp) {
  start();
  set_plan(R"({"faults":[{"kind":"hang","trigger":{"nth":1}}]})");
  auto c = client(/*read_timeout_s=*/1);
  auto t0 = clock_.now();
  auto r = c->Post("/v1/chat/completions", simple_body().dump(), "application/json");
  EXPECT_FALSE(r);
  EXPECT_GE(clock_.now() - t0, 900ms);
  // The server is still healthy and stops promptly.
  EXPECT_EQ(client()->Post("/v1/chat/completions", simple_body().dump(), "application/json")->status, 200);
  auto s0 = clock_.now();
  server_->stop();
  EXPECT_LT(clock_.now() - s0, 2s);
}

// What `ploke-sim check` judges by: on_served notes every exchange once, with the body's
// hash, the advertised wait, a stream broken after output, a key outside its header, and
// whether the client left before the answer was complete.
TEST_F(SimServerTest, OnServedNotesWhatAClientCheckNeeds) {
  std::mutex mu;
  std::vector<std::pair<JournalEntry, Duration>> seen;
  ServerOptions so;
  so.on_served = [&](const JournalEntry& e, Duration d) {
    std::lock_guard<std::mutex> lock(mu);
    seen.emplace_back(e, d);
  };
  start(fast_options(), so);
  set_plan(R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":1500,"trigger":{"nth":1}},
                         {"kind":"stream_cut","after_events":2,"match":{"stream":true},"trigger":{"nth":1}},
                         {"kind":"hang","trigger":{"nth":5}}]})");
  const std::string key = "sk-FAKE-check-0123456789";
  httplib::Headers auth{{"Authorization", "Bearer " + key}};
  auto c = client(/*read_timeout_s=*/1);
  const std::string body = simple_body().dump();
  EXPECT_EQ(c->Post("/v1/chat/completions", auth, body, "application/json")->status, 429);
  EXPECT_EQ(c->Post("/v1/chat/completions", auth, body, "application/json")->status, 200);
  (void)c->Post("/v1/chat/completions", auth, simple_body(/*stream=*/true).dump(), "application/json");  // cut
  Json leaky = simple_body();
  leaky["user"] = key;
  EXPECT_EQ(client()->Post("/v1/chat/completions?api_key=x", auth, leaky.dump(), "application/json")->status, 200);
  EXPECT_FALSE(c->Post("/v1/chat/completions", auth, body, "application/json"));  // hangs; we leave after 1 s
  ASSERT_TRUE(ploke::testing::wait_until(clock_, [&] {
    std::lock_guard<std::mutex> lock(mu);
    return seen.size() == 5;
  }));
  server_->stop();
  std::sort(seen.begin(), seen.end(), [](auto& a, auto& b) { return a.first.seq < b.first.seq; });
  EXPECT_EQ(seen[0].first.retry_after, 1500ms);
  EXPECT_EQ(seen[0].first.body_hash, seen[1].first.body_hash);
  EXPECT_NE(seen[0].first.body_hash, seen[2].first.body_hash);
  EXPECT_FALSE(seen[1].first.retry_after.has_value());
  EXPECT_TRUE(seen[2].first.broke_after_output);
  EXPECT_FALSE(seen[1].first.broke_after_output);
  EXPECT_EQ(seen[3].first.secret_in, "url");  // the credential-named query parameter wins
  EXPECT_EQ(seen[1].first.secret_in, "");
  EXPECT_EQ(seen[4].first.ending, "hang");
  EXPECT_TRUE(seen[4].first.client_left);
  EXPECT_GE(seen[4].second, 900ms);
  EXPECT_LT(seen[4].second, 5s);
  for (const auto& [e, d] : seen) EXPECT_EQ(journal_to_json({e}).find(key), std::string::npos);
}

// Server options whose on_served appends each noted entry to `seen` (under `mu`).
ServerOptions noting_into(std::mutex& mu, std::vector<JournalEntry>& seen) {
  ServerOptions so;
  so.on_served = [&mu, &seen](const JournalEntry& e, Duration) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(e);
  };
  return so;
}

// An exchange still open when the server stops was not left by its client.
TEST_F(SimServerTest, AnExchangeOpenAtStopIsNotNotedAsLeftByTheClient) {
  std::mutex mu;
  std::vector<JournalEntry> seen;
  start(fast_options(), noting_into(mu, seen));
  set_plan(R"({"faults":[{"kind":"hang","trigger":{"nth":1}}]})");
  std::thread waiting([&] { (void)client(/*read_timeout_s=*/30)->Post("/v1/chat/completions", simple_body().dump(), "application/json"); });
  ASSERT_TRUE(ploke::testing::wait_until(clock_, [&] { return engine_->request_count() == 1; }));
  server_->stop();
  waiting.join();
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].ending, "hang");
  EXPECT_FALSE(seen[0].client_left);
}

TEST_F(SimServerTest, AKeyInTheBodyIsNoted) {
  std::mutex mu;
  std::vector<JournalEntry> seen;
  start(fast_options(), noting_into(mu, seen));
  Json leaky = simple_body();
  leaky["metadata"] = {{"key", "sk-ant-FAKE-abcdefgh"}};
  auto r = client()->Post("/v1/chat/completions", httplib::Headers{{"x-api-key", "sk-ant-FAKE-abcdefgh"}}, leaky.dump(),
                          "application/json");
  ASSERT_TRUE(r);
  ASSERT_TRUE(ploke::testing::wait_until(clock_, [&] {
    std::lock_guard<std::mutex> lock(mu);
    return seen.size() == 1;
  }));
  server_->stop();
  EXPECT_EQ(seen[0].secret_in, "body");
}

TEST_F(SimServerTest, StopReleasesHangingRequestsPromptly) {
  start();
  set_plan(R"({"faults":[{"kind":"hang"}]})");
  std::vector<std::future<bool>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::async(std::launch::async, [this, i] {
      httplib::Client c("127.0.0.1", server_->port());
      c.set_read_timeout(60, 0);
      return static_cast<bool>(c.Post("/v1/chat/completions", simple_body(i == 0).dump(), "application/json"));
    }));
  }
  // Also an idle keep-alive connection and a stream hanging after two events.
  auto idle = client();
  idle->set_keep_alive(true);
  ASSERT_TRUE(idle->Get("/__admin/health"));
  while (engine_->request_count() < 3) clock_.sleep_for(5ms);
  auto t0 = clock_.now();
  server_->stop();
  EXPECT_LT(clock_.now() - t0, 2s);
  for (auto& f : clients) {
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
    EXPECT_FALSE(f.get());
  }
  server_->stop();  // idempotent
}

TEST_F(SimServerTest, ConcurrentClientsWithRandomFaults) {
  start();
  set_plan(R"({"faults":[{"kind":"reset","trigger":{"probability":0.15}},
                         {"kind":"stream_cut","after_events":2,"match":{"stream":true},"trigger":{"probability":0.2}},
                         {"kind":"empty_reply","trigger":{"probability":0.1}},
                         {"kind":"http_error","status":429,"retry_after_ms":1,"trigger":{"probability":0.1}}]})");
  constexpr int kThreads = 8, kPerThread = 40;
  std::atomic<int> ok{0}, failed{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", server_->port());
      c.set_read_timeout(10, 0);
      c.set_tcp_nodelay(true);
      c.set_keep_alive(true);
      for (int i = 0; i < kPerThread; ++i) {
        auto r = c.Post("/v1/chat/completions", simple_body((i + t) % 2 == 0).dump(), "application/json");
        if (!r) ++failed;
        else if (r->status == 200) ++ok;
        else ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok + failed + errors, kThreads * kPerThread);
  EXPECT_GT(ok, 0);
  EXPECT_GT(failed, 0);
  EXPECT_EQ(engine_->request_count(), static_cast<uint64_t>(kThreads * kPerThread));
  uint64_t fired = 0;
  for (const auto& st : engine_->fault_stats()) fired += st.fired;
  EXPECT_EQ(fired, static_cast<uint64_t>(failed + errors));
}

TEST_F(SimServerTest, DelayFaultDelaysTheHead) {
  start();
  set_plan(R"({"faults":[{"kind":"delay","delay_ms":300}]})");
  auto t0 = clock_.now();
  auto r = client()->Post("/v1/chat/completions", simple_body().dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_GE(clock_.now() - t0, 290ms);
}

// ---- HTTP/1.1 framing of the front (http-parser + own response writer) ----------------

// Opens a raw connection, sends `wire`, reads until `done(bytes)` or EOF/timeout.
std::string raw_exchange(int port, const std::string& wire,
                         const std::function<bool(const std::string&)>& done, bool* eof = nullptr) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::send(fd, wire.data(), wire.size(), 0), static_cast<ssize_t>(wire.size()));
  std::string bytes;
  char buf[4096];
  if (eof != nullptr) *eof = false;
  while (!done(bytes)) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (eof != nullptr) *eof = n == 0;
      break;
    }
    bytes.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return bytes;
}

size_t count_of(const std::string& s, std::string_view what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

std::string chat_wire(const std::string& body, const std::string& extra_headers = "",
                      const std::string& version = "HTTP/1.1") {
  return "POST /v1/chat/completions " + version + "\r\nHost: x\r\nContent-Type: application/json\r\n" +
         extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST_F(SimServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  // The first answer is delayed; the second (already buffered) must still come second.
  set_plan(R"({"faults":[{"kind":"delay","delay_ms":100,"trigger":{"nth":1}}]})");
  const std::string body = simple_body().dump();
  std::string wire = chat_wire(body) + "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string got = raw_exchange(server_->port(), wire, [](const std::string& b) {
    return b.find("\"object\":\"list\"") != std::string::npos;
  });
  const size_t first = got.find("chat.completion");
  const size_t second = got.find("\"object\":\"list\"");
  ASSERT_NE(first, std::string::npos) << got;
  ASSERT_NE(second, std::string::npos) << got;
  EXPECT_LT(first, second);
  EXPECT_EQ(count_of(got, "HTTP/1.1 200 OK\r\n"), 2u) << got;
}

TEST_F(SimServerTest, ExpectContinueGetsA100BeforeTheBody) {
  start();
  const std::string body = simple_body().dump();
  // Send only the head; the server must answer 100 Continue before we send the body.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                     "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), 0), static_cast<ssize_t>(head.size()));
  char buf[4096];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_EQ(::send(fd, body.data(), body.size(), 0), static_cast<ssize_t>(body.size()));
  std::string rest;
  while (rest.find("chat.completion") == std::string::npos) {
    n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    rest.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  EXPECT_EQ(rest.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << rest;
}

TEST_F(SimServerTest, OversizedBodyGets413AndTheConnectionCloses) {
  ServerOptions so;
  so.max_body_bytes = 64;
  start(fast_options(), so);
  bool eof = false;
  std::string got = raw_exchange(server_->port(), chat_wire(simple_body().dump()),
                                 [](const std::string&) { return false; }, &eof);
  EXPECT_EQ(got.rfind("HTTP/1.1 413 ", 0), 0u) << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
  EXPECT_NE(got.find("larger than 64 bytes"), std::string::npos) << got;
  EXPECT_TRUE(eof);
  // A chunked upload over the limit too.
  std::string chunked = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "50\r\n" + std::string(80, 'x') + "\r\n0\r\n\r\n";
  got = raw_exchange(server_->port(), chunked, [](const std::string&) { return false; }, &eof);
  EXPECT_EQ(got.rfind("HTTP/1.1 413 ", 0), 0u) << got;
}

TEST_F(SimServerTest, ChunkedRequestBodiesAreAccepted) {
  start();
  const std::string body = simple_body().dump();
  std::string wire = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (size_t i = 0; i < body.size(); i += 10) {
    const std::string piece = body.substr(i, 10);
    char hex[16];
    std::snprintf(hex, sizeof hex, "%zx", piece.size());
    wire += std::string(hex) + "\r\n" + piece + "\r\n";
  }
  wire += "0\r\n\r\n";
  std::string got = raw_exchange(server_->port(), wire, [](const std::string& b) {
    return b.find("chat.completion") != std::string::npos && b.find("\"usage\"") != std::string::npos;
  });
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
}

TEST_F(SimServerTest, MalformedRequestGets400AndClose) {
  start();
  bool eof = false;
  std::string got = raw_exchange(server_->port(), "BREW /pot HTCPCP/1.0\r\n\r\n",
                                 [](const std::string&) { return false; }, &eof);
  EXPECT_EQ(got.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("malformed HTTP request"), std::string::npos) << got;
  EXPECT_TRUE(eof);
}

TEST_F(SimServerTest, Http10GetsAnUnchunkedStreamThatEndsWithTheConnection) {
  start();
  bool eof = false;
  std::string got = raw_exchange(server_->port(), chat_wire(simple_body(true).dump(), "", "HTTP/1.0"),
                                 [](const std::string&) { return false; }, &eof);
  EXPECT_EQ(got.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << got;
  EXPECT_EQ(got.find("Transfer-Encoding"), std::string::npos) << got;
  EXPECT_NE(got.find("data: [DONE]"), std::string::npos) << got;
  EXPECT_TRUE(eof);
  // Non-stream with keep-alive asked: answered with a length and kept open.
  got = raw_exchange(server_->port(), chat_wire(simple_body().dump(), "Connection: keep-alive\r\n", "HTTP/1.0"),
                     [](const std::string& b) { return b.find("\"usage\"") != std::string::npos; });
  EXPECT_NE(got.find("Connection: keep-alive"), std::string::npos) << got;
  EXPECT_NE(got.find("Content-Length: "), std::string::npos) << got;
}

TEST_F(SimServerTest, HeadGetsHeadersWithoutABody) {
  start();
  std::string got = raw_exchange(server_->port(), "HEAD /v1/models HTTP/1.1\r\nHost: x\r\n\r\n",
                                 [](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; });
  // (whatever the engine answers HEAD with, the body is left out and the length kept)
  EXPECT_EQ(got.rfind("HTTP/1.1 ", 0), 0u) << got;
  EXPECT_NE(got.find("Content-Length: "), std::string::npos) << got;
  const size_t end = got.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(got.size(), end + 4) << "HEAD must not carry a body: " << got;
}

TEST_F(SimServerTest, ConnectionCloseIsHonoured) {
  start();
  bool eof = false;
  std::string got = raw_exchange(server_->port(), chat_wire(simple_body().dump(), "Connection: close\r\n"),
                                 [](const std::string&) { return false; }, &eof);
  EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Date: "), std::string::npos) << got;
  EXPECT_TRUE(eof);
}

TEST_F(SimServerTest, RequestsArrivingByteByByteAreParsed) {
  start();
  const std::string wire = chat_wire(simple_body().dump()) + chat_wire(simple_body().dump());
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  for (char c : wire) ASSERT_EQ(::send(fd, &c, 1, 0), 1);
  std::string got;
  char buf[4096];
  while (count_of(got, "\"usage\"") < 2) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  EXPECT_EQ(count_of(got, "HTTP/1.1 200 OK\r\n"), 2u) << got;
}

TEST_F(SimServerTest, StartRejectsBadOptionsAndReportsBusyPort) {
  start();
  ServerOptions bad;
  bad.threads = 0;
  EXPECT_FALSE(SimServer::Start(*engine_, clock_, bad).ok());
  ServerOptions busy;
  busy.port = server_->port();
  auto s = SimServer::Start(*engine_, clock_, busy);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(server_->url(), "http://127.0.0.1:" + std::to_string(server_->port()));
}

}  // namespace
}  // namespace ploke::simulator
