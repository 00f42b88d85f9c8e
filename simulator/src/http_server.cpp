// SimServer: plays SimEngine's ScriptedResponses on real sockets, on top of the shared
// HTTP/1.1 server ploke::net::HttpServer (adapters/net: libevent loops, http-parser, our
// own framing; see ploke/net/http_server.h). What stays here is what is the simulator's
// own: the admin API and the timed playback of a ScriptedResponse.
//
// Design notes:
//  - The handler runs on the connection's loop thread. A response that is complete and
//    already due (always with --fast) is answered inline: head + body (or a stream's head,
//    all its events as one chunk and the terminator) leave in one send().
//  - Anything else is played by a Player from the exchange's timer
//    (Responder::set_timer): every step (head, the chunks due at one instant, the ending)
//    is due at t0 + offset where t0 = the request's start on the injected Clock; the
//    server re-arms in slices of at most 50 ms, so a Clock that jumps is noticed. Steps
//    run from one timer callback are sent together (the server flushes after the callback).
//  - Socket-level endings map onto Responder::reset() (RST after queued bytes have left)
//    and close() (FIN; an "empty reply" before any byte); a hang is a timer at max_hang
//    that closes. A client that leaves ends the exchange (and drops the Player) at once.
#include "ploke/simulator/http_server.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "ploke/net/process_metrics.h"
#include "ploke/net/http_server.h"
#include "ploke/dashboard/page.h"
#include "ploke/simulator/fault_plan_json.h"
#include "ploke/simulator/metrics_text.h"
#include "otlp_sink.h"

namespace ploke::simulator {
namespace {

std::string admin_error(std::string_view message) {
  std::string out = "{\"error\":{\"message\":";
  nlohmann::json m = std::string(message);
  out += m.dump();
  out += ",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}";
  return out;
}

// The content type named by the script (default application/json) and any declared
// Content-Length (framing is the server's).
void framing_of(const Headers& headers, bool* has_content_type, std::optional<size_t>* declared) {
  *has_content_type = false;
  declared->reset();
  for (const auto& kv : headers.items()) {
    if (iequals(kv.first, "content-type")) *has_content_type = true;
    else if (iequals(kv.first, "content-length")) *declared = std::strtoull(kv.second.c_str(), nullptr, 10);
  }
}

enum class Stage : uint8_t { kHead, kBody, kEnding, kHang };

// The exchange's end for ServerOptions::on_served (nothing when unset).
// Fires once: at the exchange's end, or when the client leaves first (client_left).
struct ServedNote {
  const std::function<void(const JournalEntry&, Duration)>* hook = nullptr;
  JournalEntry entry;
  bool fired = false;
  void operator()(Clock& clock, TimePoint t0, bool client_left = false) {
    if (fired) return;
    fired = true;
    entry.client_left = client_left;
    if (hook != nullptr && *hook) (*hook)(entry, clock.now() - t0);
  }
};

struct Player : std::enable_shared_from_this<Player> {
  net::Responder res;
  ScriptedResponse script;
  TimePoint t0{};
  Duration max_hang{};
  size_t next_chunk = 0;
  Stage stage = Stage::kHead;
  std::shared_ptr<ServedNote> note;  // shared with the on_cancel callback
  void served(Clock& clock, TimePoint start) { if (note) (*note)(clock, start); }

  void schedule(TimePoint due) {
    res.set_timer(due, [self = shared_from_this()] { self->advance(); });
  }

  void start_hang() {
    stage = Stage::kHang;
    schedule(res.clock().now() + max_hang);
  }

  void end(Ending e) {
    if (e != Ending::kHang) served(res.clock(), t0);
    switch (e) {
      case Ending::kComplete: res.finish(); return;
      case Ending::kHang: start_hang(); return;
      case Ending::kReset: res.reset(); return;
      case Ending::kCloseNoReply: res.close(); return;
    }
  }

  void advance() {
    ScriptedResponse& sr = script;
    const TimePoint now = res.clock().now();
    switch (stage) {
      case Stage::kHead: {
        const TimePoint due = t0 + sr.head_at;
        if (now < due) return schedule(due);
        if (!sr.send_head || sr.ending == Ending::kCloseNoReply) {
          return end(sr.ending == Ending::kComplete ? Ending::kCloseNoReply : sr.ending);
        }
        bool has_type = false;
        std::optional<size_t> declared;
        framing_of(sr.headers, &has_type, &declared);
        if (!has_type) sr.headers.add("Content-Type", "application/json");
        std::optional<size_t> length;
        if (!sr.streaming) {
          size_t total = 0;
          for (const auto& ch : sr.chunks) total += ch.bytes.size();
          length = declared.value_or(total);
        }
        if (!res.start(sr.status, std::move(sr.headers), length)) return;
        stage = Stage::kBody;
        [[fallthrough]];
      }
      case Stage::kBody: {
        const auto& chunks = sr.chunks;
        const size_t first = next_chunk;
        size_t batch = 0;
        while (next_chunk < chunks.size() && t0 + chunks[next_chunk].at <= now) {
          batch += chunks[next_chunk].bytes.size();
          ++next_chunk;
        }
        if (batch > 0) {
          // All events due at this instant go out as one chunk.
          if (next_chunk == first + 1) {
            res.write(std::move(sr.chunks[first].bytes));
          } else {
            std::string joined;
            joined.reserve(batch);
            for (size_t i = first; i < next_chunk; ++i) joined += chunks[i].bytes;
            res.write(std::move(joined));
          }
        }
        if (next_chunk < chunks.size()) return schedule(t0 + chunks[next_chunk].at);
        stage = Stage::kEnding;
        [[fallthrough]];
      }
      case Stage::kEnding:
        return end(sr.ending);
      case Stage::kHang:  // max_hang is over (the timer fires only when due)
        served(res.clock(), t0);
        res.close();
        return;
    }
  }
};

}  // namespace

struct SimServer::Impl {
  Impl(SimEngine& e, Clock& c, ServerOptions o) : engine(e), clock(c), opts(std::move(o)), otlp(opts.otlp_max_payloads) {}

  SimEngine& engine;
  Clock& clock;
  const ServerOptions opts;
  std::unique_ptr<net::HttpServer> server;
  SimObservability obs{engine, clock};  // GET /metrics, /__admin/dashboard.json (docs/dashboard.md)
  OtlpSink otlp;                        // POST /v1/traces, /v1/metrics; GET /__admin/otlp
  std::atomic<bool> stopping{false};    // stop() closes open exchanges: not their clients leaving

  void handle(net::Request& req, net::Responder res);
  bool otlp_route(const net::Request& req, net::Responder& res);
  void admin(net::Request& req, net::Responder& res);
  void play(ScriptedResponse&& sr, TimePoint t0, net::Responder& res, ServedNote served);
};

void SimServer::Impl::handle(net::Request& req, net::Responder res) {
  try {
    if (req.path.compare(0, 9, "/__admin/") == 0) {
      admin(req, res);
      return;
    }
    if (otlp_route(req, res)) return;
    if (req.path == "/metrics" && req.method == "GET") {
      res.respond(200, "text/plain; version=0.0.4; charset=utf-8", obs.metrics_text() + net::process_metrics_text("serve"));
      return;
    }
    HttpRequest hr;
    hr.method = std::move(req.method);
    hr.path = std::move(req.path);
    if (!req.query.empty()) hr.path += "?" + req.query;  // routing ignores it; the journal checks it
    hr.headers = std::move(req.headers);
    hr.body = std::move(req.body);
    ServedNote served;
    if (opts.on_served) served.hook = &opts.on_served;
    ScriptedResponse sr = engine.handle(hr, served.hook != nullptr ? &served.entry : nullptr);
    play(std::move(sr), req.received_at, res, std::move(served));
  } catch (const std::exception& e) {
    // Out of memory or a bug in a handler: answer 500 and drop the connection.
    Headers h;
    h.add("Content-Type", "application/json");
    h.add("Connection", "close");
    if (!res.respond(500, std::move(h), admin_error(std::string("simulator: ") + e.what()))) res.close();
  }
}

// The OTLP sink: exports accepted as a collector does (200 with an empty partial
// success), a malformed one refused with 400 and a google.rpc.Status naming where.
bool SimServer::Impl::otlp_route(const net::Request& req, net::Responder& res) {
  if (req.method != "POST" || (req.path != "/v1/traces" && req.path != "/v1/metrics")) return false;
  const Status st = req.path == "/v1/traces" ? otlp.accept_traces(req.body) : otlp.accept_metrics(req.body);
  if (st.ok()) {
    res.respond(200, "application/json", "{}");
  } else {
    res.respond(400, "application/json", "{\"code\":3,\"message\":" + nlohmann::json(st.message()).dump() + "}");
  }
  return true;
}

void SimServer::Impl::play(ScriptedResponse&& sr, TimePoint t0, net::Responder& res, ServedNote served) {
  const TimePoint now = clock.now();
  if (t0 + sr.head_at <= now && sr.send_head && sr.ending == Ending::kComplete) {
    bool all_due = true;
    size_t total = 0;
    for (const auto& ch : sr.chunks) {
      all_due = all_due && t0 + ch.at <= now;
      total += ch.bytes.size();
    }
    if (all_due) {
      bool has_type = false;
      std::optional<size_t> declared;
      framing_of(sr.headers, &has_type, &declared);
      if (!has_type) sr.headers.add("Content-Type", "application/json");
      if (!sr.streaming && (!declared || *declared == total)) {
        // The hot path: head + body framed into the output buffer, one send().
        std::string body;
        if (sr.chunks.size() == 1) {
          body = std::move(sr.chunks[0].bytes);
        } else {
          body.reserve(total);
          for (const auto& ch : sr.chunks) body += ch.bytes;
        }
        served(clock, t0);
        res.respond(sr.status, std::move(sr.headers), std::move(body));
        return;
      }
      if (sr.streaming) {
        // A stream with every event already due (--fast): head, events and terminator in
        // one write (HTTP/1.0: unchunked, ending with the connection).
        res.start(sr.status, std::move(sr.headers));
        if (total > 0) {
          std::string body;
          body.reserve(total);
          for (const auto& ch : sr.chunks) body += ch.bytes;
          res.write(std::move(body));
        }
        served(clock, t0);
        res.finish();
        return;
      }
    }
  }
  // Everything else is played step by step from the exchange's timer.
  auto p = std::make_shared<Player>();
  p->res = res;
  p->script = std::move(sr);
  p->t0 = t0;
  p->max_hang = opts.max_hang;
  if (served.hook != nullptr) {
    p->note = std::make_shared<ServedNote>(std::move(served));
    // A client that gives up (its timeout) ends the exchange without us: note when.
    res.on_cancel([note = p->note, t0, &clock = clock, &stopping = stopping] {
      (*note)(clock, t0, /*client_left=*/!stopping.load(std::memory_order_relaxed));
    });
  }
  p->advance();
}

void SimServer::Impl::admin(net::Request& req, net::Responder& res) {
  const std::string_view m = req.method;
  const std::string_view path = req.path;
  const std::string_view query = req.query;
  auto ok_json = [&](const std::string& body) { res.respond(200, "application/json", body); };
  if (path == "/__admin/health" && m == "GET") {
    ok_json("{\"status\":\"ok\",\"requests\":" + std::to_string(engine.request_count()) + "}");
  } else if (path == "/__admin/faults" && m == "GET") {
    ok_json("{\"plan\":" + fault_plan_to_json(engine.faults()) + ",\"stats\":" +
            fault_stats_to_json(engine.fault_stats()) + "}");
  } else if (path == "/__admin/faults" && (m == "POST" || m == "PUT")) {
    const auto a = net::query_param(query, "append");
    const bool append = a && *a != "0" && *a != "false";
    auto plan = parse_fault_plan(req.body, "admin");
    Status st = plan.ok() ? engine.set_faults(*plan, append) : plan.status();
    if (!st.ok()) {
      res.respond(400, "application/json", admin_error(st.message()));
      return;
    }
    ok_json("{\"ok\":true,\"faults\":" + std::to_string(engine.faults().faults.size()) + "}");
  } else if (path == "/__admin/faults" && m == "DELETE") {
    engine.clear_faults();
    ok_json("{\"ok\":true}");
  } else if (path == "/__admin/requests" && m == "GET") {
    size_t limit = SIZE_MAX;
    if (auto l = net::query_param(query, "limit")) limit = std::strtoull(std::string(*l).c_str(), nullptr, 10);
    ok_json(journal_to_json(engine.journal(limit)));
  } else if (path == "/__admin/requests" && m == "DELETE") {
    engine.clear_journal();
    ok_json("{\"ok\":true}");
  } else if (path == "/__admin/cassette/misses" && m == "GET") {
    ok_json(replay_misses_to_json(engine.replay_misses()));
  } else if (path == "/__admin/cassette/unused" && m == "GET") {
    ok_json(replay_unused_to_json(engine.replay_unused()));
  } else if (path == "/__admin/cassette/report" && m == "GET") {
    ok_json(strict_report_to_json(engine.strict_report()));
  } else if (path == "/__admin/cassette/reset" && m == "POST") {
    engine.reset_replay();
    ok_json("{\"ok\":true}");
  } else if (path == "/__admin/otlp" && m == "GET") {
    ok_json(otlp.to_json());
  } else if (path == "/__admin/otlp" && m == "DELETE") {
    otlp.clear();
    ok_json("{\"ok\":true}");
  } else if (path == "/__admin/dashboard" && m == "GET") {
    res.respond(200, "text/html; charset=utf-8", dashboard::page_html());
  } else if (path == "/__admin/dashboard.json" && m == "GET") {
    ok_json(obs.dashboard_json());
  } else {
    res.respond(404, "application/json",
                admin_error("unknown admin endpoint " + std::string(m) + " " + std::string(path)));
  }
}

SimServer::SimServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SimServer::~SimServer() { stop(); }

Result<std::unique_ptr<SimServer>> SimServer::Start(SimEngine& engine, Clock& clock, const ServerOptions& options) {
  auto impl = std::make_unique<Impl>(engine, clock, options);
  net::ServerOptions no = options;
  no.name = "simulator server";
  Impl* ip = impl.get();
  auto server = net::HttpServer::Start(no, clock, [ip](net::Request& req, net::Responder res) {
    ip->handle(req, std::move(res));
  });
  if (!server.ok()) return server.status();
  impl->server = std::move(*server);
  return std::unique_ptr<SimServer>(new SimServer(std::move(impl)));
}

int SimServer::port() const { return impl_->server->port(); }

std::string SimServer::url() const { return impl_->server->url(); }

void SimServer::stop() {
  if (!impl_ || !impl_->server) return;
  impl_->stopping.store(true, std::memory_order_relaxed);
  impl_->server->stop();
}

}  // namespace ploke::simulator
