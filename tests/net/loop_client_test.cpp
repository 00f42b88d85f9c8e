// ploke::net::LoopHttpClient and EventLoop on loopback (label: integration).
//
// A "front" HttpServer whose handler calls an "upstream" HttpServer through LoopHttpClient
// (a tiny proxy, as the recorder and the gateway use it); the test talks to the front with
// the blocking HttpClient. Checked: callbacks on the loop thread and never inside start(),
// streaming chunk by chunk, pool reuse per loop, safe retry, per-phase timeouts, cancel
// when the front's client leaves, connect failures, server stop with calls in flight, the
// blocking fallback off the loop, EventLoop post/defer/locals, HttpServer::loop(i). No
// fixed sleeps.
#include "ploke/net/loop_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "ploke/net/event_loop.h"
#include "ploke/net/http_client.h"
#include "ploke/net/http_server.h"
#include "support/test_support.h"

namespace ploke::net {
namespace {

using namespace std::chrono_literals;
using ploke::testing::RecordingHandler;

using ploke::testing::wait_until;

Headers ct(std::string type) {
  Headers h;
  h.add("content-type", std::move(type));
  return h;
}

// Forwards the upstream's response to the front's client as it arrives.
struct Forward final : ResponseHandler {
  explicit Forward(Responder r) : res(std::move(r)) {}
  void on_head(int status, const Headers& headers) override {
    EXPECT_TRUE(res.on_loop_thread());
    Headers h;
    if (auto t = headers.get("content-type")) h.add("content-type", std::string(*t));
    res.start(status, std::move(h));
    started = true;
  }
  bool on_body(std::string_view bytes) override {
    res.write(bytes);
    return true;
  }
  void on_complete(Status st) override {
    EXPECT_TRUE(res.on_loop_thread());
    EXPECT_FALSE(inside_start) << "on_complete ran inside start()";
    final = st;
    if (st.ok()) {
      res.finish();
    } else if (started) {
      res.close();  // cut the client's stream too
    } else {
      const int code = st.code() == StatusCode::kTimeout ? 504 : (st.code() == StatusCode::kCancelled ? 499 : 502);
      res.respond(code, "text/plain", std::string(status_code_name(st.code())) + ": " + st.message());
    }
    done = true;
    self.reset();  // frees this
  }
  Responder res;
  Status final;
  bool inside_start = false;
  bool started = false;
  bool done = false;
  std::shared_ptr<Forward> self;
  CallPtr call;
};

class LoopClientTest : public ::testing::Test {
 protected:
  void start_upstream(Handler h) {
    auto s = HttpServer::Start(ServerOptions{}, clock_, std::move(h));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    upstream_ = std::move(*s);
  }
  // The front proxies every request to the upstream (path kept) with `opts`.
  void start_front(CallOptions opts = {}, size_t threads = 1) {
    ServerOptions so;
    so.threads = threads;
    auto s = HttpServer::Start(so, clock_, [this, opts](Request& req, Responder res) {
      EXPECT_NE(EventLoop::current(), nullptr);
      HttpRequest out;
      out.method = req.method;
      out.base_url = base_for_ ? base_for_(req) : upstream_ ? upstream_->url() : base_override_;
      out.path = req.path;
      out.body = req.body;
      auto fwd = std::make_shared<Forward>(res);
      fwd->self = fwd;
      fwd->inside_start = true;
      Forward* raw = fwd.get();
      LoopHttpClient& client = custom_ ? *custom_ : client_;
      std::shared_ptr<Call> call(client.start(out, opts, *raw).release());
      raw->inside_start = false;
      res.on_cancel([call] { call->cancel(); });
    });
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    front_ = std::move(*s);
  }
  void TearDown() override {
    if (front_) front_->stop();
    if (upstream_) upstream_->stop();
  }
  HttpRequest get(std::string path) {
    HttpRequest r;
    r.method = "GET";
    r.base_url = front_->url();
    r.path = std::move(path);
    return r;
  }

  RealClock clock_;
  LoopHttpClient client_{clock_};
  std::unique_ptr<HttpServer> upstream_;
  std::unique_ptr<HttpServer> front_;
  std::string base_override_;
  std::function<std::string(const Request&)> base_for_;  // per request, when set
  std::unique_ptr<LoopHttpClient> custom_;                 // used instead of client_ when set
};

// Writes "." every 10 ms until the exchange ends; each timer holds a copy of the functor.
struct Drip {
  Responder res;
  void operator()() {
    res.write(std::string("."));
    res.set_timer(res.clock().now() + 10ms, Drip{res});
  }
};

TEST_F(LoopClientTest, ProxiesOnTheLoopAndReusesOneUpstreamConnection) {
  start_upstream([](Request& req, Responder res) { res.respond(200, ct("text/plain"), "up " + req.method + " " + req.path + " " + req.body); });
  start_front();
  HttpClient tester(clock_);
  for (int i = 0; i < 5; ++i) {
    HttpRequest r = get("/x" + std::to_string(i));
    r.method = "POST";
    r.body = "b" + std::to_string(i);
    auto resp = send_and_wait(tester, clock_, r, CallOptions{});
    ASSERT_TRUE(resp.ok()) << resp.status().to_string();
    EXPECT_EQ(resp->status, 200);
    EXPECT_EQ(resp->body, "up POST /x" + std::to_string(i) + " b" + std::to_string(i));
  }
  EXPECT_EQ(client_.loop_calls(), 5u);
  EXPECT_EQ(client_.fallback_calls(), 0u);
  EXPECT_EQ(client_.connections_opened(), 1u);  // the loop's pool kept the connection
}

TEST_F(LoopClientTest, StreamsChunkByChunk) {
  // The upstream sends one chunk, then waits until the test has seen it through the proxy.
  std::mutex mu;
  std::condition_variable cv;
  bool seen_first = false;
  std::vector<std::thread> threads;
  start_upstream([&](Request&, Responder res) {
    res.start(200, ct("text/event-stream"));
    res.write(std::string("data: 1\n\n"));
    threads.emplace_back([&, res]() mutable {
      std::unique_lock<std::mutex> l(mu);
      cv.wait_for(l, 10s, [&] { return seen_first; });
      res.write(std::string("data: 2\n\n"));
      res.finish();
    });
  });
  start_front();
  HttpClient tester(clock_);
  struct H : RecordingHandler {
    std::function<void()> first;
    bool on_body(std::string_view b) override {
      RecordingHandler::on_body(b);
      if (chunks_ == 1 && first) first();
      return true;
    }
  } h;
  h.first = [&] {
    std::lock_guard<std::mutex> l(mu);
    seen_first = true;
    cv.notify_all();
  };
  tester.start(get("/s"), CallOptions{}, h);
  EXPECT_TRUE(h.final_.ok()) << h.final_.to_string();
  EXPECT_EQ(h.body_, "data: 1\n\ndata: 2\n\n");
  EXPECT_TRUE(seen_first);  // the first event arrived before the upstream sent the second
  for (auto& t : threads) t.join();
}

TEST_F(LoopClientTest, FirstByteAndTotalTimeoutsOnTheLoop) {
  start_upstream([](Request& req, Responder res) {
    if (req.path == "/drip") {
      res.start(200, ct("text/plain"));
      Drip{res}();  // re-arms itself with a copy (no self-owning closure: no leak)
    }
    // else: silence
  });
  CallOptions o;
  o.first_byte_timeout = 60ms;
  o.total_timeout = 150ms;
  start_front(o);
  HttpClient tester(clock_);
  auto r = send_and_wait(tester, clock_, get("/silent"), CallOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 504);
  EXPECT_NE(r->body.find("first_byte"), std::string::npos) << r->body;
  RecordingHandler h;
  tester.start(get("/drip"), CallOptions{}, h);
  // The head was already forwarded: the front cuts the stream (status stays 200).
  EXPECT_EQ(h.status_, 200);
  EXPECT_FALSE(h.body_.empty());
}

TEST_F(LoopClientTest, ClientLeavingCancelsTheUpstreamCall) {
  std::atomic<bool> upstream_saw_cancel{false};
  start_upstream([&](Request&, Responder res) {
    res.start(200, ct("text/plain"));
    res.write(std::string("x"));
    res.on_cancel([&] { upstream_saw_cancel = true; });  // the proxy's upstream socket closed
  });
  start_front();
  HttpClient tester(clock_);
  RecordingHandler h;
  auto call = tester.start_async(get("/hang"), CallOptions{}, h);
  ASSERT_TRUE(wait_until(clock_, [&] { return h.chunks_ >= 1; }));
  call->cancel();
  call.reset();
  EXPECT_TRUE(wait_until(clock_, [&] { return upstream_saw_cancel.load(); }));
  EXPECT_TRUE(wait_until(clock_, [&] { return front_->in_flight() == 0; }));
}

TEST_F(LoopClientTest, ConnectFailureIsAClassifiedError) {
  // A port nobody listens on: start a server, note its URL, stop it.
  {
    auto s = HttpServer::Start(ServerOptions{}, clock_, [](Request&, Responder) {});
    ASSERT_TRUE(s.ok());
    base_override_ = (*s)->url();
    (*s)->stop();
  }
  start_front();
  HttpClient tester(clock_);
  auto r = send_and_wait(tester, clock_, get("/"), CallOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 502);
  EXPECT_NE(r->body.find("connection_reset"), std::string::npos) << r->body;
}

// TCP sockets of this network namespace with `port` as their local (which = 1) or remote
// (which = 2) port and `state` (/proc/net/tcp's hex code: 06 TIME_WAIT, 08 CLOSE_WAIT).
int tcp_sockets(int port, int which, const char* state) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  int n = 0;
  char want[8];
  std::snprintf(want, sizeof want, "%04X", port);
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, st;
    f >> sl >> local >> remote >> st;
    const std::string& addr = which == 1 ? local : remote;
    if (addr.size() > 4 && addr.substr(addr.size() - 4) == want && st == state) ++n;
  }
  return n;
}

// The pool keeps each idle connection's read event: when the upstream closes an idle
// connection, the client closes its end at once (no socket left in CLOSE_WAIT until the
// next call), and the next call, a POST that could not be replayed, opens a new one.
TEST_F(LoopClientTest, IdleConnectionClosedByTheUpstreamLeavesThePoolAtOnce) {
  ServerOptions uo;
  uo.keep_alive_timeout = 1s;
  uo.read_timeout = 1s;
  auto s = HttpServer::Start(uo, clock_, [](Request& req, Responder res) { res.respond(200, ct("text/plain"), "up " + req.path); });
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  upstream_ = std::move(*s);
  start_front();
  const int port = std::stoi(upstream_->url().substr(upstream_->url().rfind(':') + 1));
  HttpClient tester(clock_);
  auto r = send_and_wait(tester, clock_, get("/a"), CallOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "up /a");
  // The upstream closes the idle connection after 1 s (its end then waits in TIME_WAIT);
  // the client's end must be gone, not waiting in CLOSE_WAIT for the next call.
  EXPECT_TRUE(wait_until(clock_, [&] { return tcp_sockets(port, 1, "06") >= 1 && tcp_sockets(port, 2, "08") == 0; }, 8s))
      << "TIME_WAIT on the upstream side: " << tcp_sockets(port, 1, "06")
      << ", CLOSE_WAIT on the client side: " << tcp_sockets(port, 2, "08");
  HttpRequest post = get("/b");
  post.method = "POST";
  post.body = "x";
  r = send_and_wait(tester, clock_, post, CallOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "up /b");
  EXPECT_EQ(client_.connections_opened(), 2u);
}

// A host name is looked up on the resolver thread, never on the loop: while one name's
// lookup hangs, a request to another name on the same loop (one thread) is answered; an IP
// literal is never looked up; a name that cannot be resolved is a classified error.
TEST_F(LoopClientTest, HostNamesAreResolvedOffTheLoop) {
  start_upstream([](Request& req, Responder res) { res.respond(200, ct("text/plain"), "up " + req.path); });
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::map<std::string, int> asked;
  LoopHttpClient::Options o;
  o.resolver = [&](const std::string& host) -> Result<std::vector<std::string>> {
    std::unique_lock<std::mutex> lk(mu);
    ++asked[host];
    if (host == "nowhere.test") return ConnectionResetError("cannot resolve nowhere.test: no such host");
    if (host == "slow.test") cv.wait(lk, [&] { return release; });
    return std::vector<std::string>{"127.0.0.1"};
  };
  custom_ = std::make_unique<LoopHttpClient>(clock_, o);
  const std::string port = upstream_->url().substr(upstream_->url().rfind(':') + 1);
  base_for_ = [port, this](const Request& req) {
    if (req.path == "/ip") return upstream_->url();
    return "http://" + req.path.substr(1) + ":" + port;  // "/slow.test" → http://slow.test:PORT
  };
  start_front();
  HttpClient tester(clock_);
  std::optional<Result<HttpResponse>> slow;
  std::thread t([&] { slow = send_and_wait(tester, clock_, get("/slow.test"), CallOptions{}); });
  ASSERT_TRUE(wait_until(clock_, [&] { std::lock_guard<std::mutex> l(mu); return asked["slow.test"] == 1; }));
  HttpClient tester2(clock_);
  auto fast = send_and_wait(tester2, clock_, get("/fast.test"), CallOptions{});  // same loop, while slow.test hangs
  ASSERT_TRUE(fast.ok());
  EXPECT_EQ(fast->body, "up /fast.test");
  auto ip = send_and_wait(tester2, clock_, get("/ip"), CallOptions{});
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->status, 200);
  auto bad = send_and_wait(tester2, clock_, get("/nowhere.test"), CallOptions{});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 502);
  EXPECT_NE(bad->body.find("cannot resolve nowhere.test"), std::string::npos) << bad->body;
  {
    std::lock_guard<std::mutex> l(mu);
    release = true;
  }
  cv.notify_all();
  t.join();
  ASSERT_TRUE(slow && slow->ok());
  EXPECT_EQ((*slow)->body, "up /slow.test");
  bad = send_and_wait(tester2, clock_, get("/nowhere.test"), CallOptions{});  // a failure is not cached
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(asked, (std::map<std::string, int>{{"fast.test", 1}, {"nowhere.test", 2}, {"slow.test", 1}}));
}

// Answers are kept for dns_ttl (on the client's clock), then looked up again while the old
// addresses keep serving; a failed refresh keeps them. (A pooled connection needs no
// address: only new connections look names up.)
TEST_F(LoopClientTest, AnswersAreKeptForTheTtlThenLookedUpAgain) {
  start_upstream([](Request& req, Responder res) { res.respond(200, ct("text/plain"), "up " + req.path); });
  SimulatedClock sim;
  std::atomic<int> lookups{0};
  std::atomic<bool> fail{false};
  LoopHttpClient::Options o;
  o.dns_ttl = std::chrono::seconds(30);
  o.max_idle_per_origin = 0;  // every call opens a connection, so every call needs the address
  o.resolver = [&](const std::string&) -> Result<std::vector<std::string>> {
    ++lookups;
    if (fail) return ConnectionResetError("resolver down");
    return std::vector<std::string>{"127.0.0.1"};
  };
  custom_ = std::make_unique<LoopHttpClient>(sim, o);
  const std::string port = upstream_->url().substr(upstream_->url().rfind(':') + 1);
  base_for_ = [port](const Request&) { return "http://api.test:" + port; };
  start_front();
  HttpClient tester(clock_);
  auto ok = [&] {
    auto r = send_and_wait(tester, clock_, get("/x"), CallOptions{});
    return r.ok() && r->status == 200;
  };
  ASSERT_TRUE(ok());
  ASSERT_TRUE(ok());
  EXPECT_EQ(lookups.load(), 1);  // cached
  sim.advance(std::chrono::seconds(31));
  ASSERT_TRUE(ok());  // the stale answer serves; a refresh starts
  EXPECT_TRUE(wait_until(clock_, [&] { return lookups.load() == 2; }));
  fail = true;
  sim.advance(std::chrono::seconds(31));
  ASSERT_TRUE(ok());  // the refresh fails: the old addresses stay
  EXPECT_TRUE(wait_until(clock_, [&] { return lookups.load() == 3; }));
  EXPECT_TRUE(ok());
}

TEST_F(LoopClientTest, ReusedConnectionClosedByTheUpstreamIsRetriedForGet) {
  std::atomic<int> n{0};
  start_upstream([&](Request&, Responder res) {
    const int k = ++n;
    if (k == 2) {
      res.close();  // as if the idle connection was closed as the request arrived
      return;
    }
    res.respond(200, "text/plain", "ok" + std::to_string(k));
  });
  start_front();
  HttpClient tester(clock_);
  auto r = send_and_wait(tester, clock_, get("/a"), CallOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "ok1");
  r = send_and_wait(tester, clock_, get("/b"), CallOptions{});  // reused: dropped (2), retried (3)
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok3");
  EXPECT_EQ(client_.connections_opened(), 2u);
}

TEST_F(LoopClientTest, StoppingTheFrontCompletesCallsInFlightAsCancelled) {
  start_upstream([](Request&, Responder) {});  // never answers
  std::atomic<int> completes{0};
  std::atomic<int> cancelled{0};
  struct H final : ResponseHandler {
    std::atomic<int>* completes;
    std::atomic<int>* cancelled;
    void on_head(int, const Headers&) override {}
    bool on_body(std::string_view) override { return true; }
    void on_complete(Status st) override {
      if (st.code() == StatusCode::kCancelled) ++*cancelled;
      ++*completes;
      delete this;
    }
  };
  std::atomic<int> started{0};
  ServerOptions so;
  so.threads = 1;
  auto s = HttpServer::Start(so, clock_, [&](Request&, Responder) {
    auto* h = new H;
    h->completes = &completes;
    h->cancelled = &cancelled;
    HttpRequest out;
    out.method = "GET";
    out.base_url = upstream_->url();
    out.path = "/";
    (void)client_.start(out, CallOptions{}, *h);  // the Call handle may go: the exchange runs on
    ++started;
  });
  ASSERT_TRUE(s.ok());
  front_ = std::move(*s);
  HttpClient tester(clock_);
  RecordingHandler h;
  auto call = tester.start_async(get("/"), CallOptions{}, h);
  ASSERT_TRUE(wait_until(clock_, [&] { return started.load() == 1 && upstream_->in_flight() == 1; }));
  front_->stop();
  EXPECT_EQ(completes.load(), 1);
  EXPECT_EQ(cancelled.load(), 1);
  call.reset();
}

// Pauses its call (on the loop, from on_body) at the first body bytes and counts what
// arrives.
struct PausingHandler final : ResponseHandler {
  void on_head(int s, const Headers&) override { status = s; }
  bool on_body(std::string_view b) override {
    received += b.size();
    if (!paused_once && call) {
      paused_once = true;
      at_pause = received.load();
      EXPECT_TRUE(LoopHttpClient::set_paused(*call, true));
    }
    return true;
  }
  void on_complete(Status st) override {
    final = st;
    done = true;
  }
  int status = 0;
  std::atomic<size_t> received{0};
  std::atomic<size_t> at_pause{0};  // read by the test thread
  bool paused_once = false;
  Status final;
  std::atomic<bool> done{false};
  CallPtr call;
  EventLoop* loop = nullptr;
};

TEST_F(LoopClientTest, PausedCallStopsReadingUntilResumed) {
  // The upstream queues 8 MiB at once; the front pauses its call at the first body bytes.
  // While paused, the front must not read: the upstream's output queue stays full (only
  // the socket buffers take anything) and the front's handler gets nothing more.
  const size_t total = 8u << 20;
  std::mutex up_mu;
  Responder up_res;
  start_upstream([&](Request&, Responder res) {
    res.start(200, ct("application/octet-stream"), total);
    for (size_t sent = 0; sent < total; sent += 64 * 1024) res.write(std::string(64 * 1024, 'x'));
    std::lock_guard<std::mutex> l(up_mu);
    up_res = res;
  });
  PausingHandler h;
  ServerOptions so;
  so.threads = 1;
  std::atomic<bool> started{false};
  auto s = HttpServer::Start(so, clock_, [&](Request&, Responder res) {
    HttpRequest out;
    out.method = "GET";
    out.base_url = upstream_->url();
    out.path = "/big";
    h.loop = EventLoop::current();
    h.call = client_.start(out, CallOptions{}, h);
    started = true;
    res.respond(204, Headers{}, "");
  });
  ASSERT_TRUE(s.ok());
  front_ = std::move(*s);
  HttpClient tester(clock_);
  auto r = send_and_wait(tester, clock_, get("/"), CallOptions{});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(wait_until(clock_, [&] { return h.received.load() > 0; }));
  // Paused: the upstream cannot get rid of most of its 8 MiB (loopback socket buffers hold
  // a few MiB at most), and the front's count stays at what the pausing read delivered.
  ASSERT_TRUE(wait_until(clock_, [&] {
    std::lock_guard<std::mutex> l(up_mu);
    return up_res && up_res.queued_bytes() > 0;
  }));
  // A broken pause would deliver the rest within milliseconds; give it 200 ms to show.
  EXPECT_FALSE(wait_until(clock_, [&] { return h.received.load() > h.at_pause.load() + 16 * 1024; }, std::chrono::milliseconds(200)));
  {
    std::lock_guard<std::mutex> l(up_mu);
    EXPECT_GT(up_res.queued_bytes(), 0u);
  }
  EXPECT_LE(h.received.load(), h.at_pause.load() + 16 * 1024);
  EXPECT_FALSE(h.done.load());
  // Resume on the front's loop: the rest arrives and the call completes.
  ASSERT_TRUE(h.loop->post([&] { EXPECT_TRUE(LoopHttpClient::set_paused(*h.call, false)); }));
  ASSERT_TRUE(wait_until(clock_, [&] { return h.done.load(); }));
  EXPECT_TRUE(h.final.ok()) << h.final.to_string();
  EXPECT_EQ(h.received.load(), total);
  EXPECT_EQ(h.status, 200);
}

TEST_F(LoopClientTest, OffTheLoopItIsTheBlockingClient) {
  start_upstream([](Request&, Responder res) { res.respond(200, "text/plain", "direct"); });
  HttpRequest r;
  r.method = "GET";
  r.base_url = upstream_->url();
  r.path = "/";
  EXPECT_EQ(EventLoop::current(), nullptr);
  auto resp = send_and_wait(client_, clock_, r, CallOptions{});
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->body, "direct");
  EXPECT_EQ(client_.fallback_calls(), 1u);
  EXPECT_EQ(client_.loop_calls(), 0u);
}

TEST_F(LoopClientTest, EventLoopPostDeferAndLocals) {
  std::vector<std::string> order;
  std::atomic<bool> local_destroyed{false};
  struct Local {
    std::atomic<bool>* flag;
    ~Local() { *flag = true; }
  };
  static const int key = 0;
  start_upstream([&](Request&, Responder res) {
    EventLoop* loop = EventLoop::current();
    ASSERT_NE(loop, nullptr);
    EXPECT_TRUE(loop->on_loop_thread());
    if (loop->get_local(&key) == nullptr) {
      auto l = std::make_shared<Local>();
      l->flag = &local_destroyed;
      loop->set_local(&key, l);
    }
    loop->defer([&order, res]() mutable {
      order.push_back("deferred");
      res.respond(200, "text/plain", "ok");
    });
    order.push_back("handler");
  });
  HttpClient tester(clock_);
  HttpRequest r;
  r.method = "GET";
  r.base_url = upstream_->url();
  r.path = "/";
  auto resp = send_and_wait(tester, clock_, r, CallOptions{});
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->body, "ok");
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0], "handler");  // defer runs after the current callback
  EXPECT_EQ(order[1], "deferred");
  EXPECT_FALSE(local_destroyed.load());
  upstream_->stop();
  EXPECT_TRUE(local_destroyed.load());  // locals go with the loop
}

// HttpServer::loop(i): work posted to it runs on that loop's thread, with current() naming
// it; there is no loop past `threads`; after stop(), post() refuses.
TEST_F(LoopClientTest, ServerLoopTakesPostedWork) {
  start_upstream([](Request&, Responder res) { res.respond(404, "text/plain", ""); });
  EventLoop& loop = upstream_->loop(0);
  EXPECT_FALSE(loop.on_loop_thread());
  std::mutex mu;
  std::condition_variable cv;
  bool ran = false, on_loop = false;
  EventLoop* seen = nullptr;
  ASSERT_TRUE(loop.post([&] {
    std::lock_guard<std::mutex> g(mu);
    on_loop = loop.on_loop_thread();
    seen = EventLoop::current();
    ran = true;
    cv.notify_all();
  }));
  {
    std::unique_lock<std::mutex> g(mu);
    cv.wait(g, [&] { return ran; });
  }
  EXPECT_TRUE(on_loop);
  EXPECT_EQ(seen, &loop);
  EXPECT_THROW(upstream_->loop(2), std::out_of_range);  // two loops by default
  upstream_->stop();
  EXPECT_FALSE(loop.post([] {}));
}

}  // namespace
}  // namespace ploke::net
