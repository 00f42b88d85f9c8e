// The gateway's side of the dashboard JSON contract (docs/dashboard.md). Written by hand
// (no third-party JSON library in core/): strings go through ploke::json::append_quoted,
// numbers through std::to_chars (shortest round-trip form; NaN and ±inf become null).
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "ploke/dashboard/dashboard.h"
#include "ploke/json/escape.h"

namespace ploke::dashboard {
namespace {

using ploke::json::append_quoted;

class Writer {
 public:
  explicit Writer(std::string& out) : o_(out) {}
  void key(std::string_view k) {
    sep();
    append_quoted(o_, k);
    o_ += ':';
    fresh_ = true;
  }
  void begin_object() { sep(); o_ += '{'; fresh_ = true; }
  void end_object() { o_ += '}'; fresh_ = false; }
  void begin_array() { sep(); o_ += '['; fresh_ = true; }
  void end_array() { o_ += ']'; fresh_ = false; }
  void str(std::string_view v) { sep(); append_quoted(o_, v); fresh_ = false; }
  void num(double v) {
    sep();
    if (!std::isfinite(v)) {
      o_ += "null";
    } else {
      char buf[32];
      auto res = std::to_chars(buf, buf + sizeof buf, v == 0 ? 0.0 : v);  // -0 → 0
      o_.append(buf, res.ptr);
    }
    fresh_ = false;
  }
  void uint(uint64_t v) {
    sep();
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    o_.append(buf, res.ptr);
    fresh_ = false;
  }
  void boolean(bool b) { sep(); o_ += b ? "true" : "false"; fresh_ = false; }
  void null() { sep(); o_ += "null"; fresh_ = false; }

  void kstr(std::string_view k, std::string_view v) { key(k); str(v); }
  void knum(std::string_view k, double v) { key(k); num(v); }
  void kuint(std::string_view k, uint64_t v) { key(k); uint(v); }

 private:
  // A comma before a value unless it opens a container or follows a key.
  void sep() {
    if (!fresh_) o_ += ',';
    fresh_ = false;
  }
  std::string& o_;
  bool fresh_ = true;
};

double ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void percentiles(Writer& w, const resilience::Percentiles& p) {
  w.begin_object();
  w.kuint("count", p.count);
  w.knum("p50", p.p50);
  w.knum("p95", p.p95);
  w.knum("p99", p.p99);
  w.knum("mean", p.mean);
  w.knum("max", p.max);
  w.end_object();
}

// Nearest-rank percentiles of a sample (sorted in place).
resilience::Percentiles sample_percentiles(std::vector<double>& v) {
  resilience::Percentiles p;
  p.count = v.size();
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
    rank = std::clamp<size_t>(rank, 1, v.size());
    return v[rank - 1];
  };
  p.p50 = at(0.50);
  p.p95 = at(0.95);
  p.p99 = at(0.99);
  double sum = 0;
  for (double x : v) sum += x;
  p.mean = sum / static_cast<double>(v.size());
  p.max = v.back();
  return p;
}

}  // namespace

namespace {

// Overall latency over the recent traces (successful and failed calls alike for total;
// TTFT of the serving attempt when it streamed).
void write_overall_latency(Writer& w, const std::vector<resilience::RequestTrace>& recent) {
  std::vector<double> totals, ttfts;
  totals.reserve(recent.size());
  for (const auto& t : recent) {
    totals.push_back(ms(t.total));
    for (const auto& a : t.attempts) {
      if (a.endpoint_id == t.served_by && a.outcome == StatusCode::kOk && a.ttft) {
        ttfts.push_back(ms(*a.ttft));
        break;
      }
    }
  }
  w.key("latency_ms");
  w.begin_object();
  w.key("total");
  percentiles(w, sample_percentiles(totals));
  w.key("ttft");
  percentiles(w, sample_percentiles(ttfts));
  w.end_object();
}

void write_endpoint(Writer& w, const resilience::EndpointHealth& e) {
  w.begin_object();
  w.kstr("id", e.endpoint_id);
  w.kstr("provider", e.provider);
  w.kstr("model", e.model);
  w.kstr("breaker", resilience::breaker_state_name(e.breaker));
  w.knum("open_remaining_ms", ms(e.open_remaining));
  w.kuint("openings", e.openings);
  w.knum("breaker_failure_rate", e.breaker_failure_rate);
  w.knum("breaker_slow_rate", e.breaker_slow_rate);
  w.kuint("calls", e.stats.calls);
  w.kuint("successes", e.stats.successes);
  w.knum("error_rate", e.stats.error_rate);
  w.knum("score", e.stats.score);
  w.key("latency_ms");
  w.begin_object();
  w.key("total");
  percentiles(w, e.stats.total_ms);
  w.key("ttft");
  percentiles(w, e.stats.ttft_ms);
  w.end_object();
  w.key("errors_by_code");
  w.begin_object();
  for (size_t c = 1; c < e.stats.by_code.size(); ++c) {
    if (e.stats.by_code[c] == 0) continue;
    w.kuint(status_code_name(static_cast<StatusCode>(c)), e.stats.by_code[c]);
  }
  w.end_object();
  w.key("recent_events");
  w.begin_array();
  for (const auto& ev : e.recent_events) {
    w.begin_object();
    w.kstr("from", resilience::breaker_state_name(ev.from));
    w.kstr("to", resilience::breaker_state_name(ev.to));
    w.kstr("reason", ev.reason);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

void write_queue(Writer& w, const resilience::QueueStatus& queue, const GatewayInfo& info) {
  w.key("queue");
  w.begin_object();
  w.kuint("in_flight", queue.in_flight);
  w.kuint("max_in_flight", queue.max_in_flight);
  w.key("worker_queue");
  if (info.worker_queue) w.uint(*info.worker_queue); else w.null();
  w.key("lanes");
  w.begin_array();
  for (const auto& l : queue.lanes) {
    w.begin_object();
    w.kstr("lane", resilience::lane_name(l.lane));
    w.kuint("depth", l.depth);
    w.kuint("capacity", l.capacity);
    w.kuint("max_depth", l.max_depth);
    w.kuint("admitted", l.admitted);
    w.kuint("queued", l.queued);
    w.kuint("rejected", l.rejected);
    w.knum("wait_p95_ms", l.wait_ms.p95);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

void write_recent_trace(Writer& w, const resilience::RequestTrace& t) {
  w.begin_object();
  w.kstr("id", t.request_id);
  w.kstr("outcome", status_code_name(t.final_code));
  w.kstr("served_by", t.served_by);
  w.kstr("policy", t.policy);
  w.kstr("lane", t.lane);
  w.knum("total_ms", ms(t.total));
  w.knum("queue_wait_ms", ms(t.queue_wait));
  w.knum("cost_usd", t.total_cost_usd);
  w.key("error");
  if (t.final_error.empty()) w.null(); else w.str(t.final_error);
  w.key("attempts");
  w.begin_array();
  for (const auto& a : t.attempts) {
    w.begin_object();
    w.kstr("endpoint", a.endpoint_id);
    w.kstr("outcome", status_code_name(a.outcome));
    w.knum("ms", ms(a.duration));
    w.key("ttft_ms");
    if (a.ttft) w.num(ms(*a.ttft)); else w.null();
    w.kstr("decision", a.decision);
    w.end_object();
  }
  w.end_array();
  w.key("notes");
  w.begin_array();
  for (const auto& note : t.notes) w.str(note);
  w.end_array();
  w.end_object();
}

}  // namespace

std::string gateway_json(const std::vector<resilience::EndpointHealth>& endpoints,
                         const resilience::QueueStatus& queue, uint64_t requests_total, uint64_t errors_total,
                         const std::vector<resilience::RequestTrace>& recent, const GatewayInfo& info) {
  std::string out;
  out.reserve(1024 + 512 * endpoints.size() + 256 * std::min(recent.size(), info.max_recent));
  Writer w(out);
  w.begin_object();
  w.kuint("version", static_cast<uint64_t>(kContractVersion));
  w.kstr("kind", "gateway");
  w.kstr("name", info.name);
  w.key("uptime_s");
  if (info.uptime_s) w.num(*info.uptime_s); else w.null();
  w.key("totals");
  w.begin_object();
  w.kuint("requests", requests_total);
  w.kuint("errors", errors_total);
  w.key("in_flight");
  if (info.in_flight) w.uint(*info.in_flight); else w.uint(queue.in_flight);
  w.end_object();
  write_overall_latency(w, recent);
  w.key("endpoints");
  w.begin_array();
  for (const auto& e : endpoints) write_endpoint(w, e);
  w.end_array();
  write_queue(w, queue, info);
  w.key("recent");
  w.begin_array();
  const size_t n = std::min(recent.size(), info.max_recent);
  for (size_t i = 0; i < n; ++i) write_recent_trace(w, recent[recent.size() - 1 - i]);
  w.end_array();
  w.end_object();
  return out;
}

std::string gateway_json(const resilience::LlmClient& client, const std::vector<resilience::RequestTrace>& recent,
                         const GatewayInfo& info) {
  uint64_t total = 0, errors = 0;
  for (size_t c = 0; c < resilience::kNumStatusCodes; ++c) {
    const auto code = static_cast<StatusCode>(c);
    const double v = client.metric(resilience::MetricId::kRequests, {status_code_name(code)});
    const auto n = v > 0 ? static_cast<uint64_t>(v) : 0;
    total += n;
    if (code != StatusCode::kOk) errors += n;
  }
  return gateway_json(client.health(), client.queue_status(), total, errors, recent, info);
}

std::string endpoints_json(const std::vector<resilience::EndpointHealth>& endpoints) {
  std::string out;
  Writer w(out);
  w.begin_array();
  for (const auto& e : endpoints) write_endpoint(w, e);
  w.end_array();
  return out;
}

}  // namespace ploke::dashboard
