// Recorder: a recording reverse proxy on ploke::net::HttpServer (see recorder.h).
//
// Design notes:
//  - Server: ploke::net::HttpServer (adapters/net: libevent loop, http-parser, our own
//    framing). Its handler runs on the loop thread and never blocks: replays, near-miss
//    404s and errors are answered there (replays timed with the exchange's Clock timer).
//  - Forwarding, http:// upstreams (the simulator, local gateways; the c1 latency target):
//    the handler starts the upstream call with net::LoopHttpClient on the same loop (the
//    upstream socket is one more libevent fd) and returns. Each request owns an Exchange
//    (a ResponseHandler) whose on_head/on_body/on_complete run later on that loop and
//    answer the client inline: non-stream requests (no "stream": true, no Accept:
//    text/event-stream) with one respond() (head + body, one send()) at on_complete;
//    streams with start() at on_head, write() per on_body chunk as it arrives (captured
//    with its offset in ms from the request start, injected Clock), finish() or a cut at
//    the end. No thread hand-off on the client's path.
//  - Forwarding, https:// upstreams: HttpTransport (OpenSSL via httplib) blocks its
//    caller, so a worker pool (up to RecorderOptions::threads, started on demand) runs the
//    call; the same Exchange callbacks then run on the transport's thread and the
//    Responder queues each step to the loop; a stream's read waits while more than
//    max_queued_bytes are queued for the client (backpressure).
//  - A client that leaves (Responder::on_cancel) abandons the exchange: the upstream call
//    is cancelled and nothing is recorded.
//  - After the response, the raw capture is handed to a recording thread (SCHED_IDLE)
//    that classifies and redacts it (keeps ~0.25 ms of codec work off the client's path).
#include "ploke/recorder/recorder.h"

#include <nlohmann/json.hpp>

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "ploke/adapters/http_transport.h"
#include "ploke/codec/cassette_json.h"
#include "ploke/codec/matcher.h"
#include "ploke/core/cassette.h"
#include "ploke/core/secret_registry.h"
#include "ploke/net/http_server.h"
#include "ploke/net/loop_client.h"

namespace ploke::recorder {

std::string_view record_mode_name(RecordMode m) {
  switch (m) {
    case RecordMode::kOnce: return "once";
    case RecordMode::kNewEpisodes: return "new_episodes";
    case RecordMode::kAll: return "all";
    case RecordMode::kNone: return "none";
  }
  return "once";
}

std::optional<RecordMode> record_mode_from_name(std::string_view name) {
  if (name == "once") return RecordMode::kOnce;
  if (name == "new_episodes" || name == "new-episodes") return RecordMode::kNewEpisodes;
  if (name == "all") return RecordMode::kAll;
  if (name == "none") return RecordMode::kNone;
  return std::nullopt;
}

namespace {

// Request headers never forwarded: hop-by-hop (RFC 9110 7.6.1), framing the transport
// redoes, Accept-Encoding (we ask for identity), Expect.
bool is_unforwarded_request_header(std::string_view n) {
  static constexpr std::string_view kNames[] = {
      "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
      "upgrade", "host", "content-length", "accept-encoding", "expect"};
  for (auto k : kNames) {
    if (iequals(n, k)) return true;
  }
  return false;
}

// Response headers not copied to the client (the server frames the body itself; the
// transport already decoded any content-encoding) nor into the recording.
bool is_unforwarded_response_header(std::string_view n) {
  static constexpr std::string_view kNames[] = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                                "content-length", "content-encoding", "trailer", "upgrade", "te"};
  for (auto k : kNames) {
    if (iequals(n, k)) return true;
  }
  return false;
}

bool is_event_stream(std::string_view content_type) {
  std::string lower(content_type);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("text/event-stream") != std::string::npos;
}

std::string error_json(std::string_view message, std::string_view type, std::string_view code) {
  nlohmann::json j;
  j["error"] = {{"message", std::string(message)}, {"type", std::string(type)}, {"param", nullptr},
                {"code", std::string(code)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct UpstreamUrl {
  std::string base;     // as given, trailing '/' removed
  std::string display;  // scheme://host[:port][/prefix] (no credentials: rejected)
  bool tls = false;     // https://
};

Result<UpstreamUrl> parse_upstream(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return InvalidRequestError("upstream: expected http(s)://host[:port][/prefix]");
  const std::string_view scheme = url.substr(0, scheme_end);
  if (!iequals(scheme, "http") && !iequals(scheme, "https")) {
    return InvalidRequestError("upstream: scheme must be http or https");
  }
  const size_t host_start = scheme_end + 3;
  const size_t slash = url.find('/', host_start);
  const std::string_view authority = url.substr(host_start, slash == std::string_view::npos ? url.npos : slash - host_start);
  if (authority.empty()) return InvalidRequestError("upstream: missing host");
  if (authority.find('@') != std::string_view::npos) {
    return InvalidRequestError("upstream: credentials in the URL are not supported (send them as headers)");
  }
  if (url.find_first_of("?#") != std::string_view::npos) {
    return InvalidRequestError("upstream: a query or fragment is not allowed (path prefix only)");
  }
  UpstreamUrl out;
  out.tls = iequals(scheme, "https");
  out.base = std::string(url);
  while (out.base.size() > host_start + authority.size() && out.base.back() == '/') out.base.pop_back();
  out.display = out.base;
  return out;
}

std::string file_stem(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}

}  // namespace

// One forwarded exchange: the upstream call's ResponseHandler, which answers the client
// through the Responder as the upstream's bytes arrive. http:// upstreams: the callbacks
// run on the server's loop thread (net::LoopHttpClient), so nothing changes threads.
// https:// upstreams: they run on a transport thread (HttpTransport, started by a worker),
// and the Responder queues each step to the loop. on_complete() answers the client last
// (or cuts it) and hands the capture to the recording thread.
class Exchange final : public ResponseHandler {
 public:
  Exchange(Recorder::Impl& owner, Clock& clock, TimePoint t0) : owner_(owner), clock_(clock), t0_(t0) {}
  ~Exchange() override;

  /// Arrival order: the cassette keeps recordings in the order their requests came in,
  /// whatever order the exchanges finish in.
  uint64_t seq = 0;

  // ResponseHandler (loop thread or transport thread)
  void on_head(int status, const Headers& headers) override {
    const double ms = to_ms(clock_.now() - t0_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_ = status;
      headers_ = headers;
      if (auto cl = headers.get("content-length"); cl && !headers.has("content-encoding")) {
        declared_length_ = std::strtoull(std::string(*cl).c_str(), nullptr, 10);
      }
      first_byte_ms_ = ms;
      head_ = true;
    }
    if (streaming_) {
      std::optional<size_t> length;
      Headers out = client_head(headers, status, &length);
      res.start(status, std::move(out), length);
    }
  }
  bool on_body(std::string_view bytes) override {
    const double ms = to_ms(clock_.now() - t0_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      captured_.push_back(RecordedChunk{ms, std::string(bytes)});
      captured_bytes_ += bytes.size();
      if (declared_length_ && captured_bytes_ >= *declared_length_) all_bytes_in_ = true;
      if (consumer_gone_) return false;
    }
    if (streaming_ && !bytes.empty()) {
      res.write(bytes);  // to the client as it arrives
      // Backpressure: a client slower than the upstream stops the upstream read. On the
      // loop: the call is paused until the client's queue drains; on a transport thread
      // the read waits.
      if (on_loop) {
        if (res.queued_bytes() > max_queued_bytes) pause_upstream();
      } else {
        while (res.queued_bytes() > max_queued_bytes && res.open() && !abandoned()) {
          clock_.sleep_for(std::chrono::milliseconds(1));
        }
      }
    }
    return true;
  }
  void on_complete(Status status) override;  // after Recorder::Impl

  /// Loop path: the exchange keeps itself alive until on_complete().
  void hold(std::shared_ptr<Exchange> self) { self_ = std::move(self); }
  void set_call(CallPtr call) {
    std::lock_guard<std::mutex> lock(mu_);
    call_ = std::move(call);
    call_started_ = call_ != nullptr;
    if (consumer_gone_ && call_ && !complete_) call_->cancel();
  }
  /// Client gone or recorder stopping: abort the upstream call (any thread).
  void abandon() {
    std::lock_guard<std::mutex> lock(mu_);
    consumer_gone_ = true;
    // With every declared byte in, on_complete is imminent and the client may already have
    // the whole body: let the exchange finish (and be recorded) instead of cutting it.
    if (call_ && !complete_ && !all_bytes_in_) call_->cancel();
  }
  bool abandoned() const { std::lock_guard<std::mutex> l(mu_); return consumer_gone_; }
  /// Waits for the end and joins the transport thread (https worker; never on the loop
  /// before completion).
  void wait_complete_and_join() {
    CallPtr call;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return complete_ || !call_started_; });
      call = std::move(call_);
    }
    call.reset();  // joins (the thread ends right after on_complete)
  }

  // Read by on_complete (the producer's thread) and after completion.
  int status() const { std::lock_guard<std::mutex> l(mu_); return status_; }
  Headers headers() const { std::lock_guard<std::mutex> l(mu_); return headers_; }
  Status final_status() const { std::lock_guard<std::mutex> l(mu_); return final_; }
  bool has_head() const { std::lock_guard<std::mutex> l(mu_); return head_; }
  double first_byte_ms() const { std::lock_guard<std::mutex> l(mu_); return first_byte_ms_; }
  double elapsed_ms() const { std::lock_guard<std::mutex> l(mu_); return elapsed_ms_; }
  std::vector<RecordedChunk> take_captured() { std::lock_guard<std::mutex> l(mu_); return std::move(captured_); }
  /// The whole body captured so far.
  std::string captured_body() const {
    std::lock_guard<std::mutex> l(mu_);
    if (captured_.size() == 1) return captured_[0].data;
    std::string out;
    out.reserve(captured_bytes_);
    for (const auto& c : captured_) out += c.data;
    return out;
  }

  /// The client's head for an upstream head: filtered headers, the content type (default
  /// application/octet-stream) and the length to frame with (nullopt = chunked).
  Headers client_head(const Headers& head, int status, std::optional<size_t>* length) const {
    Headers out;
    bool has_type = false;
    std::optional<size_t> cl;
    bool chunked = false;
    for (const auto& [k, v] : head.items()) {
      if (iequals(k, "content-length")) {
        cl = std::strtoull(v.c_str(), nullptr, 10);
        continue;
      }
      if (iequals(k, "transfer-encoding")) {
        chunked = true;
        continue;
      }
      if (is_unforwarded_response_header(k)) continue;
      if (iequals(k, "content-type")) has_type = true;
      out.add(k, v);
    }
    if (!has_type && status != 204 && status != 304) out.add("Content-Type", "application/octet-stream");
    // (A decoded content-encoding changes the length: then send chunked.)
    if (head.has("content-encoding")) chunked = true;
    length->reset();
    if (request.method == "HEAD" || status == 204 || status == 304) *length = 0;
    else if (cl && !chunked) *length = *cl;
    return out;
  }

  // Loop path backpressure: the upstream socket is not read until the client's queue is
  // down to half the limit (checked every ms on the exchange's timer, on the loop).
  void pause_upstream() {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (paused_ || !call_ || !net::LoopHttpClient::set_paused(*call_, true)) return;
      paused_ = true;
    }
    arm_resume_check();
  }
  void arm_resume_check() {
    std::weak_ptr<Exchange> weak = self_;
    res.set_timer(clock_.now() + std::chrono::milliseconds(1), [weak] {
      if (auto e = weak.lock()) e->resume_when_drained();
    });
  }
  void resume_when_drained() {
    if (res.queued_bytes() > max_queued_bytes / 2) return arm_resume_check();
    std::lock_guard<std::mutex> l(mu_);
    if (!paused_ || !call_) return;
    paused_ = false;
    (void)net::LoopHttpClient::set_paused(*call_, false);
  }

  HttpRequest request;           // as received from the client (path = client's target)
  net::Responder res;            // the client's response
  size_t max_queued_bytes = 1 << 20;
  bool streaming_ = false;       // body bytes go to the client as they arrive
  bool on_loop = false;          // callbacks on the server's loop (http://, LoopHttpClient)
  bool finished = false;         // recording done (on_complete's thread only)

 private:
  Recorder::Impl& owner_;
  Clock& clock_;
  const TimePoint t0_;
  mutable std::mutex mu_;
  std::condition_variable cv_;  // waits for the end (https worker)
  bool head_ = false;
  int status_ = 0;
  Headers headers_;
  double first_byte_ms_ = 0;
  double elapsed_ms_ = 0;
  std::vector<RecordedChunk> captured_;
  bool complete_ = false;
  bool consumer_gone_ = false;
  bool call_started_ = false;
  std::optional<size_t> declared_length_;
  size_t captured_bytes_ = 0;
  bool all_bytes_in_ = false;
  Status final_;
  CallPtr call_;
  std::shared_ptr<Exchange> self_;  // loop path: released by on_complete
  bool paused_ = false;             // loop path: upstream reading paused (backpressure)
};

/// Threads for https:// upstreams (HttpTransport blocks its caller): started on demand
/// up to `max`, idle ones wait for work.
class WorkerPool {
 public:
  explicit WorkerPool(size_t max) : max_(max) {}
  ~WorkerPool() { stop(); }
  void submit(std::function<void()> fn) {
    std::lock_guard<std::mutex> l(mu_);
    if (stop_) return;
    queue_.push_back(std::move(fn));
    if (idle_ > 0) {
      cv_.notify_one();
    } else if (threads_.size() < max_) {
      threads_.emplace_back([this] { run(); });
    }
  }
  void stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
      cv_.notify_all();
    }
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void run() {
    std::unique_lock<std::mutex> l(mu_);
    while (true) {
      ++idle_;
      cv_.wait(l, [&] { return !queue_.empty() || stop_; });
      --idle_;
      if (queue_.empty()) return;  // stopping
      auto fn = std::move(queue_.front());
      queue_.pop_front();
      l.unlock();
      try {
        fn();
      } catch (...) {
      }
      l.lock();
    }
  }

  const size_t max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // GUARDED_BY(mu_)
  size_t idle_ = 0;                          // GUARDED_BY(mu_)
  bool stop_ = false;                        // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;         // GUARDED_BY(mu_) (joined by stop())
};

struct FlushSignal {
  std::mutex mu;
  std::condition_variable cv;
  bool requested = false;
  bool stop = false;
  bool timer_stopped = false;
  std::optional<TimerId> timer;
};

struct Recorder::Impl {
  Impl(const RecorderOptions& o, Clock& c, codec::RedactionRules r)
      : opts(o), clock(c), rules(std::move(r)) {}

  const RecorderOptions opts;
  Clock& clock;
  const codec::RedactionRules rules;
  UpstreamUrl upstream;
  bool records = false;   // may forward
  bool replays = false;   // consults the store first
  std::unique_ptr<codec::ReplayStore> store;
  std::unique_ptr<net::LoopHttpClient> loop_client;  // http:// upstreams: on the server's loop
  std::unique_ptr<HttpTransport> transport;          // https:// upstreams: on pool workers

  // Cassette being written.
  mutable std::mutex data_mu;
  Cassette cassette;              // GUARDED_BY(data_mu)
  uint64_t generation = 0;        // GUARDED_BY(data_mu): bumped per new interaction
  uint64_t first_new_id = 1;      // id of the first interaction recorded by this run
  std::vector<uint64_t> new_seqs; // GUARDED_BY(data_mu): arrival seq of each new interaction (the cassette's tail), ascending
  std::atomic<uint64_t> next_seq{0};
  RecorderStats stats;            // GUARDED_BY(data_mu)

  std::mutex write_mu;            // serializes file writes
  uint64_t written_generation = 0;  // GUARDED_BY(write_mu)
  Status last_flush;                // GUARDED_BY(write_mu)

  // Exchanges in flight (for stop()).
  std::mutex active_mu;
  std::set<Exchange*> active;     // GUARDED_BY(active_mu)

  // Server and (https:// upstreams only) forwarding workers.
  std::unique_ptr<net::HttpServer> server;
  std::unique_ptr<WorkerPool> pool;
  std::atomic<bool> started{false};
  std::atomic<bool> stopping{false};
  int port = 0;
  std::mutex stop_mu;
  bool stopped = false;           // GUARDED_BY(stop_mu)
  Status stop_status;             // GUARDED_BY(stop_mu)

  std::shared_ptr<FlushSignal> flush_signal = std::make_shared<FlushSignal>();
  std::thread flusher;

  void log(const std::string& line) const {
    if (!opts.log) return;
    try {
      opts.log(rules.redact_text(line));
    } catch (...) {
    }
  }
  void count(uint64_t RecorderStats::*field) {
    std::lock_guard<std::mutex> lock(data_mu);
    ++(stats.*field);
  }

  // ---- persistence ----

  Status flush() {
    process_pending();
    std::lock_guard<std::mutex> wl(write_mu);
    std::string text;
    uint64_t gen = 0;
    {
      std::lock_guard<std::mutex> lock(data_mu);
      if (generation == written_generation) return last_flush;
      gen = generation;
      cassette.recorded_at = format_rfc3339_utc(clock.system_now());
      text = codec::serialize_cassette(cassette);
    }
    Status st = codec::write_file_atomic(opts.cassette_path, text);
    {
      std::lock_guard<std::mutex> lock(data_mu);
      if (st.ok()) ++stats.flushes;
      else ++stats.flush_errors;
    }
    if (st.ok()) written_generation = gen;
    else log("ploke-sim record: writing the cassette failed: " + st.to_string());
    last_flush = st;
    return st;
  }

  void arm_flush_timer() {
    if (opts.flush_interval <= Duration{0}) return;
    std::shared_ptr<FlushSignal> sig = flush_signal;
    Clock* c = &clock;
    const Duration every = opts.flush_interval;
    // The callback holds the signal (not the Impl), so a late firing after stop() is harmless.
    auto fire = std::make_shared<std::function<void()>>();
    std::weak_ptr<std::function<void()>> weak_fire = fire;
    *fire = [sig, c, every, weak_fire] {
      std::lock_guard<std::mutex> lock(sig->mu);
      if (sig->timer_stopped) return;
      sig->requested = true;
      sig->cv.notify_all();
      if (auto f = weak_fire.lock()) sig->timer = c->schedule_after(every, [f] { (*f)(); });
    };
    std::lock_guard<std::mutex> lock(sig->mu);
    // The signal keeps the function alive until stop() drops it.
    timer_fn = fire;
    sig->timer = clock.schedule_after(every, [fire] { (*fire)(); });
  }
  std::shared_ptr<std::function<void()>> timer_fn;

  void flusher_loop() {
    std::shared_ptr<FlushSignal> sig = flush_signal;
    std::unique_lock<std::mutex> lock(sig->mu);
    while (true) {
      sig->cv.wait(lock, [&] { return sig->requested || sig->stop; });
      if (sig->stop) return;
      sig->requested = false;
      lock.unlock();
      (void)flush();
      lock.lock();
    }
  }

  // ---- recording ----

  // Adds a recording in arrival order (`seq`): exchanges finish out of order (a stream's
  // releaser can run after the next, inline request was recorded), the cassette must not.
  void append(Interaction i, uint64_t seq, const std::string& summary) {
    i = codec::redact_interaction(std::move(i), rules);
    {
      std::lock_guard<std::mutex> lock(data_mu);
      const size_t tail = cassette.interactions.size() - new_seqs.size();
      const size_t k = static_cast<size_t>(std::lower_bound(new_seqs.begin(), new_seqs.end(), seq) - new_seqs.begin());
      new_seqs.insert(new_seqs.begin() + static_cast<std::ptrdiff_t>(k), seq);
      cassette.interactions.insert(cassette.interactions.begin() + static_cast<std::ptrdiff_t>(tail + k), std::move(i));
      for (size_t j = k; j < new_seqs.size(); ++j) {  // ids follow file order
        char id[24];
        std::snprintf(id, sizeof id, "%04llu", static_cast<unsigned long long>(first_new_id + j));
        cassette.interactions[tail + j].id = id;
      }
      ++generation;
      ++stats.recorded;
    }
    log(summary);
  }

  // Consumer thread, after the upstream call ended and was joined.
  // What the worker hands to the recording thread: cheap moves only, so classification
  // and redaction (~0.25 ms for a 1 KB JSON exchange) stay off the client's path.
  struct RawRecording {
    uint64_t seq = 0;
    HttpRequest request;
    SystemTime recorded_at{};  // formatted on the recording thread (snprintf is not free)
    int status = 0;
    Headers headers;
    double first_byte_ms = 0;
    double elapsed_ms = 0;
    Status final_status;
    std::vector<RecordedChunk> chunks;
  };
  std::mutex pending_mu;
  std::condition_variable pending_cv;
  std::deque<RawRecording> pending;  // GUARDED_BY(pending_mu)
  bool recording_stop = false;       // GUARDED_BY(pending_mu)
  std::mutex process_mu;             // serializes process_pending() (keeps ids in order)
  std::thread recording_thread;

  static constexpr size_t kRecordBatch = 32;

  void record_exchange(Exchange& ex) {
    if (ex.finished) return;
    ex.finished = true;
    RawRecording raw;
    raw.seq = ex.seq;
    raw.request = std::move(ex.request);
    raw.recorded_at = clock.system_now();
    raw.status = ex.status();
    raw.headers = ex.headers();
    raw.first_byte_ms = ex.first_byte_ms();
    raw.elapsed_ms = ex.elapsed_ms();
    raw.final_status = ex.final_status();
    raw.chunks = ex.take_captured();
    std::lock_guard<std::mutex> lock(pending_mu);
    pending.push_back(std::move(raw));
    // Wake the recording thread once per batch, not per exchange: a futex wake and a
    // thread start on the other core per request cost the forwarded path more than the
    // work itself. The flusher (every flush_interval) and flush()/stop() drain the rest.
    if (pending.size() >= kRecordBatch) pending_cv.notify_all();
  }

  void build_and_append(RawRecording raw) {
    Interaction i;
    i.recorded_at = format_rfc3339_utc(raw.recorded_at);
    i.request = codec::recorded_request_from_http(raw.request);
    RecordedResponse& r = i.response;
    r.status = raw.status;
    for (const auto& [k, v] : raw.headers.items()) {
      if (!is_unforwarded_response_header(k)) r.headers.add(k, v);
    }
    r.first_byte_ms = raw.first_byte_ms;
    r.elapsed_ms = raw.elapsed_ms;
    r.ending = raw.final_status.ok() ? Ending::kComplete : Ending::kReset;
    const auto ct = r.headers.get("content-type");
    r.streamed = ct && is_event_stream(*ct);
    if (r.streamed) {
      r.chunks = std::move(raw.chunks);
    } else {
      std::string body;
      for (auto& c : raw.chunks) body += c.data;
      r.body = codec::make_recorded_body(std::move(body), ct ? *ct : std::string_view{});
    }
    std::string summary = "recorded " + raw.request.method + " " + i.request.path + " -> " + std::to_string(r.status);
    if (r.streamed) summary += " stream " + std::to_string(r.chunks.size()) + " chunks";
    if (!raw.final_status.ok()) summary += " (cut by upstream: " + raw.final_status.to_string() + ")";
    char ms[32];
    std::snprintf(ms, sizeof ms, " %.1f ms", r.elapsed_ms);
    summary += ms;
    append(std::move(i), raw.seq, summary);
  }

  /// Turns every pending raw recording into a redacted interaction (recording thread, and
  /// flush() so a flush always includes everything finished before it).
  void process_pending() {
    std::lock_guard<std::mutex> pl(process_mu);
    std::deque<RawRecording> batch;
    {
      std::lock_guard<std::mutex> lock(pending_mu);
      batch.swap(pending);
    }
    for (auto& raw : batch) {
      try {
        build_and_append(std::move(raw));
      } catch (const std::exception& e) {
        log(std::string("ploke-sim record: recording failed: ") + e.what());
      }
    }
  }

  void recording_loop() {
    // Background work: classification and redaction must never delay a forwarded
    // response, so this thread only runs when a core is otherwise idle (SCHED_IDLE).
    // It cannot starve: flush() (the flusher thread, every flush_interval, and stop())
    // drains the pending queue at normal priority.
    sched_param idle{};
    (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
    std::unique_lock<std::mutex> lock(pending_mu);
    while (true) {
      pending_cv.wait(lock, [&] { return !pending.empty() || recording_stop; });
      if (pending.empty() && recording_stop) return;
      lock.unlock();
      process_pending();
      lock.lock();
    }
  }

  void record_failure(Exchange& ex, const Status& st) {
    if (ex.finished) return;
    ex.finished = true;
    Interaction i;
    i.recorded_at = format_rfc3339_utc(clock.system_now());
    i.request = codec::recorded_request_from_http(ex.request);
    i.response.status = 502;
    i.response.ending = Ending::kCloseNoReply;
    i.response.elapsed_ms = ex.elapsed_ms();
    std::string summary = "recorded " + ex.request.method + " " + i.request.path + " -> upstream failure: " + st.to_string();
    append(std::move(i), ex.seq, summary);
  }

  // ---- request handling ----

  void upstream_error(net::Responder& res, const Status& st) {
    const bool timeout = st.code() == StatusCode::kTimeout;
    const std::string msg = rules.redact_text("ploke-sim record: upstream " + upstream.display + " failed: " + st.to_string());
    res.respond(timeout ? 504 : 502, "application/json",
                error_json(msg, "upstream_error", timeout ? "upstream_timeout" : "upstream_unreachable"));
    log(msg);
  }

  // Loop thread: starts the upstream call. http://: on this loop (LoopHttpClient; the
  // Exchange's callbacks answer the client here). https://: a worker runs HttpTransport.
  void forward(HttpRequest hr, TimePoint t0, net::Responder res) {
    count(&RecorderStats::forwarded);
    if (stopping.load()) {
      res.respond(503, "application/json", error_json("ploke-sim record: stopping", "upstream_error", "recorder_stopping"));
      return;
    }
    auto ex = std::make_shared<Exchange>(*this, clock, t0);
    ex->seq = next_seq.fetch_add(1);
    ex->request = std::move(hr);
    ex->res = res;
    ex->max_queued_bytes = opts.max_queued_bytes;
    ex->streaming_ = !opts.inline_non_stream || wants_stream(ex->request);
    {
      std::lock_guard<std::mutex> lock(active_mu);
      active.insert(ex.get());
    }
    std::weak_ptr<Exchange> weak = ex;
    res.on_cancel([weak] {
      if (auto e = weak.lock()) e->abandon();  // the client left: abort the upstream call
    });
    if (loop_client) {
      ex->on_loop = true;
      ex->hold(ex);  // until on_complete (later, on this loop; at once only if the loop is closing)
      ex->set_call(loop_client->start(upstream_request(*ex), opts.upstream_timeouts, *ex));
      return;
    }
    pool->submit([this, ex] { run_on_worker(ex); });
  }

  HttpRequest upstream_request(const Exchange& ex) const {
    HttpRequest out;
    out.method = ex.request.method;
    out.path = ex.request.path;
    out.body = ex.request.body;
    out.expect_stream = ex.request.expect_stream;
    out.base_url = upstream.base;
    for (const auto& [k, v] : ex.request.headers.items()) {
      if (!is_unforwarded_request_header(k)) out.headers.add(k, v);
    }
    out.headers.add("Accept-Encoding", "identity");
    return out;
  }

  // Worker thread (https:// upstreams): runs the transport call to its end; the Exchange's
  // callbacks answer the client from the transport's thread.
  void run_on_worker(const std::shared_ptr<Exchange>& ex) {
    if (stopping.load()) {
      ex->abandon();
      ex->finished = true;
      ex->res.respond(503, "application/json", error_json("ploke-sim record: stopping", "upstream_error", "recorder_stopping"));
      return;
    }
    const HttpRequest out = upstream_request(*ex);
    if (!ex->streaming_) {
      (void)transport->start(out, opts.upstream_timeouts, *ex);  // returns after on_complete
    } else {
      ex->set_call(transport->start_async(out, opts.upstream_timeouts, *ex));  // cancellable
    }
    ex->wait_complete_and_join();
  }

  // Exchange::on_complete (the callbacks' thread): the client's answer or cut, then the
  // recording.
  void finish_exchange(Exchange& ex, const Status& st) {
    net::Responder& res = ex.res;
    if (!ex.has_head()) {
      if (ex.abandoned() && st.code() == StatusCode::kCancelled) {
        finish_aborted(ex);
        return;
      }
      count(&RecorderStats::upstream_failures);
      if (opts.record_upstream_failures && st.code() != StatusCode::kCancelled) record_failure(ex, st);
      upstream_error(res, st);
      ex.finished = true;
      return;
    }
    if (!ex.streaming_) {
      // Non-stream: the whole response in one respond() (one send()).
      std::optional<size_t> length;
      Headers head = ex.client_head(ex.headers(), ex.status(), &length);
      std::string body = ex.captured_body();
      if (st.ok()) {
        if (length && *length == 0) body.clear();  // HEAD / 204 / 304
        res.respond(ex.status(), std::move(head), std::move(body));
      } else {
        // The upstream cut the body: cut the client too (declared one byte more than sent).
        res.start(ex.status(), std::move(head), body.size() + 1);
        res.write(std::move(body));
        res.close();
      }
    } else if (st.ok()) {
      res.finish();
    } else {
      res.close();  // cut the client too (no terminating chunk)
    }
    if (!st.ok() && ex.abandoned() && st.code() == StatusCode::kCancelled) {
      finish_aborted(ex);
      return;
    }
    if (st.code() == StatusCode::kCancelled && stopping.load()) {
      ex.finished = true;
      return;
    }
    try {
      record_exchange(ex);
    } catch (const std::exception& e) {
      log(std::string("ploke-sim record: recording failed: ") + e.what());
    }
  }

  // The client left (or the recorder is stopping): the upstream call was aborted; nothing
  // is recorded.
  void finish_aborted(Exchange& ex) {
    ex.finished = true;
    ex.res.close();
    if (!stopping.load()) {
      count(&RecorderStats::client_aborts);
      log("not recorded (client disconnected): " + ex.request.method + " " + split_path_query(ex.request.path).first);
    }
  }

  static bool wants_stream(const HttpRequest& r) {
    if (auto a = r.headers.get("accept"); a && is_event_stream(*a)) return true;
    // "stream": true anywhere in a JSON body (OpenAI, Anthropic, OpenRouter); a false
    // positive only costs the streaming path.
    const std::string& b = r.body;
    for (size_t pos = b.find("\"stream\""); pos != std::string::npos; pos = b.find("\"stream\"", pos + 1)) {
      size_t i = pos + 8;
      while (i < b.size() && std::isspace(static_cast<unsigned char>(b[i]))) ++i;
      if (i >= b.size() || b[i] != ':') continue;
      ++i;
      while (i < b.size() && std::isspace(static_cast<unsigned char>(b[i]))) ++i;
      if (b.compare(i, 4, "true") == 0) return true;
    }
    return false;
  }

  void unregister(Exchange* ex) {
    std::lock_guard<std::mutex> lock(active_mu);
    active.erase(ex);
  }

  // Replay player (cf. SimServer's; no socket-level endings here): steps run from the
  // exchange's timer on the loop thread, due at t0 + offset on the injected Clock.
  struct Play : std::enable_shared_from_this<Play> {
    net::Responder res;
    ScriptedResponse script;
    TimePoint t0;
    size_t next = 0;
    bool head_sent = false;
    std::optional<size_t> length;
    Headers head;

    void schedule(TimePoint due) {
      res.set_timer(due, [self = shared_from_this()] { self->advance(); });
    }
    void advance() {
      const TimePoint now = res.clock().now();
      if (!head_sent) {
        if (now < t0 + script.head_at) return schedule(t0 + script.head_at);
        head_sent = true;
        if (!res.start(script.status, std::move(head), length)) return;
      }
      const auto& chunks = script.chunks;
      while (next < chunks.size() && t0 + chunks[next].at <= now) {
        res.write(std::move(script.chunks[next].bytes));
        ++next;
      }
      if (next < chunks.size()) return schedule(t0 + chunks[next].at);
      if (script.ending == Ending::kComplete) res.finish();
      else res.close();
    }
  };

  void play(ScriptedResponse&& sr, TimePoint t0, net::Responder& res) {
    if (!sr.send_head || sr.ending == Ending::kCloseNoReply) {
      // A recorded upstream failure: the client saw the recorder's 502 then, too.
      if (sr.head_at <= Duration{0} || clock.now() >= t0 + sr.head_at) {
        upstream_error(res, ConnectionResetError("recorded upstream failure (replayed)"));
        return;
      }
    }
    Headers head;
    bool has_type = false;
    for (const auto& [name, value] : sr.headers.items()) {
      if (is_unforwarded_response_header(name)) continue;
      if (iequals(name, "content-type")) has_type = true;
      head.add(name, value);
    }
    if (!has_type) head.add("Content-Type", "application/json");
    bool simple = !sr.streaming && sr.ending == Ending::kComplete && sr.head_at <= Duration{0};
    for (const auto& c : sr.chunks) simple = simple && c.at <= sr.head_at;
    if (simple) {
      res.respond(sr.status, std::move(head), sr.body());
      return;
    }
    if (!sr.send_head || sr.ending == Ending::kCloseNoReply) {
      // (a recorded failure with a delay: answer the 502 when it is due)
      auto p = std::make_shared<net::Responder>(res);
      res.set_timer(t0 + sr.head_at, [this, p] { upstream_error(*p, ConnectionResetError("recorded upstream failure (replayed)")); });
      return;
    }
    auto p = std::make_shared<Play>();
    p->res = res;
    p->t0 = t0;
    size_t total = 0;
    for (const auto& c : sr.chunks) total += c.bytes.size();
    if (!sr.streaming) p->length = total;
    p->head = std::move(head);
    p->script = std::move(sr);
    p->advance();
  }

  // Loop thread.
  void handle(net::Request& req, net::Responder res) {
    const TimePoint t0 = req.received_at;
    count(&RecorderStats::requests);
    HttpRequest hr;
    hr.method = std::move(req.method);
    if (!req.target.empty() && req.target.front() == '/') hr.path = std::move(req.target);
    else hr.path = req.path + (req.query.empty() ? std::string() : "?" + req.query);
    hr.body = std::move(req.body);
    hr.headers = std::move(req.headers);
    // The client's key is redacted by value from now on: an upstream that echoes it (an
    // error quoting the bearer) never puts it in a cassette or a log line.
    register_client_credentials(hr.headers);
    if (replays) {
      codec::ReplayResult hit = store->match(codec::recorded_request_from_http(hr));
      if (hit.ok()) {
        count(&RecorderStats::replayed);
        log("replayed " + hr.method + " " + hit.interaction->request.path + " <- " + hit.ref->label());
        play(codec::to_scripted(hit.interaction->response, opts.replay_timing), t0, res);
        return;
      }
      if (!records) {
        count(&RecorderStats::unmatched);
        const std::string report = rules.redact_text(hit.near_miss.to_string());
        log("unmatched (replay only): " + report);
        Headers h;
        h.add("Content-Type", "application/json");
        h.add("x-ploke-unmatched", "1");
        res.respond(404, std::move(h), error_json(report, "invalid_request_error", "cassette_unmatched"));
        return;
      }
    }
    forward(std::move(hr), t0, std::move(res));
  }

  void dispatch(net::Request& req, net::Responder res) {
    try {
      handle(req, res);
    } catch (const std::exception& e) {
      res.respond(500, "application/json",
                  error_json(rules.redact_text(std::string("ploke-sim record: internal error: ") + e.what()),
                             "server_error", "recorder_internal"));
    }
  }
};

void Exchange::on_complete(Status status) {
  std::shared_ptr<Exchange> keep;  // the loop path's self-reference: released last (may free this)
  const double ms = to_ms(clock_.now() - t0_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    final_ = status;
    elapsed_ms_ = ms;
    keep = std::move(self_);
  }
  try {
    owner_.finish_exchange(*this, status);
  } catch (const std::exception& e) {
    owner_.log(std::string("ploke-sim record: forwarding failed: ") + e.what());
  }
  std::lock_guard<std::mutex> lock(mu_);
  complete_ = true;  // (after finish_exchange: the https worker then joins, and may free this)
  cv_.notify_all();
}

Exchange::~Exchange() {
  abandon();
  wait_complete_and_join();
  owner_.unregister(this);
}

Recorder::Recorder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Recorder::~Recorder() { (void)stop(); }

Result<std::unique_ptr<Recorder>> Recorder::Create(const RecorderOptions& options, Clock& clock) {
  try {
    if (options.cassette_path.empty()) return InvalidRequestError("recorder: a cassette path is required");
    if (options.port < 0 || options.port > 65535) return InvalidRequestError("recorder: port must be in [0,65535]");
    if (options.threads == 0) return InvalidRequestError("recorder: threads must be > 0");
    if (options.max_queued_bytes == 0) return InvalidRequestError("recorder: max_queued_bytes must be > 0");
    Result<codec::RedactionRules> rules = codec::RedactionRules::Create(options.redaction);
    if (!rules.ok()) return InvalidRequestError("recorder: redaction: " + rules.status().message());
    auto impl = std::make_unique<Impl>(options, clock, std::move(rules).value());

    std::error_code ec;
    const bool exists = std::filesystem::exists(options.cassette_path, ec);
    bool load = false;
    switch (options.mode) {
      case RecordMode::kNone:
        if (!exists) return NotFoundError("recorder: mode none needs an existing cassette: " + options.cassette_path);
        load = true;
        impl->replays = true;
        break;
      case RecordMode::kOnce:
        load = exists;
        impl->replays = exists;
        impl->records = !exists;
        break;
      case RecordMode::kNewEpisodes:
        load = exists;
        impl->replays = exists;
        impl->records = true;
        break;
      case RecordMode::kAll:
        impl->records = true;
        break;
    }
    if (impl->records) {
      if (options.upstream.empty()) return InvalidRequestError("recorder: --upstream is required to record");
      PLOKE_ASSIGN_OR_RETURN(impl->upstream, parse_upstream(options.upstream));
    } else if (!options.upstream.empty()) {
      auto up = parse_upstream(options.upstream);
      if (up.ok()) impl->upstream = std::move(up).value();
    }
    Cassette c;
    if (load) {
      Result<Cassette> loaded = codec::load_cassette_file(options.cassette_path);
      if (!loaded.ok()) return loaded.status();
      c = std::move(loaded).value();
      codec::ReplayOptions ro;
      ro.redaction = impl->rules;
      ro.after_last = (options.mode == RecordMode::kNewEpisodes || !options.repeat_last) ? codec::AfterLast::kFail
                                                                                         : codec::AfterLast::kRepeatLast;
      PLOKE_ASSIGN_OR_RETURN(impl->store, codec::ReplayStore::Create({c}, ro));
      impl->first_new_id = c.interactions.size() + 1;
    } else {
      c.name = options.cassette_name.empty() ? file_stem(options.cassette_path) : options.cassette_name;
      c.provider = options.provider;
      c.protocol = options.protocol;
      c.synthetic = options.synthetic;
      c.upstream = impl->rules.redact_text(impl->upstream.display);
    }
    impl->cassette = std::move(c);
    if (impl->records) {
      const size_t idle = std::max<size_t>(4, options.threads);
      if (impl->upstream.tls) {
        HttpTransport::Options to;
        to.verify_tls = options.verify_tls;
        to.max_idle_per_origin = idle;
        impl->transport = std::make_unique<HttpTransport>(clock, to);
      } else {
        impl->loop_client = std::make_unique<net::LoopHttpClient>(clock, net::LoopHttpClient::Options{idle, "ploke-sim/0.1"});
      }
    }
    return std::unique_ptr<Recorder>(new Recorder(std::move(impl)));
  } catch (const std::exception& e) {
    return InternalError(std::string("recorder: ") + e.what());
  }
}

Status Recorder::Start() {
  Impl* self = impl_.get();
  if (self->started.exchange(true)) return InvalidRequestError("recorder: already started");
  try {
    if (self->transport) self->pool = std::make_unique<WorkerPool>(self->opts.threads);
    net::ServerOptions so;
    so.host = self->opts.host;
    so.port = self->opts.port;
    so.threads = 1;  // parsing, framing and http:// upstream I/O are all non-blocking on this loop
    so.keep_alive_timeout = std::chrono::seconds(5);
    so.read_timeout = std::chrono::seconds(30);
    so.write_timeout = std::chrono::seconds(30);
    so.max_body_bytes = 64u << 20;
    so.name = "recorder";
    auto server = net::HttpServer::Start(so, self->clock,
                                         [self](net::Request& req, net::Responder res) { self->dispatch(req, std::move(res)); });
    if (!server.ok()) return server.status();
    self->server = std::move(*server);
    self->port = self->server->port();
    self->flusher = std::thread([self] { self->flusher_loop(); });
    self->recording_thread = std::thread([self] { self->recording_loop(); });
    self->arm_flush_timer();
    self->log("ploke-sim record: mode " + std::string(record_mode_name(self->opts.mode)) +
              (self->records ? (self->replays ? " (replay known, record new)" : " (recording)") : " (replay only)") +
              ", upstream " + (self->upstream.display.empty() ? std::string("(none)") : self->upstream.display) +
              ", cassette " + self->opts.cassette_path);
    return Status::Ok();
  } catch (const std::exception& e) {
    return InternalError(std::string("recorder: start failed: ") + e.what());
  }
}

int Recorder::port() const { return impl_->port; }

std::string Recorder::url() const {
  const std::string& h = impl_->opts.host;
  const bool v6 = h.find(':') != std::string::npos;
  const std::string host = h == "0.0.0.0" ? "127.0.0.1" : (v6 ? "[" + h + "]" : h);
  return "http://" + host + ":" + std::to_string(impl_->port);
}

bool Recorder::records() const { return impl_->records; }

Status Recorder::flush() {
  try {
    return impl_->flush();
  } catch (const std::exception& e) {
    return InternalError(std::string("recorder: flush: ") + e.what());
  }
}

Status Recorder::stop() {
  if (!impl_) return Status::Ok();
  Impl* self = impl_.get();
  std::lock_guard<std::mutex> lock(self->stop_mu);
  if (self->stopped) return self->stop_status;
  self->stopped = true;
  self->stopping = true;
  // Flush timer off first (a late callback only touches the shared signal).
  {
    std::lock_guard<std::mutex> l(self->flush_signal->mu);
    self->flush_signal->timer_stopped = true;
    if (self->flush_signal->timer) self->clock.cancel(*self->flush_signal->timer);
  }
  self->timer_fn.reset();
  // Abort upstream calls in flight, then stop serving.
  {
    std::lock_guard<std::mutex> l(self->active_mu);
    for (Exchange* ex : self->active) ex->abandon();
  }
  if (self->server) self->server->stop();  // closes every client connection
  if (self->pool) self->pool->stop();      // joins the workers (their upstream calls are cancelled)
  {
    std::lock_guard<std::mutex> l(self->active_mu);
    for (Exchange* ex : self->active) ex->abandon();
  }
  {
    std::lock_guard<std::mutex> l(self->flush_signal->mu);
    self->flush_signal->stop = true;
    self->flush_signal->cv.notify_all();
  }
  if (self->flusher.joinable()) self->flusher.join();
  {
    std::lock_guard<std::mutex> l(self->pending_mu);
    self->recording_stop = true;
    self->pending_cv.notify_all();
  }
  if (self->recording_thread.joinable()) self->recording_thread.join();
  try {
    self->stop_status = self->flush();
  } catch (const std::exception& e) {
    self->stop_status = InternalError(std::string("recorder: final flush: ") + e.what());
  }
  return self->stop_status;
}

RecorderStats Recorder::stats() const {
  impl_->process_pending();  // exchanges finished but not yet turned into recordings count too
  std::lock_guard<std::mutex> lock(impl_->data_mu);
  return impl_->stats;
}

size_t Recorder::interaction_count() const {
  impl_->process_pending();
  std::lock_guard<std::mutex> lock(impl_->data_mu);
  return impl_->cassette.interactions.size();
}

}  // namespace ploke::recorder
