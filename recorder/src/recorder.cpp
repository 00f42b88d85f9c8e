// Recorder: a recording reverse proxy on ploke::net::HttpServer (see recorder.h).
//
// Design notes:
//  - Server: ploke::net::HttpServer (adapters/net: libevent loop, http-parser, our own
//    framing). Its handler runs on the loop thread and never blocks: replays, near-miss
//    404s and errors are answered there (replays timed with the exchange's Clock timer).
//  - Forwarding (http:// and https:// upstreams; TLS on non-blocking OpenSSL):
//    the handler starts the upstream call with net::LoopHttpClient on the same loop (the
//    upstream socket is one more libevent fd) and returns. Each request owns an Exchange
//    (a ResponseHandler) whose on_head/on_body/on_complete run later on that loop and
//    answer the client inline: non-stream requests (no "stream": true, no Accept:
//    text/event-stream) with one respond() (head + body, one send()) at on_complete;
//    streams with start() at on_head, write() per on_body chunk as it arrives (captured
//    with its offset in ms from the request start, injected Clock), finish() or a cut at
//    the end. No thread hand-off on the client's path; a stream's upstream read is paused
//    while more than max_queued_bytes are queued for the client (backpressure).
//  - A client that leaves (Responder::on_cancel) abandons the exchange: the upstream call
//    is cancelled and nothing is recorded.
//  - After the response, the raw capture is handed to a recording thread (SCHED_IDLE)
#include "ploke/recorder/recorder.h"
#include "ploke/core/thread_annotations.h"

#include <algorithm>
#include <filesystem>

#include "ploke/adapters/register.h"
#include "ploke/codec/cassette_json.h"
#include "recorder_internal.h"

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

std::string file_stem(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}

}  // namespace

Recorder::Recorder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Recorder::~Recorder() { (void)stop(); }

namespace {

Status check_options(const RecorderOptions& options) {
  if (options.cassette_path.empty() && options.cassette_dir.empty()) {
    return InvalidRequestError("recorder: a cassette path (or a cassette directory) is required");
  }
  if (options.port < 0 || options.port > 65535) return InvalidRequestError("recorder: port must be in [0,65535]");
  if (options.max_idle_upstream == 0) return InvalidRequestError("recorder: max_idle_upstream must be > 0");
  if (options.max_queued_bytes == 0) return InvalidRequestError("recorder: max_queued_bytes must be > 0");
  return Status::Ok();
}

// What the mode means for this cassette: replay it, record into it, or both. Returns
// whether the existing cassette is loaded.
Result<bool> apply_mode(Recorder::Impl& impl, const RecorderOptions& options) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(options.cassette_path, ec);
  switch (options.mode) {
    case RecordMode::kNone:
      if (!exists) return NotFoundError("recorder: mode none needs an existing cassette: " + options.cassette_path);
      impl.replays = true;
      return true;
    case RecordMode::kOnce:
      impl.replays = exists;
      impl.records = !exists;
      return exists;
    case RecordMode::kNewEpisodes:
      impl.replays = exists;
      impl.records = true;
      return exists;
    case RecordMode::kAll:
      impl.records = true;
      return false;
  }
  return false;
}

Status set_upstream(Recorder::Impl& impl, const RecorderOptions& options) {
  if (impl.records) {
    if (options.upstream.empty()) return InvalidRequestError("recorder: --upstream is required to record");
    PLOKE_ASSIGN_OR_RETURN(impl.upstream, parse_upstream(options.upstream));
  } else if (!options.upstream.empty()) {
    auto up = parse_upstream(options.upstream);
    if (up.ok()) impl.upstream = std::move(up).value();
  }
  return Status::Ok();
}

// The cassette recordings go into: the loaded one (whose interactions also feed the replay
// store), or a new one named after the file.
Status open_cassette(Recorder::Impl& impl, const RecorderOptions& options, bool load) {
  codec::Cassette c;
  if (load) {
    PLOKE_ASSIGN_OR_RETURN(c, codec::load_cassette_file(options.cassette_path));
    codec::ReplayOptions ro;
    ro.match.ignore_paths =
        options.match_ignore_paths.empty() ? adapters::builtin_cassette_ignore_paths() : options.match_ignore_paths;
    ro.redaction = impl.rules;
    ro.after_last = (options.mode == RecordMode::kNewEpisodes || !options.repeat_last) ? codec::AfterLast::kFail
                                                                                       : codec::AfterLast::kRepeatLast;
    PLOKE_ASSIGN_OR_RETURN(impl.store, codec::ReplayStore::Create({c}, ro));
    impl.first_new_id = c.interactions.size() + 1;
  } else {
    c.name = options.cassette_name.empty() ? file_stem(options.cassette_path) : options.cassette_name;
    c.provider = options.provider;
    c.protocol = options.protocol;
    c.synthetic = options.synthetic;
    c.upstream = impl.rules.redact_text(impl.upstream.display);
  }
  MutexLock lock(impl.data_mu);  // not shared yet; taken so the analysis can check the set-up
  impl.cassette = std::move(c);
  return Status::Ok();
}

// A LoopHttpClient on the server's loop (http:// and https://).
void make_upstream_client(Recorder::Impl& impl, const RecorderOptions& options, Clock& clock) {
  if (!impl.records) return;
  net::LoopHttpClient::Options o;
  o.max_idle_per_origin = options.max_idle_upstream;
  o.verify_tls = options.verify_tls;
  impl.loop_client = std::make_unique<net::LoopHttpClient>(clock, o);
}

/// An Impl for one cassette file (the whole recorder, or one per-test child).
Result<std::unique_ptr<Recorder::Impl>> make_impl(const RecorderOptions& options, Clock& clock) {
  Result<codec::RedactionRules> rules = codec::RedactionRules::Create(options.redaction);
  if (!rules.ok()) return InvalidRequestError("recorder: redaction: " + rules.status().message());
  auto impl = std::make_unique<Recorder::Impl>(options, clock, std::move(rules).value());
  if (!options.cassette_dir.empty()) {  // the root of per-test cassettes: serves and routes only
    if (!options.upstream.empty()) {
      PLOKE_ASSIGN_OR_RETURN(impl->upstream, parse_upstream(options.upstream));
    }
    return impl;
  }
  PLOKE_ASSIGN_OR_RETURN(const bool load, apply_mode(*impl, options));
  PLOKE_RETURN_IF_ERROR(set_upstream(*impl, options));
  PLOKE_RETURN_IF_ERROR(open_cassette(*impl, options, load));
  make_upstream_client(*impl, options, clock);
  return impl;
}

}  // namespace

Result<std::unique_ptr<Recorder>> Recorder::Create(const RecorderOptions& options, Clock& clock) {
  try {
    PLOKE_RETURN_IF_ERROR(check_options(options));
    PLOKE_ASSIGN_OR_RETURN(auto impl, make_impl(options, clock));
    return std::unique_ptr<Recorder>(new Recorder(std::move(impl)));
  } catch (const std::exception& e) {
    return InternalError(std::string("recorder: ") + e.what());
  }
}

Result<Recorder::Impl*> Recorder::Impl::child(const std::string& name) {
  MutexLock lock(children_mu);
  if (children_closed) return Status(StatusCode::kCancelled, "ploke-sim record: stopping");
  if (auto it = children.find(name); it != children.end()) return it->second.get();
  PLOKE_RETURN_IF_ERROR(codec::check_cassette_name(name));
  RecorderOptions o = opts;
  o.cassette_dir.clear();
  o.cassette_path = codec::cassette_path_in(opts.cassette_dir, name);
  o.cassette_name = name;
  if (o.mode != RecordMode::kNone) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(o.cassette_path).parent_path(), ec);
  }
  auto made = make_impl(o, clock);
  if (!made.ok()) {
    if (made.status().code() == StatusCode::kNotFound) {
      return NotFoundError("no cassette \"" + name + "\" (" + o.cassette_path + "): mode none never records");
    }
    return made.status();
  }
  Impl* c = made->get();
  c->start_workers();
  log("ploke-sim record: cassette " + name + " (" + o.cassette_path + "): " +
      (c->records ? (c->replays ? "replay known, record new" : "recording") : "replay only"));
  children.emplace(name, std::move(made).value());
  return c;
}

std::vector<Recorder::Impl*> Recorder::Impl::close_children() {
  MutexLock lock(children_mu);
  children_closed = true;
  std::vector<Impl*> out;
  for (auto& [name, c] : children) out.push_back(c.get());
  return out;
}

void Recorder::Impl::start_workers() {
  flusher = std::thread([this] { flusher_loop(); });
  recording_thread = std::thread([this] { recording_loop(); });
  arm_flush_timer();
}

void Recorder::Impl::halt_timer() {
  stopping = true;
  {
    MutexLock l(flush_signal->mu);
    flush_signal->timer_stopped = true;
    if (flush_signal->timer) clock.cancel(*flush_signal->timer);
  }
  timer_fn.reset();
}

void Recorder::Impl::abandon_active() {
  MutexLock l(active_mu);
  for (Exchange* ex : active) ex->abandon();
}

Status Recorder::Impl::drain_and_flush() {
  {
    MutexLock l(flush_signal->mu);
    flush_signal->stop = true;
    flush_signal->cv.notify_all();
  }
  if (flusher.joinable()) flusher.join();
  {
    MutexLock l(pending_mu);
    recording_stop = true;
    pending_cv.notify_all();
  }
  if (recording_thread.joinable()) recording_thread.join();
  try {
    return flush();
  } catch (const std::exception& e) {
    return InternalError(std::string("recorder: final flush: ") + e.what());
  }
}

Status Recorder::Start() {
  Impl* self = impl_.get();
  if (self->started.exchange(true)) return InvalidRequestError("recorder: already started");
  try {
    net::ServerOptions so;
    so.host = self->opts.host;
    so.port = self->opts.port;
    so.threads = 1;  // parsing, framing and upstream I/O (TLS too) are all non-blocking on this loop
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
    self->start_workers();
    const bool per_test = !self->opts.cassette_dir.empty();
    self->log("ploke-sim record: mode " + std::string(record_mode_name(self->opts.mode)) +
              (per_test ? std::string(" (per cassette)")
                        : self->records ? (self->replays ? " (replay known, record new)" : " (recording)")
                                        : " (replay only)") +
              ", upstream " + (self->upstream.display.empty() ? std::string("(none)") : self->upstream.display) +
              (per_test ? ", cassettes " + self->opts.cassette_dir + "/NAME.json" : ", cassette " + self->opts.cassette_path));
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
  MutexLock lock(self->stop_mu);
  if (self->stopped) return self->stop_status;
  self->stopped = true;
  // Flush timers off and upstream calls in flight aborted first (a late timer callback only
  // touches its shared signal), then stop serving, then join the workers and flush.
  std::vector<Impl*> all = self->close_children();
  all.push_back(self);
  for (Impl* i : all) i->halt_timer();
  for (Impl* i : all) i->abandon_active();
  if (self->server) self->server->stop();  // closes every client connection
  for (Impl* i : all) i->abandon_active();
  Status st;
  for (Impl* i : all) {
    Status s = i->drain_and_flush();
    if (st.ok()) st = s;
  }
  self->stop_status = st;
  return st;
}

namespace {

void add_stats(RecorderStats& to, const RecorderStats& s) {
  to.requests += s.requests;
  to.replayed += s.replayed;
  to.forwarded += s.forwarded;
  to.recorded += s.recorded;
  to.unmatched += s.unmatched;
  to.upstream_failures += s.upstream_failures;
  to.client_aborts += s.client_aborts;
  to.flushes += s.flushes;
  to.flush_errors += s.flush_errors;
}

}  // namespace

RecorderStats Recorder::stats() const {
  RecorderStats out;
  MutexLock children(impl_->children_mu);
  for (auto& [name, c] : impl_->children) {
    c->process_pending();  // exchanges finished but not yet turned into recordings count too
    MutexLock lock(c->data_mu);
    add_stats(out, c->stats);
  }
  impl_->process_pending();
  MutexLock lock(impl_->data_mu);
  add_stats(out, impl_->stats);
  return out;
}

size_t Recorder::interaction_count() const {
  size_t n = 0;
  MutexLock children(impl_->children_mu);
  for (auto& [name, c] : impl_->children) {
    c->process_pending();
    MutexLock lock(c->data_mu);
    n += c->cassette.interactions.size();
  }
  impl_->process_pending();
  MutexLock lock(impl_->data_mu);
  return n + impl_->cassette.interactions.size();
}

}  // namespace ploke::recorder

