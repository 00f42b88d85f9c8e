// Internal to ploke::recorder: the pieces the recorder's sources share — the forwarded
// exchange (Exchange) and Recorder::Impl (its state and steps:
// recording.cpp persists and records, forwarding.cpp answers and forwards, recorder.cpp
// creates, starts and stops). Design notes: recorder.cpp.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "ploke/codec/cassette.h"
#include "ploke/codec/matcher.h"
#include "ploke/codec/redact.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/net/http_server.h"
#include "ploke/net/loop_client.h"
#include "ploke/recorder/recorder.h"

namespace ploke::recorder {

// ---- HTTP helpers (proxy_util.cpp) ----

/// Request headers never forwarded: hop-by-hop (RFC 9110 7.6.1), framing the transport
/// redoes, Accept-Encoding (we ask for identity), Expect.
bool is_unforwarded_request_header(std::string_view n);
/// Response headers not copied to the client (the server frames the body itself; the
/// transport already decoded any content-encoding) nor into the recording.
bool is_unforwarded_response_header(std::string_view n);
bool is_event_stream(std::string_view content_type);
/// An OpenAI-shaped error body.
std::string error_json(std::string_view message, std::string_view type, std::string_view code);

struct UpstreamUrl {
  std::string base;     // as given, trailing '/' removed
  std::string display;  // scheme://host[:port][/prefix] (no credentials: rejected)
  bool tls = false;     // https://
};
Result<UpstreamUrl> parse_upstream(std::string_view url);

// One forwarded exchange: the upstream call's ResponseHandler, which answers the client
// through the Responder as the upstream's bytes arrive. The callbacks run on the server's
// loop thread (net::LoopHttpClient, http:// and https://), so nothing changes threads.
// on_complete() answers the client last
// (or cuts it) and hands the capture to the recording thread.
class Exchange final : public ResponseHandler {
 public:
  Exchange(Recorder::Impl& owner, Clock& clock, TimePoint t0) : owner_(owner), clock_(clock), t0_(t0) {}
  ~Exchange() override;
  /// Time since the client's request arrived.
  Duration since_arrival() const { return clock_.now() - t0_; }

  /// Arrival order: the cassette keeps recordings in the order their requests came in,
  /// whatever order the exchanges finish in.
  uint64_t seq = 0;

  // ResponseHandler (the server's loop thread)
  void on_head(int status, const Headers& headers) override {
    const double ms = to_ms(clock_.now() - t0_);
    {
      MutexLock lock(mu_);
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
      MutexLock lock(mu_);
      captured_.push_back(codec::RecordedChunk{ms, std::string(bytes)});
      captured_bytes_ += bytes.size();
      if (declared_length_ && captured_bytes_ >= *declared_length_) all_bytes_in_ = true;
      if (consumer_gone_) return false;
    }
    if (streaming_ && !bytes.empty()) {
      res.write(bytes);  // to the client as it arrives
      // Backpressure: a client slower than the upstream stops the upstream read: the
      // call is paused until the client's queue drains.
      if (res.queued_bytes() > max_queued_bytes) pause_upstream();
    }
    return true;
  }
  void on_complete(Status status) override;  // after Recorder::Impl

  /// Loop path: the exchange keeps itself alive until on_complete().
  void hold(std::shared_ptr<Exchange> self) { self_ = std::move(self); }
  void set_call(CallPtr call) {
    MutexLock lock(mu_);
    call_ = std::move(call);
    if (consumer_gone_ && call_ && !complete_) call_->cancel();
  }
  /// Client gone or recorder stopping: abort the upstream call (any thread).
  void abandon() {
    MutexLock lock(mu_);
    consumer_gone_ = true;
    // With every declared byte in, on_complete is imminent and the client may already have
    // the whole body: let the exchange finish (and be recorded) instead of cutting it.
    if (call_ && !complete_ && !all_bytes_in_) call_->cancel();
  }
  bool abandoned() const { MutexLock l(mu_); return consumer_gone_; }

  // Read by on_complete (the producer's thread) and after completion.
  int status() const { MutexLock l(mu_); return status_; }
  Headers headers() const { MutexLock l(mu_); return headers_; }
  Status final_status() const { MutexLock l(mu_); return final_; }
  bool has_head() const { MutexLock l(mu_); return head_; }
  double first_byte_ms() const { MutexLock l(mu_); return first_byte_ms_; }
  double elapsed_ms() const { MutexLock l(mu_); return elapsed_ms_; }
  std::vector<codec::RecordedChunk> take_captured() { MutexLock l(mu_); return std::move(captured_); }
  /// The whole body captured so far.
  std::string captured_body() const {
    MutexLock l(mu_);
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
      MutexLock l(mu_);
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
    MutexLock l(mu_);
    if (!paused_ || !call_) return;
    paused_ = false;
    (void)net::LoopHttpClient::set_paused(*call_, false);
  }

  HttpRequest request;           // as received from the client (path = client's target)
  net::Responder res;            // the client's response
  size_t max_queued_bytes = 1 << 20;
  bool streaming_ = false;       // body bytes go to the client as they arrive
  bool finished = false;         // recording done (on_complete's thread only)

 private:
  Recorder::Impl& owner_;
  Clock& clock_;
  const TimePoint t0_;
  mutable Mutex mu_;
  bool head_ = false;
  int status_ = 0;
  Headers headers_;
  double first_byte_ms_ = 0;
  double elapsed_ms_ = 0;
  std::vector<codec::RecordedChunk> captured_;
  bool complete_ = false;
  bool consumer_gone_ = false;
  std::optional<size_t> declared_length_;
  size_t captured_bytes_ = 0;
  bool all_bytes_in_ = false;
  Status final_;
  CallPtr call_;
  std::shared_ptr<Exchange> self_;  // loop path: released by on_complete
  bool paused_ = false;             // loop path: upstream reading paused (backpressure)
};

struct FlushSignal {
  Mutex mu;
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
  std::unique_ptr<net::LoopHttpClient> loop_client;  // the upstream calls, on the server's loop

  // Cassette being written.
  mutable Mutex data_mu;
  codec::Cassette cassette PLOKE_GUARDED_BY(data_mu);
  uint64_t generation PLOKE_GUARDED_BY(data_mu) = 0;        // bumped per new interaction
  uint64_t first_new_id = 1;      // id of the first interaction recorded by this run
  std::vector<uint64_t> new_seqs PLOKE_GUARDED_BY(data_mu); // arrival seq of each new interaction (the cassette's tail), ascending
  std::atomic<uint64_t> next_seq{0};
  RecorderStats stats PLOKE_GUARDED_BY(data_mu);

  Mutex write_mu;            // serializes file writes
  uint64_t written_generation PLOKE_GUARDED_BY(write_mu) = 0;
  Status last_flush PLOKE_GUARDED_BY(write_mu);

  // Exchanges in flight (for stop()).
  Mutex active_mu;
  std::set<Exchange*> active PLOKE_GUARDED_BY(active_mu);

  // Server and (https:// upstreams only) forwarding workers.
  std::unique_ptr<net::HttpServer> server;
  std::atomic<bool> started{false};
  std::atomic<bool> stopping{false};
  int port = 0;
  Mutex stop_mu;
  bool stopped PLOKE_GUARDED_BY(stop_mu) = false;
  Status stop_status PLOKE_GUARDED_BY(stop_mu);

  // ---- per-test cassettes (opts.cassette_dir; recorder.cpp) ----
  // The root Impl serves and routes each request to the child recording into DIR/NAME.json.
  Mutex children_mu;
  std::map<std::string, std::unique_ptr<Impl>> children PLOKE_GUARDED_BY(children_mu);
  bool children_closed PLOKE_GUARDED_BY(children_mu) = false;
  /// The child for a valid NAME, created (cassette loaded or started, workers running) on
  /// first use. kNotFound: mode none without DIR/NAME.json; kCancelled: stopping.
  Result<Impl*> child(const std::string& name);
  /// Every child; no child is created afterwards.
  std::vector<Impl*> close_children();
  /// Loop thread, root only: the cassette a request names (x-ploke-cassette header, or a
  /// /cassettes/NAME/ prefix, removed from the request), then the child's handle().
  void route(net::Request& req, net::Responder res);
  /// Flusher and recording threads, flush timer.
  void start_workers();
  /// Stop steps: the flush timer off, exchanges in flight abandoned, then (after the server
  /// stopped) the workers joined and the last flush.
  void halt_timer();
  void abandon_active();
  Status drain_and_flush();

  std::shared_ptr<FlushSignal> flush_signal = std::make_shared<FlushSignal>();
  std::thread flusher;
  void log(const std::string& line) const;
  /// RecorderOptions::on_access for `r` (when set).
  void note_access(const HttpRequest& r, int status, Duration latency, const char* outcome) const;
  void count(uint64_t RecorderStats::*field);

  // ---- persistence ----

  Status flush();
  void arm_flush_timer();
  std::shared_ptr<std::function<void()>> timer_fn;
  void flusher_loop();

  // ---- recording ----

  void append(codec::Interaction i, uint64_t seq, const std::string& summary);

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
    std::vector<codec::RecordedChunk> chunks;
  };
  Mutex pending_mu;
  std::condition_variable pending_cv;
  std::deque<RawRecording> pending PLOKE_GUARDED_BY(pending_mu);
  bool recording_stop PLOKE_GUARDED_BY(pending_mu) = false;
  Mutex process_mu;             // serializes process_pending() (keeps ids in order)
  std::thread recording_thread;

  static constexpr size_t kRecordBatch = 32;
  void record_exchange(Exchange& ex);
  void build_and_append(RawRecording raw);
  void process_pending();
  void recording_loop();
  void record_failure(Exchange& ex, const Status& st);

  // ---- request handling ----

  void upstream_error(net::Responder& res, const Status& st);
  void forward(HttpRequest hr, TimePoint t0, net::Responder res);
  HttpRequest upstream_request(const Exchange& ex) const;
  void finish_exchange(Exchange& ex, const Status& st);
  void finish_aborted(Exchange& ex);
  static bool wants_stream(const HttpRequest& r);
  void unregister(Exchange* ex);
  void play(ScriptedResponse&& sr, TimePoint t0, net::Responder& res);
  void handle(net::Request& req, net::Responder res);
  void dispatch(net::Request& req, net::Responder res);
};

}  // namespace ploke::recorder
