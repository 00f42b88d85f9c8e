// The adapter contract kit's suite loader: JSON → ContractSuite, every bad field reported
// with its path through ploke::FieldErrors (the format in ploke/core/field_errors.h).
#include "ploke/core/field_errors.h"
#include "ploke/core/reasoning_names.h"
#include "ploke/json/limits.h"
#include "ploke/simulator/contract.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ploke/codec/cassette_json.h"
#include "ploke/simulator/fault_plan_json.h"

namespace ploke::simulator {
namespace {

using json = nlohmann::json;
// ---------------------------------------------------------------- parsing helpers

using Errors = ploke::FieldErrors;

const char* type_name(const json& j) { return j.type_name(); }

// Reports keys of `obj` not in `allowed`.
void check_keys(const json& obj, const std::string& path, std::initializer_list<std::string_view> allowed,
                Errors& errs) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    for (auto a : allowed) ok = ok || it.key() == a;
    if (!ok) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      errs.add(field_path(path, it.key()), "unknown key (allowed: " + list + ")");
    }
  }
}

bool get_string(const json& obj, const char* key, const std::string& path, std::string& out, Errors& errs) {
  auto it = obj.find(key);
  if (it == obj.end()) return false;
  if (!it->is_string()) { errs.add(field_path(path, key), std::string("expected a string, got ") + type_name(*it)); return false; }
  out = it->get<std::string>();
  return true;
}

template <typename T>
bool get_int(const json& obj, const char* key, const std::string& path, T& out, Errors& errs, int64_t lo, int64_t hi) {
  auto it = obj.find(key);
  if (it == obj.end()) return false;
  if (!it->is_number_integer()) { errs.add(field_path(path, key), std::string("expected an integer, got ") + type_name(*it)); return false; }
  const int64_t v = it->get<int64_t>();
  if (v < lo || v > hi) {
    errs.add(field_path(path, key), "must be in [" + std::to_string(lo) + "," + std::to_string(hi) + "]");
    return false;
  }
  out = static_cast<T>(v);
  return true;
}

template <typename T>
void get_opt_int(const json& obj, const char* key, const std::string& path, std::optional<T>& out, Errors& errs,
                 int64_t lo, int64_t hi) {
  T v{};
  if (get_int(obj, key, path, v, errs, lo, hi)) out = v;
}

void get_opt_double(const json& obj, const char* key, const std::string& path, std::optional<double>& out, Errors& errs) {
  auto it = obj.find(key);
  if (it == obj.end()) return;
  if (!it->is_number()) { errs.add(field_path(path, key), std::string("expected a number, got ") + type_name(*it)); return; }
  out = it->get<double>();
}

void get_opt_bool(const json& obj, const char* key, const std::string& path, std::optional<bool>& out, Errors& errs) {
  auto it = obj.find(key);
  if (it == obj.end()) return;
  if (!it->is_boolean()) { errs.add(field_path(path, key), std::string("expected a boolean, got ") + type_name(*it)); return; }
  out = it->get<bool>();
}

void get_string_list(const json& obj, const char* key, const std::string& path, std::vector<std::string>& out,
                     Errors& errs) {
  auto it = obj.find(key);
  if (it == obj.end()) return;
  if (!it->is_array()) { errs.add(field_path(path, key), std::string("expected an array of strings, got ") + type_name(*it)); return; }
  for (size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_string()) { errs.add(field_path(path, key) + "[" + std::to_string(i) + "]", "expected a string"); continue; }
    out.push_back((*it)[i].get<std::string>());
  }
}

// Object found under `key`, or nullptr (error when present but not an object).
const json* get_object(const json& obj, const char* key, const std::string& path, Errors& errs) {
  auto it = obj.find(key);
  if (it == obj.end()) return nullptr;
  if (!it->is_object()) { errs.add(field_path(path, key), std::string("expected an object, got ") + type_name(*it)); return nullptr; }
  return &*it;
}

void parse_headers(const json& j, const std::string& path, Headers& out, Errors& errs) {
  if (!j.is_object()) { errs.add(path, "expected an object of header: value"); return; }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it->is_string()) { errs.add(field_path(path, it.key()), "expected a string"); continue; }
    out.set(it.key(), it->get<std::string>());
  }
}

// ---------------------------------------------------------------- request

std::optional<Role> parse_role(std::string_view s) {
  if (s == "system") return Role::kSystem;
  if (s == "developer") return Role::kDeveloper;
  if (s == "user") return Role::kUser;
  if (s == "assistant") return Role::kAssistant;
  if (s == "tool") return Role::kTool;
  return std::nullopt;
}

void parse_message(const json& m, const std::string& path, Message& out, Errors& errs) {
  if (!m.is_object()) { errs.add(path, "expected an object"); return; }
  check_keys(m, path, {"role", "content", "tool_calls", "tool_call_id", "name"}, errs);
  std::string role;
  if (!get_string(m, "role", path, role, errs)) {
    if (!m.contains("role")) errs.add(field_path(path, "role"), "required");
  } else if (auto r = parse_role(role)) {
    out.role = *r;
  } else {
    errs.add(field_path(path, "role"), "unknown role '" + role + "' (expected system, developer, user, assistant, tool)");
  }
  if (auto it = m.find("content"); it != m.end()) {
    if (it->is_string()) {
      out.content.push_back(ContentPart::Text(it->get<std::string>()));
    } else if (it->is_array()) {
      for (size_t i = 0; i < it->size(); ++i) {
        const json& p = (*it)[i];
        const std::string pp = field_path(path, "content") + "[" + std::to_string(i) + "]";
        if (!p.is_object()) { errs.add(pp, "expected an object"); continue; }
        check_keys(p, pp, {"type", "text", "url", "detail"}, errs);
        std::string type, text, url, detail;
        get_string(p, "type", pp, type, errs);
        if (type == "text" && get_string(p, "text", pp, text, errs)) {
          out.content.push_back(ContentPart::Text(text));
        } else if (type == "image_url" && get_string(p, "url", pp, url, errs)) {
          get_string(p, "detail", pp, detail, errs);
          out.content.push_back(ContentPart::Image(url, detail));
        } else {
          errs.add(field_path(pp, "type"), "expected \"text\" (with text) or \"image_url\" (with url)");
        }
      }
    } else if (!it->is_null()) {
      errs.add(field_path(path, "content"), std::string("expected a string, an array of parts or null, got ") + type_name(*it));
    }
  }
  if (auto it = m.find("tool_calls"); it != m.end()) {
    if (!it->is_array()) {
      errs.add(field_path(path, "tool_calls"), "expected an array");
    } else {
      for (size_t i = 0; i < it->size(); ++i) {
        const json& c = (*it)[i];
        const std::string cp = field_path(path, "tool_calls") + "[" + std::to_string(i) + "]";
        if (!c.is_object()) { errs.add(cp, "expected an object"); continue; }
        check_keys(c, cp, {"id", "name", "arguments"}, errs);
        ToolCall tc;
        get_string(c, "id", cp, tc.id, errs);
        if (!get_string(c, "name", cp, tc.name, errs)) errs.add(field_path(cp, "name"), "required");
        if (auto a = c.find("arguments"); a != c.end()) tc.arguments_json = a->is_string() ? a->get<std::string>() : a->dump();
        out.tool_calls.push_back(std::move(tc));
      }
    }
  }
  get_string(m, "tool_call_id", path, out.tool_call_id, errs);
  get_string(m, "name", path, out.name, errs);
}

void parse_tools(const json& t, const std::string& path, ChatRequest& out, Errors& errs) {
  if (!t.is_array()) {
    errs.add(path, "expected an array");
    return;
  }
  for (size_t i = 0; i < t.size(); ++i) {
    const json& d = t[i];
    const std::string tp = index_path(path, i);
    if (!d.is_object()) { errs.add(tp, "expected an object"); continue; }
    check_keys(d, tp, {"name", "description", "parameters", "strict"}, errs);
    ToolDefinition td;
    if (!get_string(d, "name", tp, td.name, errs)) errs.add(field_path(tp, "name"), "required");
    get_string(d, "description", tp, td.description, errs);
    if (auto p = d.find("parameters"); p != d.end()) {
      if (!p->is_object()) errs.add(field_path(tp, "parameters"), "expected a JSON Schema object");
      else td.parameters_json = p->dump();
    }
    get_opt_bool(d, "strict", tp, td.strict, errs);
    out.tools.push_back(std::move(td));
  }
}

void parse_tool_choice(const json& tc, const std::string& tp, ChatRequest& out, Errors& errs) {
  if (tc.is_string()) {
    const std::string s = tc.get<std::string>();
    if (s == "auto") out.tool_choice.mode = ToolChoice::Mode::kAuto;
    else if (s == "none") out.tool_choice.mode = ToolChoice::Mode::kNone;
    else if (s == "required") out.tool_choice.mode = ToolChoice::Mode::kRequired;
    else errs.add(tp, "unknown value '" + s + "' (expected auto, none, required or {\"function\": NAME})");
  } else if (tc.is_object() && tc.size() == 1 && tc.contains("function") && tc["function"].is_string()) {
    out.tool_choice.mode = ToolChoice::Mode::kFunction;
    out.tool_choice.function_name = tc["function"].get<std::string>();
  } else {
    errs.add(tp, "expected auto, none, required or {\"function\": NAME}");
  }
}

void parse_response_format(const json& rf, const std::string& rp, ChatRequest& out, Errors& errs) {
  if (rf.is_string() && rf.get<std::string>() == "text") {
    out.response_format.kind = ResponseFormat::Kind::kText;
  } else if (rf.is_string() && rf.get<std::string>() == "json_object") {
    out.response_format.kind = ResponseFormat::Kind::kJsonObject;
  } else if (rf.is_object() && rf.contains("json_schema") && rf["json_schema"].is_object()) {
    const json& s = rf["json_schema"];
    const std::string sp = rp + ".json_schema";
    check_keys(s, sp, {"name", "schema", "strict"}, errs);
    out.response_format.kind = ResponseFormat::Kind::kJsonSchema;
    get_string(s, "name", sp, out.response_format.schema_name, errs);
    if (s.contains("schema")) out.response_format.schema_json = s["schema"].dump();
    get_opt_bool(s, "strict", sp, out.response_format.strict, errs);
  } else {
    errs.add(rp, "expected \"text\", \"json_object\" or {\"json_schema\": {name, schema, strict}}");
  }
}

// "reasoning": {"mode": "enabled|disabled|adaptive", "budget_tokens": N, "effort": "…", "exclude": bool}.
void parse_reasoning(const json& r, const std::string& path, ReasoningOptions& out, Errors& errs) {
  if (!r.is_object()) { errs.add(path, "expected an object"); return; }
  check_keys(r, path, {"mode", "budget_tokens", "effort", "exclude"}, errs);
  std::string mode;
  if (get_string(r, "mode", path, mode, errs)) {
    if (auto m = reasoning_mode_from_name(mode)) out.mode = *m;
    else errs.add(field_path(path, "mode"), "unknown mode '" + mode + "' (expected " + std::string(kReasoningModeNames) + ")");
  }
  get_opt_int(r, "budget_tokens", path, out.budget_tokens, errs, 0, UINT32_MAX);
  get_string(r, "effort", path, out.effort, errs);
  std::optional<bool> exclude;
  get_opt_bool(r, "exclude", path, exclude, errs);
  out.exclude = exclude.value_or(false);
}

void parse_request(const json& r, const std::string& path, ChatRequest& out, Errors& errs) {
  if (!r.is_object()) { errs.add(path, "expected an object"); return; }
  check_keys(r, path,
             {"model", "messages", "tools", "tool_choice", "parallel_tool_calls", "response_format", "temperature",
              "top_p", "top_k", "frequency_penalty", "presence_penalty", "max_output_tokens", "stop", "seed", "user",
              "stream", "tags", "reasoning"},
             errs);
  if (!get_string(r, "model", path, out.model, errs) && !r.contains("model")) errs.add(field_path(path, "model"), "required");
  auto msgs = r.find("messages");
  if (msgs == r.end()) {
    errs.add(field_path(path, "messages"), "required");
  } else if (!msgs->is_array()) {
    errs.add(field_path(path, "messages"), "expected an array");
  } else {
    for (size_t i = 0; i < msgs->size(); ++i) {
      Message m;
      parse_message((*msgs)[i], index_path(field_path(path, "messages"), i), m, errs);
      out.messages.push_back(std::move(m));
    }
  }
  if (auto t = r.find("tools"); t != r.end()) parse_tools(*t, field_path(path, "tools"), out, errs);
  if (auto tc = r.find("tool_choice"); tc != r.end()) parse_tool_choice(*tc, field_path(path, "tool_choice"), out, errs);
  get_opt_bool(r, "parallel_tool_calls", path, out.parallel_tool_calls, errs);
  if (auto rf = r.find("response_format"); rf != r.end()) {
    parse_response_format(*rf, field_path(path, "response_format"), out, errs);
  }
  get_opt_double(r, "temperature", path, out.temperature, errs);
  get_opt_double(r, "top_p", path, out.top_p, errs);
  get_opt_int(r, "top_k", path, out.top_k, errs, 0, 1 << 30);
  get_opt_double(r, "frequency_penalty", path, out.frequency_penalty, errs);
  get_opt_double(r, "presence_penalty", path, out.presence_penalty, errs);
  get_opt_int(r, "max_output_tokens", path, out.max_output_tokens, errs, 1, 1 << 30);
  get_string_list(r, "stop", path, out.stop, errs);
  get_opt_int(r, "seed", path, out.seed, errs, INT64_MIN, INT64_MAX);
  get_string(r, "user", path, out.user, errs);
  std::optional<bool> stream;
  get_opt_bool(r, "stream", path, stream, errs);
  out.stream = stream.value_or(false);
  get_string_list(r, "tags", path, out.meta.tags, errs);
  if (auto rs = r.find("reasoning"); rs != r.end()) parse_reasoning(*rs, field_path(path, "reasoning"), out.reasoning, errs);
}

// ---------------------------------------------------------------- expect

template <typename E, size_t N>
std::optional<E> by_name(std::string_view s, const E (&all)[N], std::string_view (*name)(E)) {
  for (E e : all)
    if (name(e) == s) return e;
  return std::nullopt;
}

template <typename E, size_t N>
std::string names_of(const E (&all)[N], std::string_view (*name)(E)) {
  std::string out;
  for (E e : all) out += (out.empty() ? "" : ", ") + std::string(name(e));
  return out;
}

constexpr StatusCode kAllCodes[] = {
    StatusCode::kOk, StatusCode::kRateLimited, StatusCode::kOverloaded, StatusCode::kServerError,
    StatusCode::kTimeout, StatusCode::kConnectionReset, StatusCode::kMalformedResponse, StatusCode::kAuth,
    StatusCode::kPermission, StatusCode::kNotFound, StatusCode::kInvalidRequest,
    StatusCode::kContextLengthExceeded, StatusCode::kContentFilter, StatusCode::kInsufficientCredits,
    StatusCode::kCancelled, StatusCode::kStreamInterrupted, StatusCode::kInternal};
constexpr FinishReason kAllFinish[] = {FinishReason::kUnknown, FinishReason::kStop, FinishReason::kLength,
                                       FinishReason::kToolCalls, FinishReason::kContentFilter,
                                       FinishReason::kError, FinishReason::kOther};
constexpr TimeoutPhase kAllPhases[] = {TimeoutPhase::kNone, TimeoutPhase::kConnect, TimeoutPhase::kFirstByte,
                                       TimeoutPhase::kIdle, TimeoutPhase::kTotal};
constexpr StreamEvent::Kind kAllEventKinds[] = {StreamEvent::Kind::kStart, StreamEvent::Kind::kTextDelta,
                                                StreamEvent::Kind::kToolCallDelta, StreamEvent::Kind::kUsage,
                                                StreamEvent::Kind::kFinish, StreamEvent::Kind::kError,
                                                StreamEvent::Kind::kReasoningDelta};

void check_event_name(const std::string& s, const std::string& path, Errors& errs) {
  if (!by_name(s, kAllEventKinds, &stream_event_kind_name))
    errs.add(path, "unknown event kind '" + s + "' (expected one of: " + names_of(kAllEventKinds, &stream_event_kind_name) + ")");
}

void parse_expect(const json& e, const std::string& path, ContractExpect& out, Errors& errs) {
  if (!e.is_object()) { errs.add(path, "expected an object"); return; }
  check_keys(e, path,
             {"status", "http_status", "retry_after_ms", "timeout_phase", "should_retry", "message_contains",
              "delivered_events_min", "delivered_content", "finish_reason", "native_finish_reason", "tool_calls",
              "tool_names", "tool_args_valid_json", "content_non_empty", "content_equals", "usage",
              "cost_reported", "id_prefix", "request_id", "provider", "first_event", "last_event",
              "events_include", "faults_fired", "reasoning_non_empty", "reasoning_signed", "reasoning_tokens_min",
              "vectors", "dimensions"},
             errs);
  std::string s;
  if (get_string(e, "status", path, s, errs)) {
    if (auto c = by_name(s, kAllCodes, &status_code_name)) out.status = *c;
    else errs.add(field_path(path, "status"), "unknown status code '" + s + "' (expected one of: " + names_of(kAllCodes, &status_code_name) + ")");
  } else if (!e.contains("status")) {
    errs.add(field_path(path, "status"), "required (a status code name, e.g. \"ok\" or \"rate_limited\")");
  }
  get_opt_int(e, "http_status", path, out.http_status, errs, 0, 999);
  get_opt_int(e, "retry_after_ms", path, out.retry_after_ms, errs, 0, INT64_MAX);
  if (get_string(e, "timeout_phase", path, s = {}, errs)) {
    if (auto p = by_name(s, kAllPhases, &timeout_phase_name)) out.timeout_phase = *p;
    else errs.add(field_path(path, "timeout_phase"), "unknown phase '" + s + "' (expected one of: " + names_of(kAllPhases, &timeout_phase_name) + ")");
  }
  get_opt_bool(e, "should_retry", path, out.should_retry, errs);
  get_string(e, "message_contains", path, out.message_contains, errs);
  get_opt_int(e, "delivered_events_min", path, out.delivered_events_min, errs, 0, INT64_MAX);
  get_opt_bool(e, "delivered_content", path, out.delivered_content, errs);
  if (get_string(e, "finish_reason", path, s = {}, errs)) {
    if (auto f = by_name(s, kAllFinish, &finish_reason_name)) out.finish_reason = *f;
    else errs.add(field_path(path, "finish_reason"), "unknown finish reason '" + s + "' (expected one of: " + names_of(kAllFinish, &finish_reason_name) + ")");
  }
  get_string(e, "native_finish_reason", path, out.native_finish_reason, errs);
  get_opt_int(e, "tool_calls", path, out.tool_calls, errs, 0, 1 << 20);
  get_string_list(e, "tool_names", path, out.tool_names, errs);
  get_opt_bool(e, "tool_args_valid_json", path, out.tool_args_valid_json, errs);
  get_opt_bool(e, "content_non_empty", path, out.content_non_empty, errs);
  get_string(e, "content_equals", path, out.content_equals, errs);
  get_opt_bool(e, "usage", path, out.usage, errs);
  get_opt_bool(e, "cost_reported", path, out.cost_reported, errs);
  get_string(e, "id_prefix", path, out.id_prefix, errs);
  get_opt_bool(e, "request_id", path, out.request_id, errs);
  get_string(e, "provider", path, out.provider, errs);
  get_opt_bool(e, "reasoning_non_empty", path, out.reasoning_non_empty, errs);
  get_opt_bool(e, "reasoning_signed", path, out.reasoning_signed, errs);
  get_opt_int(e, "reasoning_tokens_min", path, out.reasoning_tokens_min, errs, 0, INT64_MAX);
  get_opt_int(e, "vectors", path, out.vectors, errs, 0, 1 << 20);
  get_opt_int(e, "dimensions", path, out.dimensions, errs, 1, 1 << 20);
  if (get_string(e, "first_event", path, out.first_event, errs)) check_event_name(out.first_event, field_path(path, "first_event"), errs);
  if (get_string(e, "last_event", path, out.last_event, errs)) check_event_name(out.last_event, field_path(path, "last_event"), errs);
  get_string_list(e, "events_include", path, out.events_include, errs);
  for (size_t i = 0; i < out.events_include.size(); ++i)
    check_event_name(out.events_include[i], field_path(path, "events_include") + "[" + std::to_string(i) + "]", errs);
  std::optional<bool> ff;
  get_opt_bool(e, "faults_fired", path, ff, errs);
  out.faults_fired = ff.value_or(true);
}

// ---------------------------------------------------------------- sim / replay / timeouts

void parse_sim(const json& s, const std::string& path, ContractCase& c, Errors& errs) {
  if (!s.is_object()) { errs.add(path, "expected an object"); return; }
  check_keys(s, path,
             {"seed", "tool_call_probability", "n_tool_calls", "tool_argument_fragments", "min_tokens", "max_tokens",
              "ttft_ms", "tokens_per_second", "faults"},
             errs);
  get_int(s, "seed", path, c.seed, errs, 0, INT64_MAX);
  get_opt_double(s, "tool_call_probability", path, c.tool_call_probability, errs);
  get_opt_int(s, "n_tool_calls", path, c.n_tool_calls, errs, 0, 64);
  get_opt_int(s, "tool_argument_fragments", path, c.tool_argument_fragments, errs, 1, 1 << 20);
  get_opt_int(s, "min_tokens", path, c.min_tokens, errs, 0, 1 << 20);
  get_opt_int(s, "max_tokens", path, c.max_tokens, errs, 0, 1 << 20);
  get_opt_int(s, "ttft_ms", path, c.ttft_ms, errs, 0, 86400000);
  get_opt_double(s, "tokens_per_second", path, c.tokens_per_second, errs);
  if (auto f = s.find("faults"); f != s.end()) {
    // The simulator's own fault plan format: {"faults":[…]} (or just the array).
    json plan = f->is_array() ? json{{"faults", *f}} : *f;
    Errors plan_errors;
    FaultPlan p = parse_fault_plan(plan.dump(), plan_errors);
    if (plan_errors.empty()) c.faults = std::move(p);
    const std::string fp = field_path(path, "faults");
    for (FieldError e : plan_errors.list()) {  // paths under this case: "….sim.faults[0].kind"
      if (f->is_array() && e.path.rfind("faults", 0) == 0) e.path = fp + e.path.substr(6);
      else e.path = e.path.empty() ? fp : field_path(fp, e.path);
      errs.add(std::move(e));
    }
  }
}

CallOptions default_call_options() {
  CallOptions co;
  co.first_byte_timeout = std::chrono::seconds(5);
  co.idle_timeout = std::chrono::seconds(5);
  co.total_timeout = std::chrono::seconds(120);
  return co;
}

void parse_timeouts(const json& t, const std::string& path, CallOptions& co, Errors& errs) {
  if (!t.is_object()) { errs.add(path, "expected an object"); return; }
  check_keys(t, path, {"first_byte_ms", "idle_ms", "total_ms"}, errs);
  auto one = [&](const char* key, std::optional<Duration>& out) {
    auto it = t.find(key);
    if (it == t.end()) return;
    if (it->is_null()) { out.reset(); return; }
    int64_t ms = 0;
    if (get_int(t, key, path, ms, errs, 1, 86400000)) out = std::chrono::milliseconds(ms);
  };
  one("first_byte_ms", co.first_byte_timeout);
  one("idle_ms", co.idle_timeout);
  one("total_ms", co.total_timeout);
}

// Shallow merge: keys of `over` replace those of `base`.
json merged(const json* base, const json* over) {
  if (!base || !base->is_object()) return over ? *over : json::object();
  if (!over || !over->is_object()) return over ? *over : *base;
  json out = *base;
  for (auto it = over->begin(); it != over->end(); ++it) out[it.key()] = it.value();
  return out;
}

std::string resolve(const std::string& base_dir, const std::string& p) {
  std::filesystem::path fp(p);
  if (fp.is_absolute() || base_dir.empty()) return p;
  return (std::filesystem::path(base_dir) / fp).lexically_normal().string();
}

// "embed": {"model": "…", "input": "text" | ["text", …], "dimensions": N}.
void parse_embed(const json& e, const std::string& path, EmbeddingRequest& out, Errors& errs) {
  if (!e.is_object()) { errs.add(path, "expected an object"); return; }
  check_keys(e, path, {"model", "input", "dimensions"}, errs);
  if (!get_string(e, "model", path, out.model, errs) && !e.contains("model")) errs.add(field_path(path, "model"), "required");
  if (auto in = e.find("input"); in == e.end()) errs.add(field_path(path, "input"), "required");
  else if (in->is_string()) out.inputs.push_back(in->get<std::string>());
  else get_string_list(e, "input", path, out.inputs, errs);
  get_opt_int(e, "dimensions", path, out.dimensions, errs, 1, 1 << 20);
}

void parse_case(const json& c, const std::string& path, const json& defaults, const std::string& base_dir,
                ContractCase& out, Errors& errs) {
  if (!c.is_object()) { errs.add(path, "expected an object"); return; }
  check_keys(c, path, {"name", "description", "request", "embed", "sim", "replay", "headers", "timeouts", "expect"}, errs);
  if (auto em = c.find("embed"); em != c.end()) parse_embed(*em, field_path(path, "embed"), out.embed.emplace(), errs);
  if (!get_string(c, "name", path, out.name, errs) && !c.contains("name")) errs.add(field_path(path, "name"), "required");
  get_string(c, "description", path, out.description, errs);

  const json* dreq = defaults.is_object() && defaults.contains("request") ? &defaults["request"] : nullptr;
  const json* creq = c.contains("request") ? &c["request"] : nullptr;
  if (!dreq && !creq) errs.add(field_path(path, "request"), "required (here or in defaults.request)");
  else parse_request(merged(dreq, creq), field_path(path, "request"), out.request, errs);

  const json* dsim = defaults.is_object() && defaults.contains("sim") ? &defaults["sim"] : nullptr;
  const json* csim = c.contains("sim") ? &c["sim"] : nullptr;
  if (dsim || csim) parse_sim(merged(dsim, csim), field_path(path, "sim"), out, errs);

  out.call = default_call_options();
  if (defaults.is_object() && defaults.contains("timeouts")) parse_timeouts(defaults["timeouts"], "defaults.timeouts", out.call, errs);
  if (c.contains("timeouts")) parse_timeouts(c["timeouts"], field_path(path, "timeouts"), out.call, errs);
  if (c.contains("headers")) parse_headers(c["headers"], field_path(path, "headers"), out.endpoint_headers, errs);

  if (const json* r = get_object(c, "replay", path, errs)) {
    const std::string rp = field_path(path, "replay");
    check_keys(*r, rp, {"cassette", "cassettes", "match_ignore"}, errs);
    std::vector<std::string> files;
    std::string one;
    if (get_string(*r, "cassette", rp, one, errs)) files.push_back(one);
    get_string_list(*r, "cassettes", rp, files, errs);
    if (files.empty() && !r->contains("cassette") && !r->contains("cassettes"))
      errs.add(field_path(rp, "cassette"), "required (a cassette file, relative to the suite file)");
    for (const auto& f : files) {
      const std::string full = resolve(base_dir, f);
      auto cas = codec::load_cassette_file(full);
      if (!cas.ok()) {
        errs.add(field_path(rp, "cassette"), "cannot load '" + full + "': " + cas.status().message());
        continue;
      }
      out.replay_files.push_back(full);
      out.replay_cassettes.push_back(std::move(cas).value());
    }
    get_string_list(*r, "match_ignore", rp, out.match_ignore, errs);
  }

  if (const json* e = get_object(c, "expect", path, errs)) parse_expect(*e, field_path(path, "expect"), out.expect, errs);
  else if (!c.contains("expect")) errs.add(field_path(path, "expect"), "required");
}

}  // namespace


Result<ContractSuite> parse_contract_suite(std::string_view text, std::string_view source_name,
                                           const std::string& base_dir) {
  Errors errs("contract suite '" + std::string(source_name) + "'");
  json root;
  if (Status st = ploke::json::check_json_limits(text); !st.ok()) {
    errs.add("", st.message());
    return errs.to_status();
  }
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    errs.add("", "invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
    return errs.to_status();
  } catch (const json::exception& e) {
    errs.add("", std::string("invalid JSON: ") + e.what());
    return errs.to_status();
  }
  ContractSuite suite;
  suite.source = std::string(source_name);
  if (!root.is_object()) {
    errs.add("", "the top level must be an object");
    return errs.to_status();
  }
  check_keys(root, "", {"format", "version", "name", "adapter", "description", "endpoint", "defaults", "cases"}, errs);
  std::string format;
  if (get_string(root, "format", "", format, errs) && format != "ploke-contract-suite")
    errs.add("format", "expected \"ploke-contract-suite\", got \"" + format + "\"");
  int version = 1;
  if (get_int(root, "version", "", version, errs, 0, 1000) && version != 1)
    errs.add("version", "unsupported version " + std::to_string(version) + " (this build reads 1)");
  get_string(root, "name", "", suite.name, errs);
  if (!get_string(root, "adapter", "", suite.adapter, errs) && !root.contains("adapter")) errs.add("adapter", "required");
  get_string(root, "description", "", suite.description, errs);
  if (const json* ep = get_object(root, "endpoint", "", errs)) {
    check_keys(*ep, "endpoint", {"provider", "base_url", "api_key", "headers"}, errs);
    get_string(*ep, "provider", "endpoint", suite.provider, errs);
    get_string(*ep, "base_url", "endpoint", suite.base_url, errs);
    get_string(*ep, "api_key", "endpoint", suite.api_key, errs);
    if (ep->contains("headers")) parse_headers((*ep)["headers"], "endpoint.headers", suite.headers, errs);
  }
  if (suite.base_url.empty()) errs.add("endpoint.base_url", "required (e.g. \"http://sim.invalid/v1\")");
  json defaults = json::object();
  if (const json* d = get_object(root, "defaults", "", errs)) {
    check_keys(*d, "defaults", {"request", "sim", "timeouts"}, errs);
    defaults = *d;
  }
  auto cases = root.find("cases");
  if (cases == root.end() || !cases->is_array() || cases->empty()) {
    errs.add("cases", "required: a non-empty array of cases");
  } else {
    for (size_t i = 0; i < cases->size(); ++i) {
      ContractCase c;
      parse_case((*cases)[i], index_path("cases", i), defaults, base_dir, c, errs);
      for (const auto& prev : suite.cases)
        if (!c.name.empty() && prev.name == c.name)
          errs.add("cases[" + std::to_string(i) + "].name", "duplicate case name '" + c.name + "'");
      suite.cases.push_back(std::move(c));
    }
  }
  if (!errs.empty()) return errs.to_status();
  return suite;
}

Result<ContractSuite> load_contract_suite(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidRequestError("contract suite '" + path + "': cannot read file");
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return parse_contract_suite(ss.str(), path, dir);
}

}  // namespace ploke::simulator
