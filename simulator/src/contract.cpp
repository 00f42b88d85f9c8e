// The adapter contract kit: suite parsing (JSON with field-path errors) and the runner
// (SimEngine + InProcessTransport on a SimulatedClock, one fresh engine per case).
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

namespace ploke::sim {
namespace {

using json = nlohmann::json;

// ---------------------------------------------------------------- parsing helpers

class Errors {
 public:
  void add(const std::string& path, const std::string& msg) { list_.push_back(path + ": " + msg); }
  bool empty() const { return list_.empty(); }
  Status status(std::string_view source) const {
    std::string m = "contract suite '" + std::string(source) + "': " + std::to_string(list_.size()) +
                    (list_.size() == 1 ? " error:" : " errors:");
    for (const auto& l : list_) m += "\n  " + l;
    return InvalidRequestError(m);
  }

 private:
  std::vector<std::string> list_;
};

std::string join_path(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

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
      errs.add(join_path(path, it.key()), "unknown key (allowed: " + list + ")");
    }
  }
}

bool get_string(const json& obj, const char* key, const std::string& path, std::string& out, Errors& errs) {
  auto it = obj.find(key);
  if (it == obj.end()) return false;
  if (!it->is_string()) { errs.add(join_path(path, key), std::string("expected a string, got ") + type_name(*it)); return false; }
  out = it->get<std::string>();
  return true;
}

template <typename T>
bool get_int(const json& obj, const char* key, const std::string& path, T& out, Errors& errs, int64_t lo, int64_t hi) {
  auto it = obj.find(key);
  if (it == obj.end()) return false;
  if (!it->is_number_integer()) { errs.add(join_path(path, key), std::string("expected an integer, got ") + type_name(*it)); return false; }
  const int64_t v = it->get<int64_t>();
  if (v < lo || v > hi) {
    errs.add(join_path(path, key), "must be in [" + std::to_string(lo) + "," + std::to_string(hi) + "]");
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
  if (!it->is_number()) { errs.add(join_path(path, key), std::string("expected a number, got ") + type_name(*it)); return; }
  out = it->get<double>();
}

void get_opt_bool(const json& obj, const char* key, const std::string& path, std::optional<bool>& out, Errors& errs) {
  auto it = obj.find(key);
  if (it == obj.end()) return;
  if (!it->is_boolean()) { errs.add(join_path(path, key), std::string("expected a boolean, got ") + type_name(*it)); return; }
  out = it->get<bool>();
}

void get_string_list(const json& obj, const char* key, const std::string& path, std::vector<std::string>& out,
                     Errors& errs) {
  auto it = obj.find(key);
  if (it == obj.end()) return;
  if (!it->is_array()) { errs.add(join_path(path, key), std::string("expected an array of strings, got ") + type_name(*it)); return; }
  for (size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_string()) { errs.add(join_path(path, key) + "[" + std::to_string(i) + "]", "expected a string"); continue; }
    out.push_back((*it)[i].get<std::string>());
  }
}

// Object found under `key`, or nullptr (error when present but not an object).
const json* get_object(const json& obj, const char* key, const std::string& path, Errors& errs) {
  auto it = obj.find(key);
  if (it == obj.end()) return nullptr;
  if (!it->is_object()) { errs.add(join_path(path, key), std::string("expected an object, got ") + type_name(*it)); return nullptr; }
  return &*it;
}

void parse_headers(const json& j, const std::string& path, Headers& out, Errors& errs) {
  if (!j.is_object()) { errs.add(path, "expected an object of header: value"); return; }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it->is_string()) { errs.add(join_path(path, it.key()), "expected a string"); continue; }
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
    if (!m.contains("role")) errs.add(join_path(path, "role"), "required");
  } else if (auto r = parse_role(role)) {
    out.role = *r;
  } else {
    errs.add(join_path(path, "role"), "unknown role '" + role + "' (expected system, developer, user, assistant, tool)");
  }
  if (auto it = m.find("content"); it != m.end()) {
    if (it->is_string()) {
      out.content.push_back(ContentPart::Text(it->get<std::string>()));
    } else if (it->is_array()) {
      for (size_t i = 0; i < it->size(); ++i) {
        const json& p = (*it)[i];
        const std::string pp = join_path(path, "content") + "[" + std::to_string(i) + "]";
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
          errs.add(join_path(pp, "type"), "expected \"text\" (with text) or \"image_url\" (with url)");
        }
      }
    } else if (!it->is_null()) {
      errs.add(join_path(path, "content"), std::string("expected a string, an array of parts or null, got ") + type_name(*it));
    }
  }
  if (auto it = m.find("tool_calls"); it != m.end()) {
    if (!it->is_array()) {
      errs.add(join_path(path, "tool_calls"), "expected an array");
    } else {
      for (size_t i = 0; i < it->size(); ++i) {
        const json& c = (*it)[i];
        const std::string cp = join_path(path, "tool_calls") + "[" + std::to_string(i) + "]";
        if (!c.is_object()) { errs.add(cp, "expected an object"); continue; }
        check_keys(c, cp, {"id", "name", "arguments"}, errs);
        ToolCall tc;
        get_string(c, "id", cp, tc.id, errs);
        if (!get_string(c, "name", cp, tc.name, errs)) errs.add(join_path(cp, "name"), "required");
        if (auto a = c.find("arguments"); a != c.end()) tc.arguments_json = a->is_string() ? a->get<std::string>() : a->dump();
        out.tool_calls.push_back(std::move(tc));
      }
    }
  }
  get_string(m, "tool_call_id", path, out.tool_call_id, errs);
  get_string(m, "name", path, out.name, errs);
}

void parse_request(const json& r, const std::string& path, ChatRequest& out, Errors& errs) {
  if (!r.is_object()) { errs.add(path, "expected an object"); return; }
  check_keys(r, path,
             {"model", "messages", "tools", "tool_choice", "parallel_tool_calls", "response_format", "temperature",
              "top_p", "top_k", "frequency_penalty", "presence_penalty", "max_output_tokens", "stop", "seed", "user",
              "stream", "tags"},
             errs);
  if (!get_string(r, "model", path, out.model, errs) && !r.contains("model")) errs.add(join_path(path, "model"), "required");
  auto msgs = r.find("messages");
  if (msgs == r.end()) {
    errs.add(join_path(path, "messages"), "required");
  } else if (!msgs->is_array()) {
    errs.add(join_path(path, "messages"), "expected an array");
  } else {
    for (size_t i = 0; i < msgs->size(); ++i) {
      Message m;
      parse_message((*msgs)[i], join_path(path, "messages") + "[" + std::to_string(i) + "]", m, errs);
      out.messages.push_back(std::move(m));
    }
  }
  if (auto t = r.find("tools"); t != r.end()) {
    if (!t->is_array()) {
      errs.add(join_path(path, "tools"), "expected an array");
    } else {
      for (size_t i = 0; i < t->size(); ++i) {
        const json& d = (*t)[i];
        const std::string tp = join_path(path, "tools") + "[" + std::to_string(i) + "]";
        if (!d.is_object()) { errs.add(tp, "expected an object"); continue; }
        check_keys(d, tp, {"name", "description", "parameters", "strict"}, errs);
        ToolDefinition td;
        if (!get_string(d, "name", tp, td.name, errs)) errs.add(join_path(tp, "name"), "required");
        get_string(d, "description", tp, td.description, errs);
        if (auto p = d.find("parameters"); p != d.end()) {
          if (!p->is_object()) errs.add(join_path(tp, "parameters"), "expected a JSON Schema object");
          else td.parameters_json = p->dump();
        }
        get_opt_bool(d, "strict", tp, td.strict, errs);
        out.tools.push_back(std::move(td));
      }
    }
  }
  if (auto tc = r.find("tool_choice"); tc != r.end()) {
    const std::string tp = join_path(path, "tool_choice");
    if (tc->is_string()) {
      const std::string s = tc->get<std::string>();
      if (s == "auto") out.tool_choice.mode = ToolChoice::Mode::kAuto;
      else if (s == "none") out.tool_choice.mode = ToolChoice::Mode::kNone;
      else if (s == "required") out.tool_choice.mode = ToolChoice::Mode::kRequired;
      else errs.add(tp, "unknown value '" + s + "' (expected auto, none, required or {\"function\": NAME})");
    } else if (tc->is_object() && tc->size() == 1 && tc->contains("function") && (*tc)["function"].is_string()) {
      out.tool_choice.mode = ToolChoice::Mode::kFunction;
      out.tool_choice.function_name = (*tc)["function"].get<std::string>();
    } else {
      errs.add(tp, "expected auto, none, required or {\"function\": NAME}");
    }
  }
  get_opt_bool(r, "parallel_tool_calls", path, out.parallel_tool_calls, errs);
  if (auto rf = r.find("response_format"); rf != r.end()) {
    const std::string rp = join_path(path, "response_format");
    if (rf->is_string() && rf->get<std::string>() == "text") {
      out.response_format.kind = ResponseFormat::Kind::kText;
    } else if (rf->is_string() && rf->get<std::string>() == "json_object") {
      out.response_format.kind = ResponseFormat::Kind::kJsonObject;
    } else if (rf->is_object() && rf->contains("json_schema") && (*rf)["json_schema"].is_object()) {
      const json& s = (*rf)["json_schema"];
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
                                                StreamEvent::Kind::kFinish, StreamEvent::Kind::kError};

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
              "events_include", "faults_fired"},
             errs);
  std::string s;
  if (get_string(e, "status", path, s, errs)) {
    if (auto c = by_name(s, kAllCodes, &status_code_name)) out.status = *c;
    else errs.add(join_path(path, "status"), "unknown status code '" + s + "' (expected one of: " + names_of(kAllCodes, &status_code_name) + ")");
  } else if (!e.contains("status")) {
    errs.add(join_path(path, "status"), "required (a status code name, e.g. \"ok\" or \"rate_limited\")");
  }
  get_opt_int(e, "http_status", path, out.http_status, errs, 0, 999);
  get_opt_int(e, "retry_after_ms", path, out.retry_after_ms, errs, 0, INT64_MAX);
  if (get_string(e, "timeout_phase", path, s = {}, errs)) {
    if (auto p = by_name(s, kAllPhases, &timeout_phase_name)) out.timeout_phase = *p;
    else errs.add(join_path(path, "timeout_phase"), "unknown phase '" + s + "' (expected one of: " + names_of(kAllPhases, &timeout_phase_name) + ")");
  }
  get_opt_bool(e, "should_retry", path, out.should_retry, errs);
  get_string(e, "message_contains", path, out.message_contains, errs);
  get_opt_int(e, "delivered_events_min", path, out.delivered_events_min, errs, 0, INT64_MAX);
  get_opt_bool(e, "delivered_content", path, out.delivered_content, errs);
  if (get_string(e, "finish_reason", path, s = {}, errs)) {
    if (auto f = by_name(s, kAllFinish, &finish_reason_name)) out.finish_reason = *f;
    else errs.add(join_path(path, "finish_reason"), "unknown finish reason '" + s + "' (expected one of: " + names_of(kAllFinish, &finish_reason_name) + ")");
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
  if (get_string(e, "first_event", path, out.first_event, errs)) check_event_name(out.first_event, join_path(path, "first_event"), errs);
  if (get_string(e, "last_event", path, out.last_event, errs)) check_event_name(out.last_event, join_path(path, "last_event"), errs);
  get_string_list(e, "events_include", path, out.events_include, errs);
  for (size_t i = 0; i < out.events_include.size(); ++i)
    check_event_name(out.events_include[i], join_path(path, "events_include") + "[" + std::to_string(i) + "]", errs);
  std::optional<bool> ff;
  get_opt_bool(e, "faults_fired", path, ff, errs);
  out.faults_fired = ff.value_or(true);
}

// ---------------------------------------------------------------- sim / replay / timeouts

void parse_sim(const json& s, const std::string& path, std::string_view source, ContractCase& c, Errors& errs) {
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
    auto p = parse_fault_plan(plan.dump(), std::string(source) + " " + join_path(path, "faults"));
    if (p.ok()) {
      c.faults = *p;
    } else {
      // One line per plan error ("faults[0].kind: …"), under this case's path.
      std::istringstream lines(p.status().message());
      std::string line;
      std::getline(lines, line);  // the "fault plan '…': N errors:" header
      bool any = false;
      while (std::getline(lines, line)) {
        const auto first = line.find_first_not_of(' ');
        if (first == std::string::npos) continue;
        errs.add(join_path(path, "faults"), line.substr(first));
        any = true;
      }
      if (!any) errs.add(join_path(path, "faults"), p.status().message());
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

void parse_case(const json& c, const std::string& path, const json& defaults, std::string_view source,
                const std::string& base_dir, ContractCase& out, Errors& errs) {
  if (!c.is_object()) { errs.add(path, "expected an object"); return; }
  check_keys(c, path, {"name", "description", "request", "sim", "replay", "headers", "timeouts", "expect"}, errs);
  if (!get_string(c, "name", path, out.name, errs) && !c.contains("name")) errs.add(join_path(path, "name"), "required");
  get_string(c, "description", path, out.description, errs);

  const json* dreq = defaults.is_object() && defaults.contains("request") ? &defaults["request"] : nullptr;
  const json* creq = c.contains("request") ? &c["request"] : nullptr;
  if (!dreq && !creq) errs.add(join_path(path, "request"), "required (here or in defaults.request)");
  else parse_request(merged(dreq, creq), join_path(path, "request"), out.request, errs);

  const json* dsim = defaults.is_object() && defaults.contains("sim") ? &defaults["sim"] : nullptr;
  const json* csim = c.contains("sim") ? &c["sim"] : nullptr;
  if (dsim || csim) parse_sim(merged(dsim, csim), join_path(path, "sim"), source, out, errs);

  out.call = default_call_options();
  if (defaults.is_object() && defaults.contains("timeouts")) parse_timeouts(defaults["timeouts"], "defaults.timeouts", out.call, errs);
  if (c.contains("timeouts")) parse_timeouts(c["timeouts"], join_path(path, "timeouts"), out.call, errs);
  if (c.contains("headers")) parse_headers(c["headers"], join_path(path, "headers"), out.endpoint_headers, errs);

  if (const json* r = get_object(c, "replay", path, errs)) {
    const std::string rp = join_path(path, "replay");
    check_keys(*r, rp, {"cassette", "cassettes", "match_ignore"}, errs);
    std::vector<std::string> files;
    std::string one;
    if (get_string(*r, "cassette", rp, one, errs)) files.push_back(one);
    get_string_list(*r, "cassettes", rp, files, errs);
    if (files.empty() && !r->contains("cassette") && !r->contains("cassettes"))
      errs.add(join_path(rp, "cassette"), "required (a cassette file, relative to the suite file)");
    for (const auto& f : files) {
      const std::string full = resolve(base_dir, f);
      auto cas = codec::load_cassette_file(full);
      if (!cas.ok()) {
        errs.add(join_path(rp, "cassette"), "cannot load '" + full + "': " + cas.status().message());
        continue;
      }
      out.replay_files.push_back(full);
      out.replay_cassettes.push_back(std::move(cas).value());
    }
    get_string_list(*r, "match_ignore", rp, out.match_ignore, errs);
  }

  if (const json* e = get_object(c, "expect", path, errs)) parse_expect(*e, join_path(path, "expect"), out.expect, errs);
  else if (!c.contains("expect")) errs.add(join_path(path, "expect"), "required");
}

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

void check_case(const ContractCase& c, const Result<ChatResponse>& r, const std::vector<StreamEvent>& events,
                SimEngine& engine, ContractCaseResult& out) {
  const ContractExpect& x = c.expect;
  auto fail = [&out](std::string m) { out.failures.push_back(std::move(m)); };
  const StatusCode got = r.ok() ? StatusCode::kOk : r.status().code();
  if (got != x.status) {
    fail("status: expected " + std::string(status_code_name(x.status)) + ", got " +
         (r.ok() ? std::string("ok") : one_line(r.status().to_string(), 300)));
  } else if (!r.ok()) {
    const Status& st = r.status();
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
  } else {
    const ChatResponse& resp = *r;
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
  // Stream events (checked whatever the outcome).
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

ContractCaseResult run_case(const ContractSuite& suite, const ContractCase& c, const ProviderAdapter& adapter) {
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
  Result<ChatResponse> r = c.request.stream
                               ? client.stream(c.request, [&events](const StreamEvent& e) { events.push_back(e); })
                               : client.complete(c.request);
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

// ---------------------------------------------------------------- public API

Result<ContractSuite> parse_contract_suite(std::string_view text, std::string_view source_name,
                                           const std::string& base_dir) {
  json root;
  if (Status st = ploke::json::check_json_limits(text); !st.ok()) {
    return InvalidRequestError("contract suite '" + std::string(source_name) + "': " + st.message());
  }
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    return InvalidRequestError("contract suite '" + std::string(source_name) + "': invalid JSON at byte " +
                               std::to_string(e.byte) + ": " + e.what());
  } catch (const json::exception& e) {
    return InvalidRequestError("contract suite '" + std::string(source_name) + "': invalid JSON: " + e.what());
  }
  Errors errs;
  ContractSuite suite;
  suite.source = std::string(source_name);
  if (!root.is_object()) {
    errs.add("$", "expected an object");
    return errs.status(source_name);
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
      parse_case((*cases)[i], "cases[" + std::to_string(i) + "]", defaults, source_name, base_dir, c, errs);
      for (const auto& prev : suite.cases)
        if (!c.name.empty() && prev.name == c.name)
          errs.add("cases[" + std::to_string(i) + "].name", "duplicate case name '" + c.name + "'");
      suite.cases.push_back(std::move(c));
    }
  }
  if (!errs.empty()) return errs.status(source_name);
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

size_t ContractReport::passed() const {
  return static_cast<size_t>(std::count_if(cases.begin(), cases.end(), [](const auto& c) { return c.passed; }));
}

ContractReport run_contract_suite(const ContractSuite& suite, const ProviderAdapter& adapter, std::string_view filter) {
  ContractReport rep;
  rep.suite = suite.source;
  rep.adapter = std::string(adapter.name());
  for (const auto& c : suite.cases) {
    if (!filter.empty() && c.name.find(filter) == std::string::npos) continue;
    rep.cases.push_back(run_case(suite, c, adapter));
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

}  // namespace ploke::sim
