// Inbound OpenAI Chat Completions: request parsing (DOM path; a dialect's members through
// RequestExtension). See ploke/adapters/openai/server.h.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "server_internal.h"
#include "json_reader.h"
#include "json_writer.h"
#include "internal.h"
#include "json_guard.h"
#include "reasoning.h"
#include "ploke/adapters/openai/server.h"
#include "ploke/adapters/openai/checks_json.h"

namespace ploke::adapters::openai {
namespace {

using nlohmann::json;
using detail::JsonReader;
using fast::fast_parse_openai;

// ---------------------------------------------------------------- request parsing helpers

bool opt_number(JsonReader& rd, const json& obj, const char* key, const std::string& path, std::optional<double>& out) {
  const json* v = JsonReader::find(obj, key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_number()) return rd.fail(path + key, "expected a number");
  out = v->get<double>();
  if (!std::isfinite(*out)) return rd.fail(path + key, "expected a finite number");
  return true;
}

bool opt_bool(JsonReader& rd, const json& obj, const char* key, const std::string& path, std::optional<bool>& out) {
  const json* v = JsonReader::find(obj, key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_boolean()) return rd.fail(path + key, "expected true or false");
  out = v->get<bool>();
  return true;
}

bool opt_int(JsonReader& rd, const json& obj, const char* key, const std::string& path, std::optional<int64_t>& out) {
  const json* v = JsonReader::find(obj, key);
  if (v == nullptr || v->is_null()) return true;
  if (v->is_number_integer()) {
    out = v->get<int64_t>();
    return true;
  }
  if (v->is_number_float() && std::isfinite(v->get<double>()) && v->get<double>() == std::floor(v->get<double>())) {
    out = static_cast<int64_t>(v->get<double>());
    return true;
  }
  return rd.fail(path + key, "expected an integer");
}

bool opt_u32(JsonReader& rd, const json& obj, const char* key, const std::string& path, std::optional<uint32_t>& out) {
  std::optional<int64_t> v;
  if (!opt_int(rd, obj, key, path, v)) return false;
  if (!v) return true;
  if (*v <= 0 || *v > 0xFFFFFFFFLL) return rd.fail(path + key, "expected a positive integer");
  out = static_cast<uint32_t>(*v);
  return true;
}

bool string_list(JsonReader& rd, const json& obj, const char* key, const std::string& path,
                 std::vector<std::string>& out, bool allow_single = false) {
  const json* v = JsonReader::find(obj, key);
  if (v == nullptr || v->is_null()) return true;
  if (allow_single && v->is_string()) {
    out.push_back(v->get<std::string>());
    return true;
  }
  if (!v->is_array()) return rd.fail(path + key, allow_single ? "expected a string or an array of strings" : "expected an array of strings");
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) return rd.fail(path + key + "[" + std::to_string(i) + "]", "expected string");
    out.push_back((*v)[i].get<std::string>());
  }
  return true;
}

// JSON text of a value that must be an object (tool parameters, schemas).
bool object_text(JsonReader& rd, const json& v, const std::string& path, std::string& out) {
  if (v.is_null()) return true;
  if (!v.is_object()) return rd.fail(path, "expected a JSON object");
  out = v.dump();
  return true;
}

// A part's `cache_control` (OpenRouter's breakpoint for the providers that take one):
// {"type":"ephemeral"} with an optional "ttl" of "5m" or "1h".
bool read_part_cache(JsonReader& rd, const json& part, const std::string& pp, CacheControl& out) {
  const json* cc = JsonReader::find(part, "cache_control");
  if (cc == nullptr || cc->is_null()) return true;
  if (!cc->is_object()) return rd.fail(pp + "cache_control", "expected an object");
  std::string type, ttl;
  if (!rd.req_string(*cc, "type", pp + "cache_control.", type) || !rd.opt_string(*cc, "ttl", pp + "cache_control.", ttl)) {
    return false;
  }
  if (type != "ephemeral") return rd.fail(pp + "cache_control.type", "expected 'ephemeral'");
  if (!ttl.empty() && ttl != "5m" && ttl != "1h") return rd.fail(pp + "cache_control.ttl", "expected '5m' or '1h'");
  out = ttl == "1h" ? CacheControl::kEphemeral1h : CacheControl::kEphemeral5m;
  return true;
}

bool parse_content_parts(JsonReader& rd, const json& content, const std::string& path, Message& m) {
  if (content.is_null()) return true;
  if (content.is_string()) {
    m.content.push_back(ContentPart::Text(content.get<std::string>()));
    return true;
  }
  if (!content.is_array()) return rd.fail(path, "expected a string, an array of parts or null");
  for (size_t i = 0; i < content.size(); ++i) {
    const json& p = content[i];
    const std::string pp = path + "[" + std::to_string(i) + "].";
    if (!p.is_object()) return rd.fail(path + "[" + std::to_string(i) + "]", "expected an object");
    std::string type;
    if (!rd.req_string(p, "type", pp, type)) return false;
    if (type == "text") {
      std::string text;
      if (!rd.req_string(p, "text", pp, text)) return false;
      m.content.push_back(ContentPart::Text(std::move(text)));
      if (!read_part_cache(rd, p, pp, m.content.back().cache)) return false;
    } else if (type == "image_url") {
      const json* iu = JsonReader::find(p, "image_url");
      if (iu == nullptr) return rd.fail(pp + "image_url", "missing");
      if (iu->is_string()) {
        m.content.push_back(ContentPart::Image(iu->get<std::string>()));
        if (!read_part_cache(rd, p, pp, m.content.back().cache)) return false;
        continue;
      }
      if (!iu->is_object()) return rd.fail(pp + "image_url", "expected an object");
      std::string url, detail;
      if (!rd.req_string(*iu, "url", pp + "image_url.", url) || !rd.opt_string(*iu, "detail", pp + "image_url.", detail)) {
        return false;
      }
      m.content.push_back(ContentPart::Image(std::move(url), std::move(detail)));
      if (!read_part_cache(rd, p, pp, m.content.back().cache)) return false;
    } else if (type == "refusal") {
      std::string text;
      if (!rd.opt_string(p, "refusal", pp, text)) return false;
      m.content.push_back(ContentPart::Text(std::move(text)));
    } else {
      return rd.fail(pp + "type", "unsupported part type '" + type + "' (supported: text, image_url)");
    }
  }
  return true;
}

bool parse_message(JsonReader& rd, const json& mj, const std::string& path, Message& m) {
  if (!mj.is_object()) return rd.fail(path, "expected an object");
  const std::string p = path + ".";
  std::string role;
  if (!rd.req_string(mj, "role", p, role)) return false;
  if (role == "system") m.role = Role::kSystem;
  else if (role == "developer") m.role = Role::kDeveloper;
  else if (role == "user") m.role = Role::kUser;
  else if (role == "assistant") m.role = Role::kAssistant;
  else if (role == "tool") m.role = Role::kTool;
  else return rd.fail(p + "role", "unsupported role '" + role + "' (expected system, developer, user, assistant or tool)");
  if (const json* c = JsonReader::find(mj, "content"); c != nullptr) {
    if (!parse_content_parts(rd, *c, p + "content", m)) return false;
  } else if (m.role != Role::kAssistant) {
    return rd.fail(p + "content", "missing");
  }
  if (!rd.opt_string(mj, "name", p, m.name)) return false;
  if (const json* tcs = JsonReader::find(mj, "tool_calls"); tcs != nullptr && !tcs->is_null()) {
    if (m.role != Role::kAssistant) return rd.fail(p + "tool_calls", "only assistant messages carry tool calls");
    if (!tcs->is_array()) return rd.fail(p + "tool_calls", "expected an array");
    for (size_t i = 0; i < tcs->size(); ++i) {
      const json& tj = (*tcs)[i];
      const std::string tp = p + "tool_calls[" + std::to_string(i) + "].";
      if (!tj.is_object()) return rd.fail(tp.substr(0, tp.size() - 1), "expected an object");
      ToolCall tc;
      if (!rd.req_string(tj, "id", tp, tc.id)) return false;
      const json* fn = JsonReader::find(tj, "function");
      if (fn == nullptr || !fn->is_object()) return rd.fail(tp + "function", fn == nullptr ? "missing" : "expected an object");
      if (!rd.req_string(*fn, "name", tp + "function.", tc.name)) return false;
      if (const json* a = JsonReader::find(*fn, "arguments"); a != nullptr && !a->is_null()) {
        tc.arguments_json = a->is_string() ? a->get<std::string>() : a->dump();
      }
      m.tool_calls.push_back(std::move(tc));
    }
  }
  if (m.role == Role::kTool) {
    if (!rd.req_string(mj, "tool_call_id", p, m.tool_call_id)) return false;
  }
  // An assistant turn's reasoning as OpenRouter returned it (signatures kept for the upstream).
  if (m.role == Role::kAssistant && !reasoning::read_details(rd, mj, p, m.reasoning_blocks)) return false;
  return true;
}

bool parse_tools(JsonReader& rd, const json& body, ChatRequest& r) {
  if (const json* tools = JsonReader::find(body, "tools"); tools != nullptr && !tools->is_null()) {
    if (!tools->is_array()) return rd.fail("tools", "expected an array");
    for (size_t i = 0; i < tools->size(); ++i) {
      const json& t = (*tools)[i];
      const std::string tp = "tools[" + std::to_string(i) + "].";
      if (!t.is_object()) return rd.fail("tools[" + std::to_string(i) + "]", "expected an object");
      std::string type = "function";
      if (!rd.opt_string(t, "type", tp, type)) return false;
      if (type != "function") return rd.fail(tp + "type", "unsupported tool type '" + type + "' (expected function)");
      const json* fn = JsonReader::find(t, "function");
      if (fn == nullptr || !fn->is_object()) return rd.fail(tp + "function", fn == nullptr ? "missing" : "expected an object");
      ToolDefinition d;
      const std::string fp = tp + "function.";
      if (!rd.req_string(*fn, "name", fp, d.name) || !rd.opt_string(*fn, "description", fp, d.description)) return false;
      if (d.name.empty()) return rd.fail(fp + "name", "must not be empty");
      if (const json* params = JsonReader::find(*fn, "parameters"); params != nullptr) {
        if (!object_text(rd, *params, fp + "parameters", d.parameters_json)) return false;
      }
      if (!opt_bool(rd, *fn, "strict", fp, d.strict)) return false;
      r.tools.push_back(std::move(d));
    }
  }
  if (const json* tc = JsonReader::find(body, "tool_choice"); tc != nullptr && !tc->is_null()) {
    if (tc->is_string()) {
      const std::string s = tc->get<std::string>();
      if (s == "none") r.tool_choice.mode = ToolChoice::Mode::kNone;
      else if (s == "auto") r.tool_choice.mode = ToolChoice::Mode::kAuto;
      else if (s == "required") r.tool_choice.mode = ToolChoice::Mode::kRequired;
      else return rd.fail("tool_choice", "unknown value '" + s + "' (expected none, auto, required or an object)");
    } else if (tc->is_object()) {
      const json* fn = JsonReader::find(*tc, "function");
      if (fn == nullptr || !fn->is_object()) return rd.fail("tool_choice.function", fn == nullptr ? "missing" : "expected an object");
      r.tool_choice.mode = ToolChoice::Mode::kFunction;
      if (!rd.req_string(*fn, "name", "tool_choice.function.", r.tool_choice.function_name)) return false;
    } else {
      return rd.fail("tool_choice", "expected a string or an object");
    }
  }
  return opt_bool(rd, body, "parallel_tool_calls", "", r.parallel_tool_calls);
}

bool parse_response_format(JsonReader& rd, const json& body, ChatRequest& r) {
  const json* rf = JsonReader::find(body, "response_format");
  if (rf == nullptr || rf->is_null()) return true;
  if (!rf->is_object()) return rd.fail("response_format", "expected an object");
  std::string type;
  if (!rd.req_string(*rf, "type", "response_format.", type)) return false;
  if (type == "text") {
    r.response_format.kind = ResponseFormat::Kind::kText;
  } else if (type == "json_object") {
    r.response_format.kind = ResponseFormat::Kind::kJsonObject;
  } else if (type == "json_schema") {
    r.response_format.kind = ResponseFormat::Kind::kJsonSchema;
    const json* js = JsonReader::find(*rf, "json_schema");
    if (js == nullptr || !js->is_object()) {
      return rd.fail("response_format.json_schema", js == nullptr ? "missing" : "expected an object");
    }
    if (!rd.req_string(*js, "name", "response_format.json_schema.", r.response_format.schema_name)) return false;
    const json* schema = JsonReader::find(*js, "schema");
    if (schema == nullptr) return rd.fail("response_format.json_schema.schema", "missing");
    if (!object_text(rd, *schema, "response_format.json_schema.schema", r.response_format.schema_json)) return false;
    if (!opt_bool(rd, *js, "strict", "response_format.json_schema.", r.response_format.strict)) return false;
  } else {
    return rd.fail("response_format.type", "unknown value '" + type + "' (expected text, json_object or json_schema)");
  }
  return true;
}

// A dialect's members (RequestExtension): the ones present and not null, as JSON text.
Status read_extension(const json& body, const RequestExtension& ext, InboundRequest& in) {
  std::vector<std::pair<std::string_view, std::string>> members;
  for (std::string_view k : ext.keys) {
    auto it = body.find(std::string(k));
    if (it != body.end() && !it->is_null()) members.emplace_back(k, it->dump());
  }
  if (members.empty() || !ext.read) return Status::Ok();
  return ext.read(members, in);
}

// ploke's own body extension: "ploke": {provider, policy, deadline_ms, priority}.
bool parse_ploke_extension(JsonReader& rd, const json& body, RoutingHints& h) {
  const json* pv = JsonReader::find(body, "ploke");
  if (pv == nullptr || pv->is_null()) return true;
  if (!pv->is_object()) return rd.fail("ploke", "expected an object");
  for (const auto& [k, v] : pv->items()) {
    if (k == "provider" || k == "pin") {
      if (!v.is_string()) return rd.fail("ploke." + k, "expected string");
      h.pin = v.get<std::string>();
    } else if (k == "policy") {
      if (!v.is_string()) return rd.fail("ploke.policy", "expected string");
      h.policy = v.get<std::string>();
    } else if (k == "deadline_ms") {
      if (!v.is_number_integer() || v.get<int64_t>() <= 0) return rd.fail("ploke.deadline_ms", "expected a positive integer");
      h.deadline_ms = v.get<int64_t>();
    } else if (k == "priority") {
      const std::string s = v.is_string() ? v.get<std::string>() : v.is_number_integer() ? v.dump() : "";
      h.priority = parse_priority(s);
      if (!h.priority) return rd.fail("ploke.priority", "expected low, normal, high or critical");
    } else {
      return rd.fail("ploke." + k, "unknown key (expected provider, policy, deadline_ms, priority)");
    }
  }
  return true;
}

// What routing must respect (both paths).
void finish_openai_request(InboundRequest& in) {
  ChatRequest& r = in.request;
  r.meta.required.tools = !r.tools.empty();
  r.meta.required.json_mode = r.response_format.kind == ResponseFormat::Kind::kJsonObject;
  r.meta.required.json_schema = r.response_format.kind == ResponseFormat::Kind::kJsonSchema;
  r.meta.required.streaming = r.stream;
  r.meta.required.logprobs = r.logprobs;
  for (const Message& m : r.messages) {
    for (const ContentPart& p : m.content) r.meta.required.vision = r.meta.required.vision || p.kind == ContentPart::Kind::kImageUrl;
  }
}

// top_k, seed, n (InboundRequest::n; the API's checks bound it to 1–128), logprobs,
// top_logprobs (0–20, likewise checked).
bool parse_choice_options(JsonReader& rd, const json& j, InboundRequest& in) {
  ChatRequest& r = in.request;
  std::optional<int64_t> top_k, seed, n, top_logprobs;
  if (!opt_int(rd, j, "top_k", "", top_k) || !opt_int(rd, j, "seed", "", seed) || !opt_int(rd, j, "n", "", n) ||
      !opt_int(rd, j, "top_logprobs", "", top_logprobs)) {
    return false;
  }
  if (top_k) r.top_k = static_cast<int>(*top_k);
  r.seed = seed;
  if (n) {
    if (*n < 1) return rd.fail("n", "expected an integer of at least 1");
    in.n = static_cast<uint32_t>(*n);
  }
  if (top_logprobs) {
    if (*top_logprobs < 0) return rd.fail("top_logprobs", "expected a non-negative integer");
    r.top_logprobs = static_cast<uint32_t>(*top_logprobs);
  }
  std::optional<bool> logprobs;
  if (!opt_bool(rd, j, "logprobs", "", logprobs)) return false;
  r.logprobs = logprobs.value_or(false);
  return true;
}

// stream_options.include_usage (absent or null: false).
bool parse_stream_options(JsonReader& rd, const json& j, InboundRequest& in) {
  const json* so = JsonReader::find(j, "stream_options");
  if (so == nullptr || so->is_null()) return true;
  if (!so->is_object()) return rd.fail("stream_options", "expected an object");
  std::optional<bool> iu;
  if (!opt_bool(rd, *so, "include_usage", "stream_options.", iu)) return false;
  in.include_usage = iu.value_or(false);
  return true;
}

// Tool messages answer the preceding assistant's tool_calls, every call is answered, and
// tool_choice names a tool that exists (validate_served_chat_request()'s rules).
bool tools_consistent(const ChatRequest& r) {
  std::vector<std::string_view> pending;
  bool tool_allowed = false;
  for (const Message& m : r.messages) {
    if (m.role == Role::kTool) {
      if (!tool_allowed) return false;
      pending.erase(std::remove(pending.begin(), pending.end(), std::string_view(m.tool_call_id)), pending.end());
      continue;
    }
    if (!pending.empty()) return false;
    tool_allowed = m.role == Role::kAssistant && !m.tool_calls.empty();
    for (const ToolCall& c : m.tool_calls) pending.push_back(c.id);
  }
  if (!pending.empty()) return false;
  const ToolChoice& tc = r.tool_choice;
  if ((tc.mode == ToolChoice::Mode::kRequired || tc.mode == ToolChoice::Mode::kFunction) && r.tools.empty()) return false;
  if (tc.mode == ToolChoice::Mode::kFunction && !tc.function_name.empty()) {
    return std::any_of(r.tools.begin(), r.tools.end(), [&](const ToolDefinition& t) { return t.name == tc.function_name; });
  }
  return true;
}

// What the API's validation (validate_served_chat_request()) enforces, on the fast path's
// typed values: anything else goes to the DOM path, which runs it and words the 400.
bool within_api_ranges(const ChatRequest& r) {
  if (r.temperature && !(*r.temperature >= 0.0 && *r.temperature <= 2.0)) return false;
  if (r.top_p && !(*r.top_p >= 0.0 && *r.top_p <= 1.0)) return false;
  if (r.model.empty() || r.messages.empty()) return false;
  for (const ToolDefinition& t : r.tools) {
    if (!inbound::tool_name_ok(t.name)) return false;
  }
  return tools_consistent(r);
}

Result<InboundRequest> parse_openai_impl(std::string_view body, const RequestExtension* ext, ParsePath path) {
  if (path != ParsePath::kDomOnly) {
    InboundRequest fast;
    if (fast_parse_openai(body, ext, fast) && within_api_ranges(fast.request)) {
      finish_openai_request(fast);
      return fast;
    }
    if (path == ParsePath::kFastOnly) return InternalError("fast path declined");
  }
  // The limits guard before the DOM (JsonCursor applies the same limits as it reads, so a
  // body the fast path took needs no second scan).
  if (Status st = ploke::adapters::detail::check_json_input(body); !st.ok()) return InvalidRequestError("body: " + st.message());
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    // Re-parse with exceptions for the byte offset.
    try {
      const json unused = json::parse(body.begin(), body.end());
      (void)unused;
    } catch (const json::parse_error& e) {
      return InvalidRequestError("body: invalid JSON at byte " + std::to_string(e.byte));
    }
    return InvalidRequestError("body: invalid JSON");
  }
  if (!j.is_object()) return InvalidRequestError("body: expected a JSON object");
  // The API's validation first (the simulator's, validate_served_chat_request()), worded as
  // the API words it ("param: message").
  if (auto e = validate_served_chat_request(&j)) {
    return InvalidRequestError(e->param ? *e->param + ": " + e->message : e->message);
  }
  JsonReader rd;
  InboundRequest in;
  ChatRequest& r = in.request;
  auto fail = [&]() -> Result<InboundRequest> { return InvalidRequestError(rd.problem); };
  if (!rd.req_string(j, "model", "", r.model)) return fail();
  if (r.model.empty()) return InvalidRequestError("model: must not be empty");
  const json* msgs = JsonReader::find(j, "messages");
  if (msgs == nullptr) return InvalidRequestError("messages: missing");
  if (!msgs->is_array()) return InvalidRequestError("messages: expected an array");
  if (msgs->empty()) return InvalidRequestError("messages: at least one message is required");
  r.messages.reserve(msgs->size());
  for (size_t i = 0; i < msgs->size(); ++i) {
    Message m;
    if (!parse_message(rd, (*msgs)[i], "messages[" + std::to_string(i) + "]", m)) return fail();
    r.messages.push_back(std::move(m));
  }
  if (!parse_tools(rd, j, r) || !parse_response_format(rd, j, r)) return fail();
  if (!opt_number(rd, j, "temperature", "", r.temperature) || !opt_number(rd, j, "top_p", "", r.top_p) ||
      !opt_number(rd, j, "frequency_penalty", "", r.frequency_penalty) ||
      !opt_number(rd, j, "presence_penalty", "", r.presence_penalty)) {
    return fail();
  }
  if (!parse_choice_options(rd, j, in)) return fail();
  std::optional<uint32_t> max_tokens, max_completion;
  if (!opt_u32(rd, j, "max_tokens", "", max_tokens) || !opt_u32(rd, j, "max_completion_tokens", "", max_completion)) {
    return fail();
  }
  r.max_output_tokens = max_completion ? max_completion : max_tokens;
  if (!string_list(rd, j, "stop", "", r.stop, /*allow_single=*/true)) return fail();
  if (!rd.opt_string(j, "user", "", r.user) || !rd.opt_string(j, "reasoning_effort", "", r.reasoning.effort)) return fail();
  std::optional<bool> stream;
  if (!opt_bool(rd, j, "stream", "", stream)) return fail();
  r.stream = stream.value_or(false);
  if (!parse_stream_options(rd, j, in)) return fail();
  if (ext != nullptr) PLOKE_RETURN_IF_ERROR(read_extension(j, *ext, in));
  if (!parse_ploke_extension(rd, j, in.hints)) return fail();
  finish_openai_request(in);
  return in;
}

}  // namespace

// ------------------------------------------------------------------------------ public

Result<InboundRequest> parse_openai_chat_request(std::string_view body) { return parse_openai_chat_request(body, ParsePath::kAuto); }

Result<InboundRequest> parse_openai_chat_request(std::string_view body, ParsePath path) {
  return parse_openai_chat_request(body, nullptr, path);
}

Result<InboundRequest> parse_openai_chat_request(std::string_view body, const RequestExtension* ext, ParsePath path) {
  try {
    return parse_openai_impl(body, ext, path);
  } catch (const std::exception& e) {
    return InvalidRequestError(std::string("body: ") + e.what());
  }
}

}  // namespace ploke::adapters::openai
