// Recorder: a recording reverse proxy on cpp-httplib 0.11.4 (see recorder.h).
//
// Design notes:
//  - Server setup (thread pool, SO_REUSEADDR only, pre-routing dispatch for bodyless
//    methods + one catch-all Post/Put/Patch(".*") handler, /proc scan to close idle
//    keep-alive sockets on stop) is copied from simulator/src/http_server.cpp: recorder and
//    simulator may not include each other. Candidate for a shared helper in adapters.
//  - Forwarding: each request owns an Exchange (a ResponseHandler). The upstream call runs
//    on HttpTransport::start_async's thread (so stop() can cancel it); the httplib worker
//    waits for the head, then a content provider drains the Exchange's bounded queue. The
//    transport thread never owns the Exchange: the worker's Response owns it (through the
//    provider/releaser lambdas), and ~Exchange cancels and joins the call. After the
//    client got its last byte (releaser), the raw capture is handed to a recording thread
//    that classifies and redacts it (keeps ~0.25 ms of codec work off the client's path).
//  - Non-stream requests (no "stream": true, no Accept: text/event-stream) take an inline
//    path: the worker runs the blocking HttpTransport::start() itself — no thread handoffs.
//  - Replay: the ScriptedResponse from codec::to_scripted is played with its timing,
//    waiting on the injected Clock in ≤ 50 ms slices so stop() is honoured.
#include "ploke/recorder/recorder.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

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

constexpr Duration kSlice = std::chrono::milliseconds(50);

// ---- socket helpers (copied from simulator/src/http_server.cpp; see file comment) ----

int port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return -1;
}

// Calls fn(fd) for every connected TCP socket of this process whose local port is `local_port`.
template <typename Fn>
void for_each_connection(int local_port, Fn fn) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return;
  const int dir_fd = dirfd(dir);
  while (dirent* ent = readdir(dir)) {
    if (ent->d_name[0] < '0' || ent->d_name[0] > '9') continue;
    const int fd = std::atoi(ent->d_name);
    if (fd == dir_fd) continue;
    struct stat st{};
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage local{}, peer{};
    socklen_t len = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0 || port_of(local) != local_port) continue;
    len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;  // listener
    fn(fd);
  }
  closedir(dir);
}

bool has_body_method(const std::string& m) { return m == "POST" || m == "PUT" || m == "PATCH"; }

// Request headers never forwarded: hop-by-hop (RFC 9110 7.6.1), framing the transport
// redoes, Accept-Encoding (we ask for identity), Expect, and httplib's pseudo headers.
bool is_unforwarded_request_header(std::string_view n) {
  static constexpr std::string_view kNames[] = {
      "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
      "upgrade", "host", "content-length", "accept-encoding", "expect",
      "remote_addr", "remote_port", "local_addr", "local_port"};
  for (auto k : kNames) {
    if (iequals(n, k)) return true;
  }
  return false;
}

// Response headers not copied to the client (httplib frames the body itself; the
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
  out.base = std::string(url);
  while (out.base.size() > host_start + authority.size() && out.base.back() == '/') out.base.pop_back();
  out.display = out.base;
  return out;
}

std::string file_stem(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}

}  // namespace

// One forwarded exchange: the transport thread produces, the httplib worker consumes.
class Exchange final : public ResponseHandler {
 public:
  Exchange(Recorder::Impl& owner, Clock& clock, TimePoint t0, size_t max_bytes)
      : owner_(owner), clock_(clock), t0_(t0), max_bytes_(max_bytes) {}
  ~Exchange() override;

  /// Arrival order: the cassette keeps recordings in the order their requests came in,
  /// whatever order the exchanges finish in.
  uint64_t seq = 0;

  // ResponseHandler (transport thread)
  void on_head(int status, const Headers& headers) override {
    const double ms = to_ms(clock_.now() - t0_);
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    headers_ = headers;
    if (auto cl = headers.get("content-length"); cl && !headers.has("content-encoding")) {
      declared_length_ = std::strtoull(std::string(*cl).c_str(), nullptr, 10);
    }
    first_byte_ms_ = ms;
    head_ = true;
    cv_.notify_all();
  }
  bool on_body(std::string_view bytes) override {
    const double ms = to_ms(clock_.now() - t0_);
    std::unique_lock<std::mutex> lock(mu_);
    captured_.push_back(RecordedChunk{ms, std::string(bytes)});
    captured_bytes_ += bytes.size();
    if (declared_length_ && captured_bytes_ >= *declared_length_) all_bytes_in_ = true;
    if (inline_) return !consumer_gone_;  // capture only: the worker runs the call itself
    space_cv_.wait(lock, [&] { return queued_bytes_ < max_bytes_ || consumer_gone_; });
    if (consumer_gone_) return false;
    queue_.emplace_back(bytes);
    queued_bytes_ += bytes.size();
    cv_.notify_all();
    return true;
  }
  void on_complete(Status status) override {
    const double ms = to_ms(clock_.now() - t0_);
    std::lock_guard<std::mutex> lock(mu_);
    final_ = std::move(status);
    elapsed_ms_ = ms;
    complete_ = true;
    cv_.notify_all();
  }

  void set_call(CallPtr call) {
    std::lock_guard<std::mutex> lock(mu_);
    call_ = std::move(call);
    call_started_ = call_ != nullptr;
    if (consumer_gone_ && call_) call_->cancel();
  }
  /// Client gone or recorder stopping: unblock the producer and abort the upstream call.
  void abandon() {
    std::lock_guard<std::mutex> lock(mu_);
    consumer_gone_ = true;
    space_cv_.notify_all();
    cv_.notify_all();
    // With every declared byte in, on_complete is imminent and the client may already have
    // the whole body: let the exchange finish (and be recorded) instead of cutting it.
    if (call_ && !complete_ && !all_bytes_in_) call_->cancel();
  }
  /// Waits for the head or the end. True when a head arrived.
  bool wait_head() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return head_ || complete_; });
    return head_;
  }
  /// Waits for the end and joins the transport thread.
  void wait_complete_and_join() {
    CallPtr call;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return complete_ || !call_started_; });
      call = std::move(call_);
    }
    call.reset();  // joins (the thread ends right after on_complete)
  }

  enum class Pull { kData, kEndOk, kEndFailed };
  /// Consumer: blocks until data is queued or the call ended; moves the queue into `out`.
  Pull pull(std::deque<std::string>& out) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !queue_.empty() || complete_; });
    if (!queue_.empty()) {
      out.swap(queue_);
      queued_bytes_ = 0;
      space_cv_.notify_all();
      return Pull::kData;
    }
    return final_.ok() ? Pull::kEndOk : Pull::kEndFailed;
  }

  // Read after wait_head() (head fields) or after completion (the rest); the producer
  // writes them before notifying under mu_, and never again after on_complete.
  int status() const { std::lock_guard<std::mutex> l(mu_); return status_; }
  Headers headers() const { std::lock_guard<std::mutex> l(mu_); return headers_; }
  Status final_status() const { std::lock_guard<std::mutex> l(mu_); return final_; }
  bool has_head() const { std::lock_guard<std::mutex> l(mu_); return head_; }
  double first_byte_ms() const { std::lock_guard<std::mutex> l(mu_); return first_byte_ms_; }
  double elapsed_ms() const { std::lock_guard<std::mutex> l(mu_); return elapsed_ms_; }
  std::vector<RecordedChunk> take_captured() { std::lock_guard<std::mutex> l(mu_); return std::move(captured_); }

  /// Run on the worker thread with the blocking start(): no queue, the body is captured.
  void set_inline() { inline_ = true; }
  /// Inline mode, after start() returned: the whole body.
  std::string captured_body() const {
    std::lock_guard<std::mutex> l(mu_);
    std::string out;
    out.reserve(captured_bytes_);
    for (const auto& c : captured_) out += c.data;
    return out;
  }

  HttpRequest request;           // as forwarded (path = client's target); set before start
  bool streamed_to_client = false;
  bool upstream_cut = false;     // the consumer saw a failed end after the head
  bool finished = false;         // recording done (consumer thread only)

 private:
  Recorder::Impl& owner_;
  Clock& clock_;
  const TimePoint t0_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::condition_variable cv_;        // consumer waits: head, data, end
  std::condition_variable space_cv_;  // producer waits: queue below max_bytes_
  bool head_ = false;
  int status_ = 0;
  Headers headers_;
  double first_byte_ms_ = 0;
  double elapsed_ms_ = 0;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  std::vector<RecordedChunk> captured_;
  bool complete_ = false;
  bool consumer_gone_ = false;
  bool call_started_ = false;
  std::optional<size_t> declared_length_;
  size_t captured_bytes_ = 0;
  bool all_bytes_in_ = false;
  bool inline_ = false;
  Status final_;
  CallPtr call_;
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
  std::unique_ptr<HttpTransport> transport;

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

  // Server.
  httplib::Server svr;
  std::thread listener;
  std::atomic<bool> listener_done{false};
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
    std::string recorded_at;
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

  void record_exchange(Exchange& ex) {
    if (ex.finished) return;
    ex.finished = true;
    RawRecording raw;
    raw.seq = ex.seq;
    raw.request = std::move(ex.request);
    raw.recorded_at = format_rfc3339_utc(clock.system_now());
    raw.status = ex.status();
    raw.headers = ex.headers();
    raw.first_byte_ms = ex.first_byte_ms();
    raw.elapsed_ms = ex.elapsed_ms();
    raw.final_status = ex.final_status();
    raw.chunks = ex.take_captured();
    std::lock_guard<std::mutex> lock(pending_mu);
    pending.push_back(std::move(raw));
    pending_cv.notify_all();
  }

  void build_and_append(RawRecording raw) {
    Interaction i;
    i.recorded_at = std::move(raw.recorded_at);
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

  void upstream_error(httplib::Response& res, const Status& st) {
    const bool timeout = st.code() == StatusCode::kTimeout;
    res.status = timeout ? 504 : 502;
    const std::string msg = rules.redact_text("ploke-sim record: upstream " + upstream.display + " failed: " + st.to_string());
    res.set_content(error_json(msg, "upstream_error", timeout ? "upstream_timeout" : "upstream_unreachable"),
                    "application/json");
    log(msg);
  }

  void forward(HttpRequest hr, TimePoint t0, httplib::Response& res) {
    count(&RecorderStats::forwarded);
    if (stopping.load()) {
      res.status = 503;
      res.set_content(error_json("ploke-sim record: stopping", "upstream_error", "recorder_stopping"), "application/json");
      return;
    }
    auto ex = std::make_shared<Exchange>(*this, clock, t0, opts.max_queued_bytes);
    ex->seq = next_seq.fetch_add(1);
    ex->request = std::move(hr);
    {
      std::lock_guard<std::mutex> lock(active_mu);
      active.insert(ex.get());
    }
    HttpRequest out = ex->request;
    out.base_url = upstream.base;
    out.headers = Headers();
    for (const auto& [k, v] : ex->request.headers.items()) {
      if (!is_unforwarded_request_header(k)) out.headers.add(k, v);
    }
    out.headers.add("Accept-Encoding", "identity");
    if (stopping.load()) ex->abandon();
    if (opts.inline_non_stream && !wants_stream(ex->request)) {
      forward_inline(ex, out, res);
      return;
    }
    ex->set_call(transport->start_async(out, opts.upstream_timeouts, *ex));

    if (!ex->wait_head()) {
      ex->wait_complete_and_join();
      const Status st = ex->final_status();
      count(&RecorderStats::upstream_failures);
      if (opts.record_upstream_failures && st.code() != StatusCode::kCancelled) record_failure(*ex, st);
      upstream_error(res, st);
      return;
    }
    res.status = ex->status();
    const Headers head = ex->headers();
    std::string content_type;
    size_t length = 0;
    bool has_length = false;
    bool chunked = false;
    for (const auto& [k, v] : head.items()) {
      if (iequals(k, "content-type")) { content_type = v; continue; }
      if (iequals(k, "content-length")) {
        length = std::strtoull(v.c_str(), nullptr, 10);
        has_length = true;
        continue;
      }
      if (iequals(k, "transfer-encoding")) { chunked = true; continue; }
      if (is_unforwarded_response_header(k)) continue;
      res.set_header(k, v);
    }
    if (content_type.empty()) content_type = "application/octet-stream";
    // (A decoded content-encoding changes the length: then send chunked.)
    if (head.has("content-encoding")) {
      chunked = true;
      has_length = false;
    }
    const bool no_body = ex->request.method == "HEAD" || res.status == 204 || res.status == 304 ||
                         (has_length && length == 0 && !chunked);
    if (no_body) {
      ex->wait_complete_and_join();
      ex->streamed_to_client = false;
      finish_exchange(*ex, true);
      if (!content_type.empty() && res.status != 204 && res.status != 304) res.set_header("Content-Type", content_type);
      return;
    }
    ex->streamed_to_client = chunked || !has_length;
    auto pump = [this, ex](httplib::DataSink& sink, bool use_chunked) {
      std::deque<std::string> batch;
      switch (ex->pull(batch)) {
        case Exchange::Pull::kData:
          for (const auto& b : batch) {
            if (!b.empty() && !sink.write(b.data(), b.size())) return false;  // client gone
          }
          return true;
        case Exchange::Pull::kEndOk:
          if (use_chunked) sink.done();
          return use_chunked;  // a length provider never gets here with bytes missing
        case Exchange::Pull::kEndFailed:
          ex->upstream_cut = true;
          return false;  // cut the client too (no terminating chunk)
      }
      return false;
    };
    auto releaser = [this, ex](bool success) { finish_exchange(*ex, success); };
    if (ex->streamed_to_client) {
      res.set_chunked_content_provider(content_type, [pump](size_t, httplib::DataSink& sink) { return pump(sink, true); },
                                       releaser);
    } else {
      res.set_content_provider(length, content_type,
                               [pump](size_t, size_t, httplib::DataSink& sink) { return pump(sink, false); }, releaser);
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

  // Non-stream requests: the worker runs the blocking call itself (no thread handoffs),
  // then sends the complete body; the recording is made after the client got it.
  void forward_inline(const std::shared_ptr<Exchange>& ex, const HttpRequest& out, httplib::Response& res) {
    ex->set_inline();
    (void)transport->start(out, opts.upstream_timeouts, *ex);  // returns after on_complete
    const Status st = ex->final_status();
    if (!ex->has_head()) {
      count(&RecorderStats::upstream_failures);
      if (opts.record_upstream_failures && st.code() != StatusCode::kCancelled) record_failure(*ex, st);
      upstream_error(res, st);
      return;
    }
    res.status = ex->status();
    std::string content_type = "application/octet-stream";
    const Headers head = ex->headers();
    for (const auto& [k, v] : head.items()) {
      if (iequals(k, "content-type")) { content_type = v; continue; }
      if (is_unforwarded_response_header(k)) continue;
      res.set_header(k, v);
    }
    auto body = std::make_shared<std::string>(ex->captured_body());
    ex->streamed_to_client = false;
    if (!st.ok()) ex->upstream_cut = true;  // the upstream cut the body: cut the client too
    const bool no_body = ex->request.method == "HEAD" || res.status == 204 || res.status == 304;
    if (no_body || (body->empty() && st.ok())) {
      if (!no_body) res.set_content("", content_type);
      finish_exchange(*ex, true);
      return;
    }
    const size_t declared = st.ok() ? body->size() : body->size() + 1;  // +1: never completes
    res.set_content_provider(
        declared, content_type,
        [ex, body](size_t offset, size_t, httplib::DataSink& sink) {
          if (offset >= body->size()) return false;  // cut (upstream failed mid-body)
          return sink.write(body->data() + offset, body->size() - offset);
        },
        [this, ex](bool success) { finish_exchange(*ex, success); });
  }

  // Consumer thread: the response to the client is over (success: fully written).
  void finish_exchange(Exchange& ex, bool success) {
    if (ex.finished) return;
    if (!success && !ex.upstream_cut) {
      // The client left (or the write failed): abort the upstream, record nothing.
      ex.abandon();
      ex.wait_complete_and_join();
      ex.finished = true;
      if (!stopping.load()) {
        count(&RecorderStats::client_aborts);
        log("not recorded (client disconnected): " + ex.request.method + " " +
            split_path_query(ex.request.path).first);
      }
      return;
    }
    ex.wait_complete_and_join();
    if (!ex.has_head()) {
      ex.finished = true;
      return;
    }
    if (ex.final_status().code() == StatusCode::kCancelled && stopping.load()) {
      ex.finished = true;
      return;
    }
    try {
      record_exchange(ex);
    } catch (const std::exception& e) {
      log(std::string("ploke-sim record: recording failed: ") + e.what());
    }
  }

  void unregister(Exchange* ex) {
    std::lock_guard<std::mutex> lock(active_mu);
    active.erase(ex);
  }

  // Replay player (cf. SimServer::Impl::play; no socket-level endings here).
  struct Play {
    ScriptedResponse script;
    TimePoint t0;
    size_t next = 0;
  };
  bool wait_until(TimePoint tp) {
    while (!stopping.load(std::memory_order_relaxed)) {
      const TimePoint now = clock.now();
      if (now >= tp) return true;
      clock.sleep_until(std::min(tp, now + kSlice));
    }
    return false;
  }
  bool provide(Play& p, httplib::DataSink& sink, bool chunked) {
    const auto& chunks = p.script.chunks;
    if (p.next < chunks.size()) {
      if (!wait_until(p.t0 + chunks[p.next].at)) return false;
      const std::string& b = chunks[p.next].bytes;
      ++p.next;
      if (!b.empty() && !sink.write(b.data(), b.size())) return false;
      if (p.next < chunks.size()) return true;
      if (p.script.ending != Ending::kComplete) return false;
      if (chunked) sink.done();
      return true;
    }
    if (p.script.ending == Ending::kComplete && chunked) {
      sink.done();
      return true;
    }
    return false;
  }
  void play(ScriptedResponse&& sr, TimePoint t0, httplib::Response& res) {
    if (sr.head_at > Duration{0} && !wait_until(t0 + sr.head_at)) {
      res.status = 503;
      res.set_header("Connection", "close");
      return;
    }
    if (!sr.send_head || sr.ending == Ending::kCloseNoReply) {
      // A recorded upstream failure: the client saw the recorder's 502 then, too.
      upstream_error(res, ConnectionResetError("recorded upstream failure (replayed)"));
      return;
    }
    res.status = sr.status;
    std::string content_type = "application/json";
    for (const auto& [name, value] : sr.headers.items()) {
      if (iequals(name, "content-type")) { content_type = value; continue; }
      if (is_unforwarded_response_header(name)) continue;
      res.set_header(name, value);
    }
    bool simple = !sr.streaming && sr.ending == Ending::kComplete;
    for (const auto& c : sr.chunks) simple = simple && c.at <= sr.head_at;
    if (simple) {
      res.set_content(sr.body(), content_type);
      return;
    }
    auto p = std::make_shared<Play>();
    p->t0 = t0;
    size_t total = 0;
    for (const auto& c : sr.chunks) total += c.bytes.size();
    p->script = std::move(sr);
    if (p->script.streaming) {
      res.set_chunked_content_provider(content_type, [this, p](size_t, httplib::DataSink& sink) {
        return provide(*p, sink, true);
      });
    } else {
      res.set_content_provider(total, content_type,
                               [this, p](size_t, size_t, httplib::DataSink& sink) { return provide(*p, sink, false); });
    }
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    const TimePoint t0 = clock.now();
    count(&RecorderStats::requests);
    HttpRequest hr;
    hr.method = req.method;
    hr.path = req.target;
    if (hr.path.empty()) {  // (0.11.4 fills target; fall back to the decoded path + params)
      QueryParams q(req.params.begin(), req.params.end());
      hr.path = req.path + (q.empty() ? std::string() : "?" + encode_query(q));
    }
    hr.body = req.body;
    for (const auto& [name, value] : req.headers) {
      if (iequals(name, "REMOTE_ADDR") || iequals(name, "REMOTE_PORT") || iequals(name, "LOCAL_ADDR") ||
          iequals(name, "LOCAL_PORT")) {
        continue;
      }
      hr.headers.add(name, value);
    }
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
        res.status = 404;
        res.set_header("x-ploke-unmatched", "1");
        res.set_content(error_json(report, "invalid_request_error", "cassette_unmatched"), "application/json");
        return;
      }
    }
    forward(std::move(hr), t0, res);
  }

  void dispatch(const httplib::Request& req, httplib::Response& res) {
    try {
      handle(req, res);
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(error_json(rules.redact_text(std::string("ploke-sim record: internal error: ") + e.what()),
                                 "server_error", "recorder_internal"),
                      "application/json");
    }
  }
};

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
      HttpTransport::Options to;
      to.verify_tls = options.verify_tls;
      to.max_idle_per_origin = std::max<size_t>(4, options.threads);
      impl->transport = std::make_unique<HttpTransport>(clock, to);
    }
    return std::unique_ptr<Recorder>(new Recorder(std::move(impl)));
  } catch (const std::exception& e) {
    return InternalError(std::string("recorder: ") + e.what());
  }
}

Status Recorder::Start() {
  Impl* self = impl_.get();
  if (self->started.exchange(true)) return InvalidRequestError("recorder: already started");
  ::signal(SIGPIPE, SIG_IGN);
  try {
    httplib::Server& svr = self->svr;
    const size_t threads = self->opts.threads;
    svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    svr.set_tcp_nodelay(true);
    svr.set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    svr.set_keep_alive_max_count(1'000'000);
    svr.set_keep_alive_timeout(5);
    svr.set_read_timeout(30, 0);
    svr.set_write_timeout(30, 0);
    svr.set_payload_max_length(64u << 20);
    svr.set_pre_routing_handler([self](const httplib::Request& req, httplib::Response& res) {
      if (has_body_method(req.method)) return httplib::Server::HandlerResponse::Unhandled;  // body not read yet
      self->dispatch(req, res);
      return httplib::Server::HandlerResponse::Handled;
    });
    auto with_body = [self](const httplib::Request& req, httplib::Response& res) { self->dispatch(req, res); };
    svr.Post(".*", with_body);
    svr.Put(".*", with_body);
    svr.Patch(".*", with_body);

    int port = self->opts.port;
    if (port == 0) {
      port = svr.bind_to_any_port(self->opts.host);
    } else if (!svr.bind_to_port(self->opts.host, port)) {
      port = -1;
    }
    if (port <= 0) {
      return InternalError("recorder: cannot bind " + self->opts.host + ":" + std::to_string(self->opts.port));
    }
    self->port = port;
    self->listener = std::thread([self] {
      self->svr.listen_after_bind();
      self->listener_done = true;
    });
    for (int i = 0; i < 5000 && !svr.is_running() && !self->listener_done; ++i) {
      self->clock.sleep_for(std::chrono::milliseconds(1));
      std::this_thread::yield();
    }
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
  if (self->started) {
    self->svr.stop();
    while (!self->listener_done) {
      for_each_connection(self->port, [](int fd) { ::shutdown(fd, SHUT_RDWR); });
      {
        std::lock_guard<std::mutex> l(self->active_mu);
        for (Exchange* ex : self->active) ex->abandon();
      }
      self->clock.sleep_for(std::chrono::milliseconds(10));
      std::this_thread::yield();
    }
    if (self->listener.joinable()) self->listener.join();
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
  std::lock_guard<std::mutex> lock(impl_->data_mu);
  return impl_->stats;
}

size_t Recorder::interaction_count() const {
  std::lock_guard<std::mutex> lock(impl_->data_mu);
  return impl_->cassette.interactions.size();
}

}  // namespace ploke::recorder
