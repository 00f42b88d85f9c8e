// Recorder::Impl, serving side (loop thread): replays from the cassette, near-miss 404s,
// forwarding to the upstream (on the loop, http:// and https://) and answering
// the client as the upstream's bytes arrive (see the design notes in recorder.cpp).
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "ploke/core/secret_registry.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/codec/cassette_json.h"
#include "ploke/codec/scripted.h"
#include "recorder_internal.h"

namespace ploke::recorder {
namespace {

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

}  // namespace

void Recorder::Impl::upstream_error(net::Responder& res, const Status& st) {
  const bool timeout = st.code() == StatusCode::kTimeout;
  const std::string msg = rules.redact_text("ploke-sim record: upstream " + upstream.display + " failed: " + st.to_string());
  res.respond(timeout ? 504 : 502, "application/json",
              error_json(msg, "upstream_error", timeout ? "upstream_timeout" : "upstream_unreachable"));
  log(msg);
}

// Loop thread: starts the upstream call on this loop (LoopHttpClient; the Exchange's
// callbacks answer the client here).
void Recorder::Impl::forward(HttpRequest hr, TimePoint t0, net::Responder res) {
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
    MutexLock lock(active_mu);
    active.insert(ex.get());
  }
  std::weak_ptr<Exchange> weak = ex;
  res.on_cancel([weak] {
    if (auto e = weak.lock()) e->abandon();  // the client left: abort the upstream call
  });
  ex->hold(ex);  // until on_complete (later, on this loop; at once only if the loop is closing)
  ex->set_call(loop_client->start(upstream_request(*ex), opts.upstream_timeouts, *ex));
}

HttpRequest Recorder::Impl::upstream_request(const Exchange& ex) const {
  HttpRequest out;
  out.method = ex.request.method;
  out.path = ex.request.path;
  out.body = ex.request.body;
  out.expect_stream = ex.request.expect_stream;
  out.base_url = upstream.base;
  for (const auto& [k, v] : ex.request.headers.items()) {
    if (!is_unforwarded_request_header(k) && !iequals(k, "x-ploke-cassette")) out.headers.add(k, v);
  }
  out.headers.add("Accept-Encoding", "identity");
  return out;
}

// Exchange::on_complete (the callbacks' thread): the client's answer or cut, then the
// recording.
void Recorder::Impl::finish_exchange(Exchange& ex, const Status& st) {
  net::Responder& res = ex.res;
  if (!ex.has_head()) {
    if (ex.abandoned() && st.code() == StatusCode::kCancelled) {
      finish_aborted(ex);
      return;
    }
    count(&RecorderStats::upstream_failures);
    if (opts.record_upstream_failures && st.code() != StatusCode::kCancelled) record_failure(ex, st);
    upstream_error(res, st);
    note_access(ex.request, st.code() == StatusCode::kTimeout ? 504 : 502, ex.since_arrival(), "upstream_error");
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
  note_access(ex.request, ex.status(), ex.since_arrival(), st.ok() ? "recorded" : "cut");
  try {
    record_exchange(ex);
  } catch (const std::exception& e) {
    log(std::string("ploke-sim record: recording failed: ") + e.what());
  }
}

// The client left (or the recorder is stopping): the upstream call was aborted; nothing
// is recorded.
void Recorder::Impl::finish_aborted(Exchange& ex) {
  ex.finished = true;
  ex.res.close();
  if (!stopping.load()) {
    count(&RecorderStats::client_aborts);
    log("not recorded (client disconnected): " + ex.request.method + " " + codec::split_path_query(ex.request.path).first);
    note_access(ex.request, ex.has_head() ? ex.status() : 0, ex.since_arrival(), "client_abort");
  }
}

bool Recorder::Impl::wants_stream(const HttpRequest& r) {
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

void Recorder::Impl::unregister(Exchange* ex) {
  MutexLock lock(active_mu);
  active.erase(ex);
}

void Recorder::Impl::play(ScriptedResponse&& sr, TimePoint t0, net::Responder& res) {
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
void Recorder::Impl::handle(net::Request& req, net::Responder res) {
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
      note_access(hr, hit.interaction->response.status, clock.now() - t0, "replayed");
      play(codec::to_scripted(hit.interaction->response, opts.replay_timing), t0, res);
      return;
    }
    if (!records) {
      count(&RecorderStats::unmatched);
      const std::string report = rules.redact_text(hit.near_miss.to_string());
      log("unmatched (replay only): " + report);
      note_access(hr, 404, clock.now() - t0, "unmatched");
      Headers h;
      h.add("Content-Type", "application/json");
      h.add("x-ploke-unmatched", "1");
      res.respond(404, std::move(h), error_json(report, "invalid_request_error", "cassette_unmatched"));
      return;
    }
  }
  forward(std::move(hr), t0, std::move(res));
}

namespace {

constexpr std::string_view kCassetteHeader = "x-ploke-cassette";
constexpr std::string_view kCassettePrefix = "/cassettes/";

void cassette_error(net::Responder& res, const std::string& message) {
  Headers h;
  h.add("Content-Type", "application/json");
  h.add("x-ploke-unmatched", "1");
  res.respond(400, std::move(h), error_json(message, "invalid_request_error", "cassette_not_found"));
}

/// Removes the first `cut` characters after "/cassettes/" from the request's path and target.
void strip_cassette_prefix(net::Request& req, size_t cut) {
  const size_t n = kCassettePrefix.size() + cut;
  if (req.target.compare(0, n, req.path, 0, n) == 0) req.target.erase(0, n);
  else req.target = req.path.substr(n) + (req.query.empty() ? std::string() : "?" + req.query);
  req.path.erase(0, n);
}

}  // namespace

// The name: the header, else the path prefix's longest NAME whose cassette is open or
// exists, else its first segment. The prefix is removed either way.
void Recorder::Impl::route(net::Request& req, net::Responder res) {
  const auto header = req.headers.get(kCassetteHeader);
  std::string name = header ? std::string(*header) : std::string();
  if (req.path.rfind(kCassettePrefix, 0) == 0) {
    const std::string rest = req.path.substr(kCassettePrefix.size());
    size_t cut = rest.find('/');
    for (size_t at = rest.rfind('/'); cut != std::string::npos && at != std::string::npos && at > cut;
         at = rest.rfind('/', at - 1)) {
      const std::string candidate = rest.substr(0, at);
      bool known = false;
      {
        MutexLock lock(children_mu);
        known = children.count(candidate) > 0;
      }
      std::error_code ec;
      if (known || (codec::check_cassette_name(candidate).ok() &&
                    std::filesystem::exists(codec::cassette_path_in(opts.cassette_dir, candidate), ec))) {
        cut = at;
        break;
      }
    }
    if (cut != std::string::npos) {
      if (name.empty()) name = rest.substr(0, cut);
      strip_cassette_prefix(req, cut);
    }
  }
  if (name.empty()) {
    return cassette_error(res, "ploke-sim record: name the cassette with the x-ploke-cassette header or a "
                               "/cassettes/NAME/ path prefix (--cassette-dir)");
  }
  auto c = child(name);
  if (!c.ok()) return cassette_error(res, rules.redact_text(c.status().message()));
  (*c)->dispatch(req, std::move(res));
}

void Recorder::Impl::dispatch(net::Request& req, net::Responder res) {
  try {
    if (!opts.cassette_dir.empty()) return route(req, std::move(res));
    handle(req, res);
  } catch (const std::exception& e) {
    res.respond(500, "application/json",
                error_json(rules.redact_text(std::string("ploke-sim record: internal error: ") + e.what()),
                           "server_error", "recorder_internal"));
  }
}

void Exchange::on_complete(Status status) {
  std::shared_ptr<Exchange> keep;  // the loop path's self-reference: released last (may free this)
  const double ms = to_ms(clock_.now() - t0_);
  {
    MutexLock lock(mu_);
    final_ = status;
    elapsed_ms_ = ms;
    keep = std::move(self_);
  }
  try {
    owner_.finish_exchange(*this, status);
  } catch (const std::exception& e) {
    owner_.log(std::string("ploke-sim record: forwarding failed: ") + e.what());
  }
  MutexLock lock(mu_);
  complete_ = true;
}

Exchange::~Exchange() {
  abandon();
  owner_.unregister(this);
}

}  // namespace ploke::recorder
