// OtlpExporter: the bounded queue, the metrics and the export thread (ploke/gateway/otlp.h).
#include "ploke/gateway/otlp.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <functional>
#include <span>
#include <utility>

#include "ploke/core/trace_context.h"

namespace ploke::gateway {
namespace {

// The GenAI conventions' advisory bucket boundaries.
const std::vector<double> kSecondsBounds = {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
const std::vector<double> kTokenBounds = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

std::string counter(const char* name, const char* help, uint64_t v) {
  return std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " + std::to_string(v) + "\n";
}

}  // namespace

// The interval timer outlives nothing: stop() sets `stopped` under `mu`, so a callback that
// runs later never touches the exporter, and one already running holds `mu` until done.
struct OtlpExporter::Ticker {
  Mutex mu;
  bool stopped PLOKE_GUARDED_BY(mu) = false;
  TimerId id PLOKE_GUARDED_BY(mu) = 0;
  static void arm(const std::shared_ptr<Ticker>& t, Clock& clock, Duration every, OtlpExporter* owner) {
    MutexLock lk(t->mu);
    if (t->stopped) return;
    t->id = clock.schedule_after(every, [t, &clock, every, owner] {
      {
        MutexLock g(t->mu);
        if (t->stopped) return;
        owner->on_tick();
      }
      arm(t, clock, every, owner);
    });
  }
};

OtlpExporter::OtlpExporter(Transport& transport, Clock& clock, OtlpOptions options)
    : transport_(transport), clock_(clock), opts_(std::move(options)),
      start_ns_(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(clock.system_now().time_since_epoch()).count())),
      random_(opts_.seed) {
  duration_ = {"gen_ai.client.operation.duration", "s", "GenAI operation duration.", kSecondsBounds};
  tokens_ = {"gen_ai.client.token.usage", "{token}", "Number of input and output tokens used.", kTokenBounds};
  ttfc_ = {"gen_ai.client.operation.time_to_first_chunk", "s",
           "Time from the request to the first chunk of a streamed response.", kSecondsBounds};
  ticker_ = std::make_shared<Ticker>();
  Ticker::arm(ticker_, clock_, opts_.interval, this);
  thread_ = std::thread([this] { run(); });
}

OtlpExporter::~OtlpExporter() { stop(); }

int64_t OtlpExporter::unix_ns(TimePoint t) const {
  const SystemTime wall = clock_.system_now() - (clock_.now() - t);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(wall.time_since_epoch()).count();
}

void OtlpExporter::on_tick() {
  MutexLock lk(mu_);
  tick_ = true;
  cv_.notify_all();
}

// The trace's own decision: the traceparent sent upstream (its flags were set by the
// sampler, or carried over from the client's), else the client's, else the ratio over the
// gateway's trace id (a request refused before its trace context was made).
bool OtlpExporter::sampled(const RequestTelemetry& r) const {
  if (r.server.valid) return r.server.sampled;
  if (r.client.valid) return r.client.sampled;
  return ratio_admits(std::hash<std::string>{}(r.gateway_trace_id), opts_.sample_ratio);
}

void OtlpExporter::record(RequestTelemetry r) {
  const int64_t base = unix_ns(r.start);
  const size_t spans = sampled(r) ? 1 + r.attempts.size() : 0;
  if (spans == 0) unsampled_.fetch_add(1, std::memory_order_relaxed);
  MutexLock lk(mu_);
  if (stopping_) return;
  if (queue_.size() >= opts_.max_queue_spans || queued_spans_ + spans > opts_.max_queue_spans) {
    dropped_.fetch_add(spans, std::memory_order_relaxed);
    return;
  }
  queued_spans_ += spans;
  queue_.push_back(Pending{std::move(r), base, spans});
  if (batch_ready()) cv_.notify_all();
}

// On the export thread (which alone owns the histograms and the Random).
void OtlpExporter::fold_metrics(const RequestTelemetry& r) {
  std::array<OtlpLabel, 5> attrs{};  // operation, request model, provider, response model, + 1
  size_t n = 0;
  attrs[n++] = {"gen_ai.operation.name", r.operation};
  attrs[n++] = {"gen_ai.request.model", r.request_model};
  if (!r.provider.empty()) attrs[n++] = {"gen_ai.provider.name", r.provider};
  if (!r.response_model.empty()) attrs[n++] = {"gen_ai.response.model", r.response_model};
  const std::span<const OtlpLabel> common(attrs.data(), n);
  if (r.time_to_first_chunk && r.streamed) ttfc_.add(common, seconds(*r.time_to_first_chunk));
  for (const auto& [type, tokens] : {std::pair{"input", r.input_tokens}, std::pair{"output", r.output_tokens}}) {
    if (!tokens) continue;
    attrs[n] = {"gen_ai.token.type", type};
    tokens_.add(std::span<const OtlpLabel>(attrs.data(), n + 1), static_cast<double>(*tokens));
  }
  if (r.outcome == StatusCode::kOk) {
    duration_.add(common, seconds(r.total));
  } else {
    attrs[n] = {"error.type", status_code_name(r.outcome)};
    duration_.add(std::span<const OtlpLabel>(attrs.data(), n + 1), seconds(r.total));
  }
  metrics_dirty_ = true;
}

bool OtlpExporter::flush() {
  MutexLock lk(mu_);
  if (stopping_) return false;
  const uint64_t want = ++flush_wanted_;
  cv_.notify_all();
  lk.wait(done_cv_, [&] {
    mu_.assert_held();
    return flush_done_ >= want || stopping_;
  });
  return flush_done_ >= want;
}

void OtlpExporter::stop() {
  {
    MutexLock lk(ticker_->mu);
    ticker_->stopped = true;
    clock_.cancel(ticker_->id);
  }
  {
    MutexLock lk(mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  MutexLock lk(mu_);
  done_cv_.notify_all();
}

void OtlpExporter::run() {
  ::pthread_setname_np(::pthread_self(), "otlp-export");  // ps, top, perf
  // Background work: 10 nice levels below the process (Linux: per thread), so under CPU
  // contention the loops' request work goes first. A starved thread shows as dropped spans.
  const id_t self = static_cast<id_t>(::gettid());
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, self);
  if (errno == 0) (void)::setpriority(PRIO_PROCESS, self, std::min(nice + 10, 19));
  for (;;) {
    uint64_t serving = 0;
    bool last = false, everything = false;
    {
      MutexLock lk(mu_);
      lk.wait(cv_, [&] {
        mu_.assert_held();
        return stopping_ || tick_ || flush_wanted_ > flush_done_ || batch_ready();
      });
      everything = tick_ || stopping_ || flush_wanted_ > flush_done_;
      tick_ = false;
      serving = flush_wanted_;
      last = stopping_;
    }
    export_once(everything);
    MutexLock lk(mu_);
    flush_done_ = serving;
    done_cv_.notify_all();
    if (last) return;
  }
}

// Everything queued is taken at once (the queue and the export thread's spare swap: no
// allocation, no per-request work under the lock) when a batch's worth waits, or on a
// tick, a flush or at stop (`everything`), and posted in even batches of one to two
// batch_spans spans. What arrives meanwhile waits for the next full batch (a tick takes
// only what waits when it fires): no trickle of small posts under load. Then the
// metrics, if they changed, with `everything`.
void OtlpExporter::export_once(bool everything) {
  for (bool first = true;; first = false) {  // after the first round, full batches only
    size_t total = 0;
    {
      MutexLock lk(mu_);
      if (queue_.empty() || (!(everything && first) && !batch_ready())) break;
      std::swap(queue_, taken_);
      total = queued_spans_;
      queued_spans_ = 0;
    }
    // Even posts of batch_spans to 2 × batch_spans spans (one when fewer wait): a batch and
    // a bit is one post, not a full one and a small one.
    const size_t posts = std::max<size_t>(1, total / std::max<size_t>(1, opts_.batch_spans));
    const size_t per_post = std::max<size_t>(1, (total + posts - 1) / posts);  // 1: metrics-only requests still advance
    for (size_t i = 0; i < taken_.size();) {
      OtlpTraceBatch batch(opts_.service_name, per_post);
      for (size_t n = 0; i < taken_.size() && batch.spans() < per_post && n < opts_.batch_spans; ++i, ++n) {
        if (taken_[i].spans > 0) batch.add(taken_[i].r, random_, taken_[i].unix_ns_at_start);
        fold_metrics(taken_[i].r);
      }
      const size_t spans = batch.spans();
      if (spans == 0) continue;
      const bool ok = post("/v1/traces", std::move(batch).finish());
      (ok ? exported_ : dropped_).fetch_add(spans, std::memory_order_relaxed);
    }
    taken_.clear();  // keeps its capacity for the next swap
  }
  if (!everything || !metrics_dirty_) return;
  metrics_dirty_ = false;
  const uint64_t now_ns = static_cast<uint64_t>(unix_ns(clock_.now()));
  post("/v1/metrics", encode_otlp_metrics({&duration_, &tokens_, &ttfc_}, opts_.service_name, start_ns_, now_ns));
}

bool OtlpExporter::post(const std::string& path, std::string body) {
  HttpRequest req;
  req.method = "POST";
  req.base_url = opts_.endpoint;
  req.path = path;
  req.headers.add("Content-Type", "application/json");
  req.body = std::move(body);
  CallOptions co;
  co.total_timeout = opts_.timeout;
  co.connect_timeout = opts_.timeout;
  posts_.fetch_add(1, std::memory_order_relaxed);
  Result<HttpResponse> r = send_and_wait(transport_, clock_, req, co);
  if (r.ok() && r->status >= 200 && r->status < 300) return true;
  failures_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

std::string OtlpExporter::metrics_text() const {
  return counter("ploke_otlp_exports_total", "OTLP posts made (traces and metrics).", posts_.load()) +
         counter("ploke_otlp_export_failures_total", "OTLP posts that failed (transport error or non-2xx).", failures_.load()) +
         counter("ploke_otlp_exported_spans_total", "Spans accepted by the OTLP endpoint.", exported_.load()) +
         counter("ploke_otlp_dropped_total", "Spans dropped: the export queue was full.", dropped_.load()) +
         counter("ploke_otlp_unsampled_total", "Requests whose spans the sampler left out (metrics still recorded).",
                 unsampled_.load());
}

}  // namespace ploke::gateway
