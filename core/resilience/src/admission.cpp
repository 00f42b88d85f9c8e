#include "ploke/resilience/admission.h"

#include "ploke/json/escape.h"
#include "ploke/resilience/trace.h"

#include <algorithm>
#include <cstdio>

namespace ploke::resilience {

std::string_view lane_name(Lane l) {
  switch (l) {
    case Lane::kInteractive: return "interactive";
    case Lane::kNormal: return "normal";
    case Lane::kBulk: return "bulk";
  }
  return "unknown";
}

Lane classify(const ChatRequest& request, const LaneRules& rules) {
  const Priority p = request.meta.priority;
  if (p == Priority::kCritical || p == Priority::kHigh) return Lane::kInteractive;
  if (p == Priority::kLow) return Lane::kBulk;
  if (!request.messages.empty() && request.messages.back().role == Role::kTool) return Lane::kInteractive;
  if (request.max_output_tokens && *request.max_output_tokens >= rules.long_output_tokens) return Lane::kBulk;
  uint64_t chars = 0;
  for (const auto& m : request.messages) {
    for (const auto& part : m.content) chars += part.text.size();
    if (chars > rules.short_prompt_chars) break;
  }
  const bool short_answer = !request.max_output_tokens || *request.max_output_tokens <= rules.short_output_tokens;
  if (chars <= rules.short_prompt_chars && short_answer) return Lane::kInteractive;
  return Lane::kNormal;
}

AdmissionQueue::AdmissionQueue(AdmissionConfig config) : cfg_(config) {}

Admit AdmissionQueue::admit_slow(Lane lane, TimePoint now, Waiter* waiter) {
  const size_t li = static_cast<size_t>(lane);
  auto& st = stats_[li];
  if (in_flight_ < cfg_.max_in_flight) {
    // Slots free but others are queued: a higher lane's waiter is never overtaken, a lower
    // lane's is (strict priority); equal lanes stay FIFO.
    bool ahead = false;
    for (size_t i = 0; i <= li; ++i) ahead = ahead || !lanes_[i].empty();
    if (!ahead) {
      ++in_flight_;
      ++st.admitted;
      st.waits.record(0);
      return Admit::kAdmitted;
    }
  }
  if (waiter == nullptr || lanes_[li].size() >= cfg_.lane_capacity[li]) {
    ++st.rejected;
    return Admit::kRejected;
  }
  waiter->enqueued_ = now;
  waiter->lane_ = lane;
  lanes_[li].push_back(waiter);
  ++queued_total_;
  ++st.queued;
  st.max_depth = std::max(st.max_depth, lanes_[li].size());
  return Admit::kQueued;
}

void AdmissionQueue::release(TimePoint now) {
  if (in_flight_ > 0) --in_flight_;
  while (in_flight_ < cfg_.max_in_flight && queued_total_ > 0) {
    for (size_t i = 0; i < kNumLanes; ++i) {
      if (lanes_[i].empty()) continue;
      Waiter* w = lanes_[i].front();
      lanes_[i].pop_front();
      --queued_total_;
      ++in_flight_;
      const Duration waited = now - w->enqueued_;
      ++stats_[i].admitted;
      stats_[i].waits.record(to_us(waited));
      w->granted(waited);
      break;
    }
  }
}

bool AdmissionQueue::cancel(Waiter* waiter) {
  for (size_t i = 0; i < kNumLanes; ++i) {
    auto it = std::find(lanes_[i].begin(), lanes_[i].end(), waiter);
    if (it != lanes_[i].end()) {
      lanes_[i].erase(it);
      --queued_total_;
      ++stats_[i].cancelled;
      return true;
    }
  }
  return false;
}

QueueStatus AdmissionQueue::status() const {
  QueueStatus q;
  q.in_flight = in_flight_;
  q.max_in_flight = cfg_.max_in_flight;
  for (size_t i = 0; i < kNumLanes; ++i) {
    auto& l = q.lanes[i];
    const auto& st = stats_[i];
    l.lane = static_cast<Lane>(i);
    l.depth = lanes_[i].size();
    l.capacity = cfg_.lane_capacity[i];
    l.admitted = st.admitted;
    l.queued = st.queued;
    l.rejected = st.rejected;
    l.cancelled = st.cancelled;
    l.max_depth = st.max_depth;
    l.wait_ms.count = st.waits.count();
    if (l.wait_ms.count) {
      l.wait_ms.p50 = static_cast<double>(st.waits.quantile(0.5)) / 1000.0;
      l.wait_ms.p95 = static_cast<double>(st.waits.quantile(0.95)) / 1000.0;
      l.wait_ms.p99 = static_cast<double>(st.waits.quantile(0.99)) / 1000.0;
      l.wait_ms.mean = st.waits.mean() / 1000.0;
      l.wait_ms.max = static_cast<double>(st.waits.max()) / 1000.0;
    }
  }
  return q;
}

std::string render_queue_status(const QueueStatus& q) {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "in flight: %u / %u\n", q.in_flight, q.max_in_flight);
  out += buf;
  std::snprintf(buf, sizeof buf, "%-12s %6s %8s %9s %7s %8s %9s %9s %9s %9s\n", "lane", "depth", "capacity",
                "admitted", "queued", "rejected", "cancelled", "wait_p50", "wait_p95", "wait_max");
  out += buf;
  for (const auto& l : q.lanes) {
    std::snprintf(buf, sizeof buf, "%-12s %6zu %8u %9llu %7llu %8llu %9llu %7.1fms %7.1fms %7.1fms\n",
                  std::string(lane_name(l.lane)).c_str(), l.depth, l.capacity,
                  static_cast<unsigned long long>(l.admitted), static_cast<unsigned long long>(l.queued),
                  static_cast<unsigned long long>(l.rejected), static_cast<unsigned long long>(l.cancelled),
                  l.wait_ms.p50, l.wait_ms.p95, l.wait_ms.max);
    out += buf;
  }
  return out;
}

std::string render_queue_status_text(const QueueStatus& q) { return render_queue_status(q); }

namespace {
void append_u64(std::string& out, const char* key, uint64_t v, bool comma = true) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s\"%s\":%llu", comma ? "," : "", key, static_cast<unsigned long long>(v));
  out += buf;
}
void append_double(std::string& out, const char* key, double v, bool comma = true) {
  char buf[64];
  if (!(v == v) || v > 1e300 || v < -1e300) v = 0;  // NaN/inf never reach JSON
  std::snprintf(buf, sizeof buf, "%s\"%s\":%.6g", comma ? "," : "", key, v);
  out += buf;
}
}  // namespace

std::string render_queue_status_json(const QueueStatus& q) {
  std::string out;
  out.reserve(768);
  out += '{';
  append_u64(out, "in_flight", q.in_flight, false);
  append_u64(out, "max_in_flight", q.max_in_flight);
  uint64_t queued = 0;
  for (const auto& l : q.lanes) queued += l.depth;
  append_u64(out, "queued", queued);
  out += ",\"lanes\":[";
  bool first = true;
  for (const auto& l : q.lanes) {
    if (!first) out += ',';
    first = false;
    out += "{\"lane\":";
    ploke::json::append_quoted(out, lane_name(l.lane));
    append_u64(out, "depth", l.depth);
    append_u64(out, "capacity", l.capacity);
    append_u64(out, "admitted", l.admitted);
    append_u64(out, "queued", l.queued);
    append_u64(out, "rejected", l.rejected);
    append_u64(out, "cancelled", l.cancelled);
    append_u64(out, "max_depth", l.max_depth);
    out += ",\"wait_ms\":{";
    append_u64(out, "count", l.wait_ms.count, false);
    append_double(out, "p50", l.wait_ms.p50);
    append_double(out, "p95", l.wait_ms.p95);
    append_double(out, "p99", l.wait_ms.p99);
    append_double(out, "mean", l.wait_ms.mean);
    append_double(out, "max", l.wait_ms.max);
    out += "}}";
  }
  out += "]}";
  return out;
}

}  // namespace ploke::resilience
