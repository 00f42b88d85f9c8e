// `ploke-sim demo` — the main job: start the simulator with a fault plan, drive the core
// (OpenAI adapter + transport + ChatClient) through it, and print what happened per
// request. Over loopback HTTP by default; `--in-process` runs the same thing in virtual
// time through the in-process transport.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>

#include "cli_checks.h"
#include "commands.h"
#include "ploke/adapters/http_transport.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/chat_client.h"
#include "ploke/core/clock.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "ploke/simulator/http_server.h"

namespace ploke::cli {

CLI::App* add_demo_command(CLI::App& app, DemoArgs& a) {
  auto* d = app.add_subcommand("demo", "Main job: start the simulator with a fault plan, drive the core through it, "
                                       "print what happened per request");
  d->add_option("--faults", a.faults_file, "Fault plan JSON (default: a built-in plan with every fault kind)")
      ->check(CLI::ExistingFile);
  d->add_option("--seed", a.seed, "Seed")->capture_default_str()->check(Uint64Value());
  d->add_option("--requests", a.requests, "How many requests to send")->capture_default_str()->check(CLI::Range(1, 100000));
  d->add_flag("--in-process", a.in_process, "Skip sockets: in-process transport on virtual time");
  d->add_flag("--json", a.json, "Print the run (every request, the summary, faults that never fired) as JSON");
  return d;
}

namespace {

using std::chrono::milliseconds;

simulator::Fault nth_fault(std::string id, simulator::FaultKind kind, uint64_t nth) {
  simulator::Fault f;
  f.id = std::move(id);
  f.kind = kind;
  f.trigger.nth = nth;
  f.trigger.every = 12;  // the demo's request pattern repeats every 12 requests
  return f;
}

// The built-in plan: one fault of every kind, each on its own request of the 12-request
// cycle; requests 1–3 are clean (plain, streamed, tool call).
simulator::FaultPlan builtin_plan() {
  simulator::FaultPlan plan;
  simulator::Fault rl = nth_fault("rate_limit_429", simulator::FaultKind::kHttpError, 4);
  rl.status = 429;
  rl.retry_after_ms = milliseconds(250);
  plan.faults.push_back(rl);
  simulator::Fault se = nth_fault("server_error_500", simulator::FaultKind::kHttpError, 5);
  se.status = 500;
  plan.faults.push_back(se);
  simulator::Fault ov = nth_fault("overloaded_529", simulator::FaultKind::kHttpError, 6);
  ov.status = 529;
  plan.faults.push_back(ov);
  plan.faults.push_back(nth_fault("hang", simulator::FaultKind::kHang, 7));
  plan.faults.push_back(nth_fault("reset", simulator::FaultKind::kReset, 8));
  plan.faults.push_back(nth_fault("empty_reply", simulator::FaultKind::kEmptyReply, 9));
  plan.faults.push_back(nth_fault("malformed_json", simulator::FaultKind::kMalformedJson, 10));
  simulator::Fault cut = nth_fault("stream_cut", simulator::FaultKind::kStreamCut, 11);
  cut.after_events = 3;
  plan.faults.push_back(cut);
  simulator::Fault mid = nth_fault("mid_stream_error", simulator::FaultKind::kMidStreamError, 12);
  mid.after_events = 3;
  plan.faults.push_back(mid);
  return plan;
}

// What each position of the 12-request cycle sends, and (for the built-in plan) the
// outcome the core must classify it as.
struct Step {
  const char* mode;
  bool stream;
  bool tools;
  StatusCode expect;
};
constexpr Step kCycle[12] = {
    {"plain", false, false, StatusCode::kOk},
    {"stream", true, false, StatusCode::kOk},
    {"tools", false, true, StatusCode::kOk},
    {"plain", false, false, StatusCode::kRateLimited},
    {"plain", false, false, StatusCode::kServerError},
    {"plain", false, false, StatusCode::kOverloaded},
    {"plain", false, false, StatusCode::kTimeout},
    {"plain", false, false, StatusCode::kConnectionReset},
    {"plain", false, false, StatusCode::kConnectionReset},
    {"plain", false, false, StatusCode::kMalformedResponse},
    {"stream", true, false, StatusCode::kStreamInterrupted},
    {"stream", true, false, StatusCode::kStreamInterrupted},
};

ChatRequest make_request(const Step& step, int i) {
  ChatRequest req;
  req.model = "gpt-4o-mini";
  req.messages.push_back(Message::System("You are a terse assistant."));
  req.messages.push_back(Message::User("Request " + std::to_string(i) + ": say something short."));
  req.max_output_tokens = 24;
  if (step.tools) {
    ToolDefinition t;
    t.name = "read_file";
    t.description = "Read a file from the workspace";
    t.parameters_json = R"({"type":"object","properties":{"path":{"type":"string"}},"required":["path"]})";
    req.tools.push_back(t);
    req.tool_choice.mode = ToolChoice::Mode::kRequired;
  }
  return req;
}

std::string outcome_text(const Result<ChatResponse>& r, size_t streamed_events) {
  char buf[256];
  if (r.ok()) {
    if (!r->tool_calls.empty()) {
      std::snprintf(buf, sizeof buf, "ok: tool_call %s(%s)", r->tool_calls[0].name.c_str(),
                    r->tool_calls[0].arguments_json.c_str());
    } else {
      std::snprintf(buf, sizeof buf, "ok: %llu tokens, finish=%s%s",
                    static_cast<unsigned long long>(r->usage ? r->usage->completion_tokens : 0),
                    std::string(finish_reason_name(r->finish_reason)).c_str(),
                    streamed_events > 0 ? (", " + std::to_string(streamed_events) + " events").c_str() : "");
    }
    return buf;
  }
  // Errors: the code and the context that drives policy first, then the message.
  const Status& st = r.status();
  std::string s(status_code_name(st.code()));
  std::string ctx;
  auto add = [&ctx](const std::string& kv) { ctx += (ctx.empty() ? "" : ", ") + kv; };
  if (st.http_status() != 0) add("http " + std::to_string(st.http_status()));
  if (st.retry_after()) add("retry-after " + std::to_string(st.retry_after()->count()) + "ms");
  if (st.timeout_phase() != TimeoutPhase::kNone) add(std::string(timeout_phase_name(st.timeout_phase())));
  if (st.code() == StatusCode::kStreamInterrupted) {
    add("delivered " + std::to_string(st.delivered().events) + " events/" +
        std::to_string(st.delivered().content_chars) + " chars");
  }
  if (!ctx.empty()) s += " (" + ctx + ")";
  std::string msg = st.message();
  constexpr size_t kMaxLine = 118;
  if (s.size() + 2 + msg.size() > kMaxLine) msg = msg.substr(0, kMaxLine > s.size() + 5 ? kMaxLine - s.size() - 5 : 0) + "...";
  return s + ": " + msg;
}

struct DemoWorld {
  std::unique_ptr<Clock> clock;
  std::unique_ptr<simulator::SimEngine> engine;
  std::unique_ptr<simulator::SimServer> server;
  std::unique_ptr<Transport> transport;
  std::string base_url;
};

// The built-in plan, or the --faults file; an exit code (after the message) when it is bad.
std::optional<int> load_faults(const DemoArgs& args, simulator::SimOptions& opts) {
  if (args.faults_file.empty()) {
    opts.faults = builtin_plan();
    return std::nullopt;
  }
  std::string text, err;
  if (!read_file(args.faults_file, text, err)) {
    std::fprintf(stderr, "ploke-sim demo: %s\n", err.c_str());
    return kExitUsage;
  }
  auto plan = simulator::parse_fault_plan(text, args.faults_file);
  if (!plan.ok()) {
    std::fprintf(stderr, "ploke-sim demo: %s\n", plan.status().message().c_str());
    return kExitUsage;
  }
  opts.faults = std::move(plan).value();
  return std::nullopt;
}

// In process: a simulated clock and the engine behind an InProcessTransport. Else the real
// clock and a SimServer on a loopback port behind HttpTransport.
std::optional<int> build_world(const DemoArgs& args, const simulator::SimOptions& opts, DemoWorld& w) {
  if (args.in_process) {
    w.clock = std::make_unique<SimulatedClock>();
  } else {
    w.clock = std::make_unique<RealClock>();
  }
  auto engine = simulator::SimEngine::Create(opts, *w.clock);
  if (!engine.ok()) {
    std::fprintf(stderr, "ploke-sim demo: %s\n", engine.status().to_string().c_str());
    return kExitUsage;
  }
  w.engine = std::move(engine).value();
  if (args.in_process) {
    simulator::SimEngine* e = w.engine.get();
    w.transport = std::make_unique<InProcessTransport>(*w.clock, [e](const HttpRequest& r) { return e->handle(r); });
    w.base_url = "inproc://simulator/v1";
    return std::nullopt;
  }
  simulator::ServerOptions sopts;
  sopts.port = 0;
  auto server = simulator::SimServer::Start(*w.engine, *w.clock, sopts);
  if (!server.ok()) {
    std::fprintf(stderr, "ploke-sim demo: cannot start simulator: %s\n", server.status().to_string().c_str());
    return kExitFailed;
  }
  w.server = std::move(server).value();
  w.base_url = w.server->url() + "/v1";
  w.transport = std::make_unique<adapters::HttpTransport>(*w.clock);
  return std::nullopt;
}

CallOptions demo_call_options() {
  CallOptions copts;
  copts.connect_timeout = std::chrono::seconds(2);
  copts.first_byte_timeout = milliseconds(800);
  copts.idle_timeout = milliseconds(800);
  copts.total_timeout = std::chrono::seconds(10);
  return copts;
}

struct DemoTally {
  int ok = 0, unexpected = 0;
  std::map<std::string, int> by_code;
  nlohmann::json rows = nlohmann::json::array();  ///< --json: one object per request
};

// Sends the cycle's requests, one line each. Unexpected: an internal error, or (built-in
// plan) an outcome other than the cycle position's.
DemoTally run_requests(const DemoArgs& args, bool builtin, DemoWorld& w, ChatClient& client) {
  DemoTally t;
  for (int i = 1; i <= args.requests; ++i) {
    const Step& step = kCycle[(i - 1) % 12];
    ChatRequest req = make_request(step, i);
    size_t events = 0;
    const TimePoint t0 = w.clock->now();
    Result<ChatResponse> r = step.stream ? client.stream(req, [&](const StreamEvent&) { ++events; })
                                         : client.complete(req);
    const double ms = to_ms(w.clock->now() - t0);
    auto journal = w.engine->journal(1);
    const std::string fault = journal.empty() || journal.back().fault_id.empty() ? "-" : journal.back().fault_id;
    const StatusCode code = r.ok() ? StatusCode::kOk : r.status().code();
    t.by_code[std::string(status_code_name(code))]++;
    if (r.ok()) t.ok++;
    const bool bad = code == StatusCode::kInternal || (builtin && code != step.expect);
    if (bad) t.unexpected++;
    const std::string outcome = outcome_text(r, events);
    t.rows.push_back({{"n", i}, {"mode", step.mode}, {"fault", fault == "-" ? nlohmann::json(nullptr) : nlohmann::json(fault)},
                      {"ms", ms}, {"code", status_code_name(code)}, {"outcome", outcome}, {"unexpected", bad}});
    if (!args.json) {
      std::printf("%-4d %-7s %-18s %9.1f  %s%s\n", i, step.mode, fault.c_str(), ms, outcome.c_str(),
                  bad ? "   <-- UNEXPECTED" : "");
    }
  }
  return t;
}

std::vector<std::string> unfired_faults(const simulator::SimEngine& engine) {
  std::vector<std::string> out;
  for (const auto& fs : engine.fault_stats()) {
    if (fs.fired == 0) out.push_back(fs.id);
  }
  return out;
}

// The verdict: failed when a request was unexpected, or (a full cycle or more) a configured
// fault never fired.
int demo_rc(const DemoArgs& args, const DemoTally& t, size_t unfired) {
  return t.unexpected > 0 || (unfired > 0 && args.requests >= 12) ? kExitFailed : kExitOk;
}

// `demo --json`: {"base_url","in_process","seed","plan","requests":[{"n","mode","fault","ms","code",
// "outcome","unexpected"}],"summary":{"requests","ok","unexpected","by_code"},"unfired_faults","ok"}.
int demo_json(const DemoArgs& args, const DemoTally& t, const simulator::SimEngine& engine, const std::string& base_url) {
  const std::vector<std::string> unfired = unfired_faults(engine);
  const int rc = demo_rc(args, t, unfired.size());
  const nlohmann::json j{
      {"base_url", base_url}, {"in_process", args.in_process}, {"seed", args.seed},
      {"plan", args.faults_file.empty() ? "built-in" : args.faults_file}, {"requests", t.rows},
      {"summary", {{"requests", args.requests}, {"ok", t.ok}, {"unexpected", t.unexpected}, {"by_code", t.by_code}}},
      {"unfired_faults", unfired}, {"ok", rc == kExitOk}};
  std::printf("%s\n", j.dump(2).c_str());
  return rc;
}

// The summary line, the faults that never fired, and the verdict (demo_rc).
int demo_verdict(const DemoArgs& args, const DemoTally& t, const simulator::SimEngine& engine) {
  std::printf("\nsummary: %d requests, %d ok", args.requests, t.ok);
  for (const auto& [code, n] : t.by_code) {
    if (code != "ok") std::printf(", %d %s", n, code.c_str());
  }
  std::printf("\n");
  const std::vector<std::string> unfired_ids = unfired_faults(engine);
  for (const std::string& id : unfired_ids) std::printf("fault '%s' never fired\n", id.c_str());
  const size_t unfired = unfired_ids.size();
  if (t.unexpected > 0) {
    std::printf("FAILED: %d request(s) were not classified as expected\n", t.unexpected);
    return kExitFailed;
  }
  if (unfired > 0 && args.requests >= 12) {
    std::printf("FAILED: %zu configured fault(s) never fired\n", unfired);
    return kExitFailed;
  }
  std::printf("every request ended in success or a classified error%s\n",
              args.requests >= 12 ? "; every configured fault fired" : "");
  return kExitOk;
}

}  // namespace

int run_demo(const DemoArgs& args) {
  const bool builtin = args.faults_file.empty();
  simulator::SimOptions opts;
  opts.seed = args.seed;
  if (auto rc = load_faults(args, opts)) return *rc;
  DemoWorld w;
  if (auto rc = build_world(args, opts, w)) return *rc;
  if (!args.json) {
    std::printf("ploke-sim demo: simulator at %s (%s), seed %llu, %zu faults (%s)\n", w.base_url.c_str(),
                args.in_process ? "in-process, virtual time" : "loopback HTTP, real time",
                static_cast<unsigned long long>(args.seed), opts.faults.faults.size(),
                builtin ? "built-in plan" : args.faults_file.c_str());
    std::printf("%-4s %-7s %-18s %9s  %s\n", "#", "mode", "fault", "ms", "outcome");
  }
  adapters::openai::OpenAiAdapter adapter;
  Endpoint ep;
  ep.provider = "openai";
  ep.base_url = w.base_url;
  ep.api_key = Secret("sk-demo-not-a-real-key-0000000000");  // fake key: the simulator checks none
  ChatClient client(adapter, ep, *w.transport, *w.clock, demo_call_options());
  const DemoTally tally = run_requests(args, builtin, w, client);
  // The server stops before the verdict is printed.
  if (w.server) w.server->stop();
  return args.json ? demo_json(args, tally, *w.engine, w.base_url) : demo_verdict(args, tally, *w.engine);
}

}  // namespace ploke::cli
