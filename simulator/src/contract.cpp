// The adapter contract kit's runner (SimEngine + InProcessTransport on a SimulatedClock, one
// fresh engine per case); the suite loader is contract_suite_json.cpp.
#include "ploke/json/limits.h"
#include "ploke/simulator/contract.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ploke/codec/cassette_json.h"
#include "ploke/core/chat_client.h"
#include "ploke/core/clock.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/core/secret.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"

namespace ploke::simulator {
namespace {

using json = nlohmann::json;

// ---------------------------------------------------------------- running

std::string one_line(std::string s, size_t max = 160) {
  for (char& ch : s)
    if (ch == '\n' || ch == '\r') ch = ' ';
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

bool valid_json_object(const std::string& text) {
  if (!ploke::json::check_json_limits(text).ok()) return false;
  try {
    return json::parse(text).is_object();
  } catch (const std::exception&) {
    return false;
  }
}

using Failures = std::vector<std::string>;

// An expected error: its HTTP status, retry hints, message and what was delivered.
void check_error(const ContractExpect& x, const Status& st, Failures& failures) {
  auto fail = [&failures](std::string m) { failures.push_back(std::move(m)); };
  if (x.http_status && st.http_status() != *x.http_status)
    fail("http_status: expected " + std::to_string(*x.http_status) + ", got " + std::to_string(st.http_status()));
  if (x.retry_after_ms) {
    if (!st.retry_after()) fail("retry_after_ms: expected " + std::to_string(*x.retry_after_ms) + ", got none");
    else if (st.retry_after()->count() != *x.retry_after_ms)
      fail("retry_after_ms: expected " + std::to_string(*x.retry_after_ms) + ", got " + std::to_string(st.retry_after()->count()));
  }
  if (x.timeout_phase && st.timeout_phase() != *x.timeout_phase)
    fail("timeout_phase: expected " + std::string(timeout_phase_name(*x.timeout_phase)) + ", got " +
         std::string(timeout_phase_name(st.timeout_phase())));
  if (x.should_retry && st.should_retry() != x.should_retry)
    fail(std::string("should_retry: expected ") + (*x.should_retry ? "true" : "false") + ", got " +
         (st.should_retry() ? (*st.should_retry() ? "true" : "false") : "unset"));
  if (!x.message_contains.empty() && st.message().find(x.message_contains) == std::string::npos)
    fail("message_contains: '" + x.message_contains + "' not in '" + one_line(st.message()) + "'");
  if (x.delivered_events_min && st.delivered().events < *x.delivered_events_min)
    fail("delivered_events_min: expected >= " + std::to_string(*x.delivered_events_min) + ", got " +
         std::to_string(st.delivered().events));
  if (x.delivered_content && (st.delivered().content_chars > 0) != *x.delivered_content)
    fail("delivered_content: expected " + std::string(*x.delivered_content ? "some" : "none") + ", got " +
         std::to_string(st.delivered().content_chars) + " chars");
}

// An expected success: finish reason, tool calls, content, usage, cost, ids, provider.
void check_response(const ContractExpect& x, const ChatResponse& resp, Failures& failures) {
  auto fail = [&failures](std::string m) { failures.push_back(std::move(m)); };
  if (x.finish_reason && resp.finish_reason != *x.finish_reason)
    fail("finish_reason: expected " + std::string(finish_reason_name(*x.finish_reason)) + ", got " +
         std::string(finish_reason_name(resp.finish_reason)));
  if (!x.native_finish_reason.empty() && resp.native_finish_reason != x.native_finish_reason)
    fail("native_finish_reason: expected '" + x.native_finish_reason + "', got '" + resp.native_finish_reason + "'");
  if (x.tool_calls && resp.tool_calls.size() != *x.tool_calls)
    fail("tool_calls: expected " + std::to_string(*x.tool_calls) + ", got " + std::to_string(resp.tool_calls.size()));
  for (const auto& n : x.tool_names) {
    bool found = false;
    for (const auto& tc : resp.tool_calls) found = found || tc.name == n;
    if (!found) fail("tool_names: no call named '" + n + "'");
  }
  if (x.tool_args_valid_json.value_or(false)) {
    for (size_t i = 0; i < resp.tool_calls.size(); ++i) {
      if (!valid_json_object(resp.tool_calls[i].arguments_json))
        fail("tool_args_valid_json: call " + std::to_string(i) + " arguments are not a JSON object: " +
             one_line(resp.tool_calls[i].arguments_json, 80));
      if (resp.tool_calls[i].id.empty()) fail("tool_args_valid_json: call " + std::to_string(i) + " has no id");
    }
  }
  if (x.content_non_empty && resp.content.empty() == *x.content_non_empty)
    fail(std::string("content_non_empty: expected ") + (*x.content_non_empty ? "text" : "no text") + ", got " +
         std::to_string(resp.content.size()) + " chars");
  if (!x.content_equals.empty() && resp.content != x.content_equals)
    fail("content_equals: expected '" + one_line(x.content_equals, 60) + "', got '" + one_line(resp.content, 60) + "'");
  if (x.usage) {
    const bool has = resp.usage && resp.usage->total_tokens > 0;
    if (has != *x.usage) fail(std::string("usage: expected ") + (*x.usage ? "present" : "absent"));
    if (has && *x.usage && resp.usage->total_tokens < resp.usage->completion_tokens)
      fail("usage: total_tokens < completion_tokens");
  }
  if (x.cost_reported) {
    const bool has = resp.usage && resp.usage->reported_cost_usd.has_value();
    if (has != *x.cost_reported) fail(std::string("cost_reported: expected ") + (*x.cost_reported ? "a cost" : "no cost"));
  }
  if (!x.id_prefix.empty() && resp.id.rfind(x.id_prefix, 0) != 0)
    fail("id_prefix: expected '" + x.id_prefix + "…', got '" + resp.id + "'");
  if (x.request_id && resp.request_id.empty() == *x.request_id)
    fail(std::string("request_id: expected ") + (*x.request_id ? "one" : "none") + ", got '" + resp.request_id + "'");
  if (!x.provider.empty() && resp.provider != x.provider)
    fail("provider: expected '" + x.provider + "', got '" + resp.provider + "'");
}

// An expected success's reasoning: text, signed thinking blocks, reasoning tokens.
void check_reasoning(const ContractExpect& x, const ChatResponse& resp, Failures& failures) {
  auto fail = [&failures](std::string m) { failures.push_back(std::move(m)); };
  if (x.reasoning_non_empty && resp.reasoning.empty() == *x.reasoning_non_empty)
    fail(std::string("reasoning_non_empty: expected ") + (*x.reasoning_non_empty ? "reasoning" : "none") + ", got " +
         std::to_string(resp.reasoning.size()) + " chars");
  if (x.reasoning_signed) {
    bool signed_all = !resp.reasoning_blocks.empty();
    for (const ReasoningBlock& b : resp.reasoning_blocks)
      signed_all = signed_all && (b.kind == ReasoningBlock::Kind::kRedacted || !b.signature.empty());
    if (signed_all != *x.reasoning_signed)
      fail(std::string("reasoning_signed: expected ") + (*x.reasoning_signed ? "" : "not ") + "every thinking block signed (" +
           std::to_string(resp.reasoning_blocks.size()) + " blocks)");
  }
  const uint64_t tokens = resp.usage ? resp.usage->reasoning_tokens : 0;
  if (x.reasoning_tokens_min && tokens < *x.reasoning_tokens_min)
    fail("reasoning_tokens_min: expected >= " + std::to_string(*x.reasoning_tokens_min) + ", got " + std::to_string(tokens));
}

// An embeddings answer's vectors: their number and each one's length.
void check_vectors(const ContractExpect& x, const EmbeddingResponse& resp, Failures& failures) {
  if (x.vectors && resp.vectors.size() != *x.vectors)
    failures.push_back("vectors: expected " + std::to_string(*x.vectors) + ", got " + std::to_string(resp.vectors.size()));
  for (size_t i = 0; x.dimensions && i < resp.vectors.size(); ++i) {
    if (resp.vectors[i].size() == *x.dimensions) continue;
    failures.push_back("dimensions: vector " + std::to_string(i) + " has " + std::to_string(resp.vectors[i].size()) +
                       ", expected " + std::to_string(*x.dimensions));
    break;
  }
}

// The case's call: an embeddings call (its vectors checked here; reported as an answer with
// its usage), a stream, or a complete().
Result<ChatResponse> call_case(ChatClient& client, const ContractCase& c, std::vector<StreamEvent>& events,
                               Failures& failures) {
  if (!c.embed) {
    return c.request.stream ? client.stream(c.request, [&events](const StreamEvent& e) { events.push_back(e); })
                            : client.complete(c.request);
  }
  Result<EmbeddingResponse> er = client.embed(*c.embed);
  if (er.ok()) check_vectors(c.expect, *er, failures);
  return embedding_as_chat(er);
}

// Stream events, faults that fired, cassette misses (checked whatever the outcome).
void check_events(const ContractExpect& x, const std::vector<StreamEvent>& events, SimEngine& engine,
                  Failures& failures) {
  auto fail = [&failures](std::string m) { failures.push_back(std::move(m)); };
  if (!x.first_event.empty()) {
    const std::string got_first = events.empty() ? "(none)" : std::string(stream_event_kind_name(events.front().kind));
    if (got_first != x.first_event) fail("first_event: expected " + x.first_event + ", got " + got_first);
  }
  if (!x.last_event.empty()) {
    const std::string got_last = events.empty() ? "(none)" : std::string(stream_event_kind_name(events.back().kind));
    if (got_last != x.last_event) fail("last_event: expected " + x.last_event + ", got " + got_last);
  }
  for (const auto& k : x.events_include) {
    bool found = false;
    for (const auto& e : events) found = found || stream_event_kind_name(e.kind) == k;
    if (!found) fail("events_include: no '" + k + "' event among " + std::to_string(events.size()));
  }
  if (x.faults_fired) {
    for (const auto& s : engine.fault_stats())
      if (s.fired == 0)
        fail("fault '" + s.id + "' (" + std::string(fault_kind_name(s.kind)) + ") never fired (matched " +
             std::to_string(s.matched) + " requests): it does not test this adapter");
  }
  if (engine.replay_enabled()) {
    for (const auto& m : engine.replay_misses()) fail("cassette miss: " + one_line(m.to_string(), 400));
  }
}

void check_case(const ContractCase& c, const Result<ChatResponse>& r, const std::vector<StreamEvent>& events,
                SimEngine& engine, ContractCaseResult& out) {
  const ContractExpect& x = c.expect;
  const StatusCode got = r.ok() ? StatusCode::kOk : r.status().code();
  if (got != x.status) {
    out.failures.push_back("status: expected " + std::string(status_code_name(x.status)) + ", got " +
                           (r.ok() ? std::string("ok") : one_line(r.status().to_string(), 300)));
  } else if (!r.ok()) {
    check_error(x, r.status(), out.failures);
  } else {
    check_response(x, *r, out.failures);
    check_reasoning(x, *r, out.failures);
  }
  check_events(x, events, engine, out.failures);
}

ContractCaseResult run_case(const ContractSuite& suite, const ContractCase& c, const ProviderAdapter& adapter,
                            const std::vector<SimProtocolPtr>& protocols) {
  ContractCaseResult out;
  out.name = c.name;
  out.kind = c.replay_cassettes.empty() ? "sim" : "cassette";
  out.stream = c.request.stream;

  SimulatedClock clock;
  SimOptions o;
  o.seed = c.seed;
  if (c.tool_call_probability) o.tool_call_probability = *c.tool_call_probability;
  if (c.n_tool_calls) o.n_tool_calls = *c.n_tool_calls;
  if (c.tool_argument_fragments) o.tool_argument_fragments = *c.tool_argument_fragments;
  if (c.min_tokens) o.length.min_tokens = *c.min_tokens;
  if (c.max_tokens) o.length.max_tokens = *c.max_tokens;
  if (c.ttft_ms) o.latency.time_to_first_token = std::chrono::milliseconds(*c.ttft_ms);
  if (c.tokens_per_second) o.latency.tokens_per_second = *c.tokens_per_second;
  o.faults = c.faults;
  o.protocols = protocols;
  o.replay.cassettes = c.replay_cassettes;
  for (const auto& p : c.match_ignore) o.replay.options.match.ignore_paths.push_back(p);
  auto engine = SimEngine::Create(o, clock);
  if (!engine.ok()) {
    out.outcome = "setup failed";
    out.failures.push_back("simulator rejected the case's settings: " + one_line(engine.status().message(), 300));
    return out;
  }
  InProcessTransport transport(clock, engine_handler(**engine));
  Endpoint ep;
  ep.provider = suite.provider.empty() ? std::string(adapter.name()) : suite.provider;
  ep.base_url = suite.base_url;
  ep.api_key = Secret(suite.api_key);
  ep.extra_headers = suite.headers;
  for (const auto& [k, v] : c.endpoint_headers.items()) ep.extra_headers.set(k, v);
  ChatClient client(adapter, ep, transport, clock, c.call);

  std::vector<StreamEvent> events;
  const TimePoint t0 = clock.now();
  Result<ChatResponse> r = call_case(client, c, events, out.failures);
  out.virtual_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() - t0).count();
  if (r.ok()) {
    const ChatResponse& resp = *r;
    out.outcome = "ok finish=" + std::string(finish_reason_name(resp.finish_reason)) +
                  " tools=" + std::to_string(resp.tool_calls.size()) + " chars=" + std::to_string(resp.content.size());
    if (resp.usage) out.outcome += " usage=" + std::to_string(resp.usage->prompt_tokens) + "+" + std::to_string(resp.usage->completion_tokens);
    if (c.request.stream) out.outcome += " events=" + std::to_string(events.size());
  } else {
    const Status& st = r.status();
    out.outcome = std::string(status_code_name(st.code()));
    if (st.http_status() != 0) out.outcome += " http=" + std::to_string(st.http_status());
    if (st.retry_after()) out.outcome += " retry_after=" + std::to_string(st.retry_after()->count()) + "ms";
    if (st.timeout_phase() != TimeoutPhase::kNone) out.outcome += " phase=" + std::string(timeout_phase_name(st.timeout_phase()));
    if (st.delivered().events > 0) out.outcome += " delivered=" + std::to_string(st.delivered().events);
  }
  check_case(c, r, events, **engine, out);
  out.passed = out.failures.empty();
  return out;
}

}  // namespace

size_t ContractReport::passed() const {
  return static_cast<size_t>(std::count_if(cases.begin(), cases.end(), [](const auto& c) { return c.passed; }));
}

ContractReport run_contract_suite(const ContractSuite& suite, const ProviderAdapter& adapter, std::string_view filter,
                                  const std::vector<SimProtocolPtr>& protocols) {
  ContractReport rep;
  rep.suite = suite.source;
  rep.adapter = std::string(adapter.name());
  for (const auto& c : suite.cases) {
    if (!filter.empty() && c.name.find(filter) == std::string::npos) continue;
    rep.cases.push_back(run_case(suite, c, adapter, protocols));
  }
  return rep;
}

std::string contract_report_table(const ContractReport& report) {
  size_t w = 4;
  for (const auto& c : report.cases) w = std::max(w, c.name.size());
  std::string out = "contract suite " + report.suite + " — adapter " + report.adapter + " (" +
                    std::to_string(report.cases.size()) + " cases)\n";
  auto pad = [](std::string s, size_t n) { if (s.size() < n) s.append(n - s.size(), ' '); return s; };
  out += pad("CASE", w) + "  " + pad("KIND", 8) + "  " + pad("MODE", 10) + "  RESULT  OUTCOME\n";
  for (const auto& c : report.cases) {
    out += pad(c.name, w) + "  " + pad(c.kind, 8) + "  " + pad(c.stream ? "stream" : "non-stream", 10) + "  " +
           (c.passed ? "PASS  " : "FAIL  ") + "  " + c.outcome + "\n";
    for (const auto& f : c.failures) out += "    - " + f + "\n";
  }
  out += std::to_string(report.passed()) + " passed, " + std::to_string(report.failed()) + " failed\n";
  return out;
}

std::string contract_report_json(const ContractReport& report) {
  json j;
  j["suite"] = report.suite;
  j["adapter"] = report.adapter;
  j["passed"] = report.passed();
  j["failed"] = report.failed();
  j["cases"] = json::array();
  for (const auto& c : report.cases) {
    j["cases"].push_back({{"name", c.name}, {"kind", c.kind}, {"stream", c.stream}, {"passed", c.passed},
                          {"outcome", c.outcome}, {"failures", c.failures}, {"virtual_ms", c.virtual_ms}});
  }
  return j.dump(2) + "\n";
}

std::string contract_report_junit(const ContractReport& report, const JunitRun& run) {
  JunitSuite suite{"contract " + report.adapter, "ploke-sim.contract", 0, report.cases.size(), report.failed(), 0,
                   {{"suite", report.suite}}};
  for (const auto& c : report.cases) suite.seconds += static_cast<double>(c.virtual_ms) / 1000.0;
  std::string o = junit_document_open() + junit_suite_open(suite, run);
  for (const auto& c : report.cases) {
    JunitCase tc{"contract." + report.adapter, c.name + " (" + c.kind + (c.stream ? ", stream)" : ")"),
                 static_cast<double>(c.virtual_ms) / 1000.0, "", "", ""};
    if (!c.passed) {
      tc.failure_type = "contract";
      tc.failure_message = c.outcome;
      for (const auto& f : c.failures) tc.failure_text += f + "\n";
    }
    o += junit_testcase(tc);
  }
  return o + junit_suite_close() + junit_document_close();
}

}  // namespace ploke::simulator
