// File: ploke/resilience/admission.h
//
// AdmissionQueue: bounded concurrency with priority lanes and backpressure.
//
// `max_in_flight` requests run at once. A request that finds no free slot waits in its
// lane; lanes are served in strict order (interactive, then normal, then bulk), FIFO
// within a lane. Each lane holds at most `lane_capacity` waiters: beyond that the request
// is rejected at once (backpressure is a clear error, never unbounded memory; the façade
// turns it into kOverloaded "admission queue full"). Waits are measured per lane.
//
// Lanes (classify()): tool-call turns (the last message is a tool result), short prompts
// with short answers, and kHigh/kCritical priority go to kInteractive; long generations
// (max_output_tokens ≥ long_output_tokens) and kLow priority go to kBulk; the rest to
// kNormal. Strict priority can starve the bulk lane under sustained overload; bounded
// lanes and per-request deadlines keep that visible (rejections, deadline errors) rather
// than silent.
//
// The fast path (a free slot, nobody queued) is a few compares and increments: no
// allocation, no clock read beyond the `now` the caller passes.
//
// Thread-safety: not thread-safe; the façade serialises access. Waiter::granted() is
// called from release() (inside the caller's lock).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>

#include "ploke/core/chat.h"
#include "ploke/core/clock.h"
#include "ploke/resilience/endpoint_stats.h"
#include "ploke/resilience/histogram.h"

namespace ploke::resilience {

enum class Lane : uint8_t { kInteractive = 0, kNormal = 1, kBulk = 2 };
inline constexpr size_t kNumLanes = 3;
std::string_view lane_name(Lane l);

struct LaneRules {
  uint64_t short_prompt_chars = 2000;    ///< prompt text at most this long is "short"
  uint32_t short_output_tokens = 512;    ///< …and max_output_tokens at most this (or unset)
  uint32_t long_output_tokens = 2048;    ///< max_output_tokens at least this → bulk
};

/// Which lane a request waits in (see the file comment).
Lane classify(const ChatRequest& request, const LaneRules& rules = {});

struct AdmissionConfig {
  uint32_t max_in_flight = 64;
  std::array<uint32_t, kNumLanes> lane_capacity{256, 256, 256};
};

/// A queued request, owned by the caller; must stay alive until granted or cancelled.
class Waiter {
 public:
  virtual ~Waiter() = default;
  /// A slot is now held for this waiter (it counts as in flight).
  virtual void granted(Duration waited) = 0;

 private:
  friend class AdmissionQueue;
  TimePoint enqueued_{};
  Lane lane_ = Lane::kNormal;
};

enum class Admit : uint8_t { kAdmitted, kQueued, kRejected };

struct LaneStatus {
  Lane lane = Lane::kNormal;
  size_t depth = 0;
  uint32_t capacity = 0;
  uint64_t admitted = 0;   ///< entered a slot (directly or after waiting)
  uint64_t queued = 0;     ///< had to wait
  uint64_t rejected = 0;   ///< lane full
  uint64_t cancelled = 0;  ///< left the queue (deadline, caller)
  size_t max_depth = 0;
  Percentiles wait_ms;     ///< waits of admitted requests (0 for direct admissions)
};

/// What `llm queue status` shows.
struct QueueStatus {
  uint32_t in_flight = 0;
  uint32_t max_in_flight = 0;
  std::array<LaneStatus, kNumLanes> lanes;
};

class AdmissionQueue {
 public:
  explicit AdmissionQueue(AdmissionConfig config = {});

  /// Takes a slot now (kAdmitted), or queues `waiter` (kQueued: granted() comes later),
  /// or refuses because the lane is full (kRejected).
  Admit admit(Lane lane, TimePoint now, Waiter* waiter) {
    auto& st = stats_[static_cast<size_t>(lane)];
    if (in_flight_ < cfg_.max_in_flight && queued_total_ == 0) {
      ++in_flight_;
      ++st.admitted;
      st.waits.record(0);
      return Admit::kAdmitted;
    }
    return admit_slow(lane, now, waiter);
  }
  /// Gives a slot back; grants it to the first waiter of the highest non-empty lane.
  void release(TimePoint now);
  /// Removes a waiter that is still queued. Returns false if it was already granted.
  bool cancel(Waiter* waiter);

  uint32_t in_flight() const { return in_flight_; }
  size_t depth(Lane lane) const { return lanes_[static_cast<size_t>(lane)].size(); }
  size_t queued() const { return queued_total_; }
  QueueStatus status() const;
  const AdmissionConfig& config() const { return cfg_; }

 private:
  struct LaneStats {
    uint64_t admitted = 0, queued = 0, rejected = 0, cancelled = 0;
    size_t max_depth = 0;
    LogLinearHistogram waits;  // microseconds
  };
  Admit admit_slow(Lane lane, TimePoint now, Waiter* waiter);

  AdmissionConfig cfg_;
  uint32_t in_flight_ = 0;
  size_t queued_total_ = 0;
  std::array<std::deque<Waiter*>, kNumLanes> lanes_;
  std::array<LaneStats, kNumLanes> stats_;
};

/// Renders a QueueStatus as the text `ploke-sim llm queue status` prints.
std::string render_queue_status(const QueueStatus& q);
/// Same as render_queue_status() (the name the gateway and the CLI use).
std::string render_queue_status_text(const QueueStatus& q);
/// The JSON the gateway serves at GET /__admin/queue and `llm queue status --json` prints:
///   {"in_flight":N,"max_in_flight":N,"queued":N,
///    "lanes":[{"lane":"interactive","depth":N,"capacity":N,"admitted":N,"queued":N,
///              "rejected":N,"cancelled":N,"max_depth":N,
///              "wait_ms":{"count":N,"p50":x,"p95":x,"p99":x,"mean":x,"max":x}}, …]}
/// Lanes in priority order (interactive, normal, bulk). Numbers only, no secrets.
std::string render_queue_status_json(const QueueStatus& q);

}  // namespace ploke::resilience
