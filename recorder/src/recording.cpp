// Recorder::Impl, recording side: turning finished exchanges into redacted interactions
// (on a SCHED_IDLE recording thread, in arrival order) and writing the cassette
// (atomically, on flush(), the flusher thread every flush_interval, and stop()).
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <cstdio>

#include "ploke/codec/cassette_json.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/core/file_io.h"
#include "recorder_internal.h"

namespace ploke::recorder {

void Recorder::Impl::note_access(const HttpRequest& r, int status, Duration latency, const char* outcome) const {
  if (!opts.on_access) return;
  RecorderAccess a;
  a.method = r.method;
  a.path = std::string(codec::split_path_query(r.path).first);
  a.status = status;
  a.latency = latency;
  a.outcome = outcome;
  opts.on_access(a);
}

void Recorder::Impl::log(const std::string& line) const {
  if (!opts.log) return;
  try {
    opts.log(rules.redact_text(line));
  } catch (...) {
  }
}

void Recorder::Impl::count(uint64_t RecorderStats::*field) {
  MutexLock lock(data_mu);
  ++(stats.*field);
}

Status Recorder::Impl::flush() {
  process_pending();
  MutexLock wl(write_mu);
  std::string text;
  uint64_t gen = 0;
  {
    MutexLock lock(data_mu);
    if (generation == written_generation) return last_flush;
    gen = generation;
    cassette.recorded_at = codec::format_rfc3339_utc(clock.system_now());
    text = codec::serialize_cassette(cassette);
  }
  Status st = ploke::write_file_atomic(opts.cassette_path, text);
  {
    MutexLock lock(data_mu);
    if (st.ok()) ++stats.flushes;
    else ++stats.flush_errors;
  }
  if (st.ok()) written_generation = gen;
  else log("ploke-sim record: writing the cassette failed: " + st.to_string());
  last_flush = st;
  return st;
}

void Recorder::Impl::arm_flush_timer() {
  if (opts.flush_interval <= Duration{0}) return;
  std::shared_ptr<FlushSignal> sig = flush_signal;
  Clock* c = &clock;
  const Duration every = opts.flush_interval;
  // The callback holds the signal (not the Impl), so a late firing after stop() is harmless.
  auto fire = std::make_shared<std::function<void()>>();
  std::weak_ptr<std::function<void()>> weak_fire = fire;
  *fire = [sig, c, every, weak_fire] {
    MutexLock lock(sig->mu);
    if (sig->timer_stopped) return;
    sig->requested = true;
    sig->cv.notify_all();
    if (auto f = weak_fire.lock()) sig->timer = c->schedule_after(every, [f] { (*f)(); });
  };
  MutexLock lock(sig->mu);
  // The signal keeps the function alive until stop() drops it.
  timer_fn = fire;
  sig->timer = clock.schedule_after(every, [fire] { (*fire)(); });
}

void Recorder::Impl::flusher_loop() {
  std::shared_ptr<FlushSignal> sig = flush_signal;
  MutexLock lock(sig->mu);
  while (true) {
    lock.wait(sig->cv, [&] {
      sig->mu.assert_held();
      return sig->requested || sig->stop;
    });
    if (sig->stop) return;
    sig->requested = false;
    lock.unlock();
    (void)flush();
    lock.lock();
  }
}

// Adds a recording in arrival order (`seq`): exchanges finish out of order (a stream's
// releaser can run after the next, inline request was recorded), the cassette must not.
void Recorder::Impl::append(codec::Interaction i, uint64_t seq, const std::string& summary) {
  i = codec::redact_interaction(std::move(i), rules);
  {
    MutexLock lock(data_mu);
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

void Recorder::Impl::record_exchange(Exchange& ex) {
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
  MutexLock lock(pending_mu);
  pending.push_back(std::move(raw));
  // Wake the recording thread once per batch, not per exchange: a futex wake and a
  // thread start on the other core per request cost the forwarded path more than the
  // work itself. The flusher (every flush_interval) and flush()/stop() drain the rest.
  if (pending.size() >= kRecordBatch) pending_cv.notify_all();
}

void Recorder::Impl::build_and_append(RawRecording raw) {
  codec::Interaction i;
  i.recorded_at = codec::format_rfc3339_utc(raw.recorded_at);
  i.request = codec::recorded_request_from_http(raw.request);
  codec::RecordedResponse& r = i.response;
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
void Recorder::Impl::process_pending() {
  MutexLock pl(process_mu);
  std::deque<RawRecording> batch;
  {
    MutexLock lock(pending_mu);
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

void Recorder::Impl::recording_loop() {
  // Background work: classification and redaction must never delay a forwarded
  // response, so this thread only runs when a core is otherwise idle (SCHED_IDLE).
  // It cannot starve: flush() (the flusher thread, every flush_interval, and stop())
  // drains the pending queue at normal priority.
  sched_param idle{};
  (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
  MutexLock lock(pending_mu);
  while (true) {
    lock.wait(pending_cv, [&] {
      pending_mu.assert_held();
      return !pending.empty() || recording_stop;
    });
    if (pending.empty() && recording_stop) return;
    lock.unlock();
    process_pending();
    lock.lock();
  }
}

void Recorder::Impl::record_failure(Exchange& ex, const Status& st) {
  if (ex.finished) return;
  ex.finished = true;
  codec::Interaction i;
  i.recorded_at = codec::format_rfc3339_utc(clock.system_now());
  i.request = codec::recorded_request_from_http(ex.request);
  i.response.status = 502;
  i.response.ending = Ending::kCloseNoReply;
  i.response.elapsed_ms = ex.elapsed_ms();
  std::string summary = "recorded " + ex.request.method + " " + i.request.path + " -> upstream failure: " + st.to_string();
  append(std::move(i), ex.seq, summary);
}

}  // namespace ploke::recorder
