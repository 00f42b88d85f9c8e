// Inbound Anthropic Messages: request parsing, message, SSE event and error rendering.
// See ploke/adapters/inbound.h.
#include <algorithm>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "json_cursor.h"
#include "json_reader.h"
#include "json_writer.h"
#include "json_guard.h"
#include "ploke/adapters/inbound.h"

namespace ploke::inbound {
namespace {

using nlohmann::json;
using detail::JsonReader;

bool opt_number(JsonReader& rd, const json& obj, const char* key, std::optional<double>& out) {
  const json* v = JsonReader::find(obj, key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_number() || !std::isfinite(v->get<double>())) return rd.fail(key, "expected a number");
  out = v->get<double>();
  return true;
}

// Text of a tool_result's content (string or text blocks).
bool tool_result_text(JsonReader& rd, const json& c, const std::string& path, std::string& out) {
  if (c.is_null()) return true;
  if (c.is_string()) {
    out = c.get<std::string>();
    return true;
  }
  if (!c.is_array()) return rd.fail(path, "expected a string or an array of blocks");
  for (size_t i = 0; i < c.size(); ++i) {
    const std::string bp = path + "[" + std::to_string(i) + "].";
    if (!c[i].is_object()) return rd.fail(path + "[" + std::to_string(i) + "]", "expected an object");
    std::string type, text;
    if (!rd.req_string(c[i], "type", bp, type)) return false;
    if (type != "text") return rd.fail(bp + "type", "unsupported block type '" + type + "' in tool_result (supported: text)");
    if (!rd.req_string(c[i], "text", bp, text)) return false;
    if (!out.empty()) out += "\n";
    out += text;
  }
  return true;
}

bool image_part(JsonReader& rd, const json& b, const std::string& bp, ContentPart& out) {
  const json* src = JsonReader::find(b, "source");
  if (src == nullptr || !src->is_object()) return rd.fail(bp + "source", src == nullptr ? "missing" : "expected an object");
  std::string st;
  if (!rd.req_string(*src, "type", bp + "source.", st)) return false;
  if (st == "url") {
    std::string url;
    if (!rd.req_string(*src, "url", bp + "source.", url)) return false;
    out = ContentPart::Image(std::move(url));
    return true;
  }
  if (st == "base64") {
    std::string media, data;
    if (!rd.req_string(*src, "media_type", bp + "source.", media) || !rd.req_string(*src, "data", bp + "source.", data)) {
      return false;
    }
    out = ContentPart::Image("data:" + media + ";base64," + data);
    return true;
  }
  return rd.fail(bp + "source.type", "unsupported image source '" + st + "' (expected base64 or url)");
}

// One Anthropic message → one or more normalized messages (tool_result blocks become
// tool messages, placed before the turn's other content).
bool parse_message(JsonReader& rd, const json& mj, const std::string& path, std::vector<Message>& out) {
  if (!mj.is_object()) return rd.fail(path, "expected an object");
  const std::string p = path + ".";
  std::string role;
  if (!rd.req_string(mj, "role", p, role)) return false;
  Message m;
  if (role == "user") m.role = Role::kUser;
  else if (role == "assistant") m.role = Role::kAssistant;
  else if (role == "system") m.role = Role::kSystem;
  else return rd.fail(p + "role", "unsupported role '" + role + "' (expected user or assistant)");
  const json* c = JsonReader::find(mj, "content");
  if (c == nullptr) return rd.fail(p + "content", "missing");
  if (c->is_string()) {
    m.content.push_back(ContentPart::Text(c->get<std::string>()));
    out.push_back(std::move(m));
    return true;
  }
  if (!c->is_array()) return rd.fail(p + "content", "expected a string or an array of blocks");
  std::vector<Message> tool_results;
  for (size_t i = 0; i < c->size(); ++i) {
    const json& b = (*c)[i];
    const std::string bp = p + "content[" + std::to_string(i) + "].";
    if (!b.is_object()) return rd.fail(p + "content[" + std::to_string(i) + "]", "expected an object");
    std::string type;
    if (!rd.req_string(b, "type", bp, type)) return false;
    if (type == "text") {
      std::string text;
      if (!rd.req_string(b, "text", bp, text)) return false;
      m.content.push_back(ContentPart::Text(std::move(text)));
    } else if (type == "image") {
      ContentPart part;
      if (!image_part(rd, b, bp, part)) return false;
      m.content.push_back(std::move(part));
    } else if (type == "tool_use") {
      if (m.role != Role::kAssistant) return rd.fail(bp + "type", "tool_use blocks belong to assistant turns");
      ToolCall tc;
      if (!rd.req_string(b, "id", bp, tc.id) || !rd.req_string(b, "name", bp, tc.name)) return false;
      const json* input = JsonReader::find(b, "input");
      if (input == nullptr) return rd.fail(bp + "input", "missing");
      if (!input->is_object()) return rd.fail(bp + "input", "expected an object");
      tc.arguments_json = input->dump();
      m.tool_calls.push_back(std::move(tc));
    } else if (type == "tool_result") {
      if (m.role != Role::kUser) return rd.fail(bp + "type", "tool_result blocks belong to user turns");
      Message t;
      t.role = Role::kTool;
      if (!rd.req_string(b, "tool_use_id", bp, t.tool_call_id)) return false;
      std::string text;
      if (const json* tc = JsonReader::find(b, "content"); tc != nullptr) {
        if (!tool_result_text(rd, *tc, bp + "content", text)) return false;
      }
      if (const json* e = JsonReader::find(b, "is_error"); e != nullptr && e->is_boolean() && e->get<bool>()) {
        text = "Error: " + text;
      }
      t.content.push_back(ContentPart::Text(std::move(text)));
      tool_results.push_back(std::move(t));
    } else if (type == "thinking" || type == "redacted_thinking") {
      continue;  // not carried by the normalized request
    } else {
      return rd.fail(bp + "type", "unsupported block type '" + type + "' (supported: text, image, tool_use, tool_result)");
    }
  }
  for (auto& t : tool_results) out.push_back(std::move(t));
  if (!m.content.empty() || !m.tool_calls.empty() || tool_results.empty()) out.push_back(std::move(m));
  return true;
}

Result<InboundRequest> parse_impl(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) {
    try {
      const json unused = json::parse(body.begin(), body.end());
      (void)unused;
    } catch (const json::parse_error& e) {
      return InvalidRequestError("body: invalid JSON at byte " + std::to_string(e.byte));
    }
    return InvalidRequestError("body: invalid JSON");
  }
  if (!j.is_object()) return InvalidRequestError("body: expected a JSON object");
  JsonReader rd;
  InboundRequest in;
  ChatRequest& r = in.request;
  auto fail = [&]() -> Result<InboundRequest> { return InvalidRequestError(rd.problem); };
  if (!rd.req_string(j, "model", "", r.model)) return fail();
  if (r.model.empty()) return InvalidRequestError("model: must not be empty");
  const json* mt = JsonReader::find(j, "max_tokens");
  if (mt == nullptr) return InvalidRequestError("max_tokens: Field required");
  if (!mt->is_number_integer() || mt->get<int64_t>() <= 0 || mt->get<int64_t>() > 0xFFFFFFFFLL) {
    return InvalidRequestError("max_tokens: expected a positive integer");
  }
  r.max_output_tokens = static_cast<uint32_t>(mt->get<int64_t>());
  // system: string or text blocks.
  if (const json* sys = JsonReader::find(j, "system"); sys != nullptr && !sys->is_null()) {
    if (sys->is_string()) {
      r.messages.push_back(Message::System(sys->get<std::string>()));
    } else if (sys->is_array()) {
      for (size_t i = 0; i < sys->size(); ++i) {
        const std::string bp = "system[" + std::to_string(i) + "].";
        if (!(*sys)[i].is_object()) return InvalidRequestError("system[" + std::to_string(i) + "]: expected an object");
        std::string type, text;
        if (!rd.req_string((*sys)[i], "type", bp, type)) return fail();
        if (type != "text") return InvalidRequestError(bp + "type: expected text");
        if (!rd.req_string((*sys)[i], "text", bp, text)) return fail();
        r.messages.push_back(Message::System(std::move(text)));
      }
    } else {
      return InvalidRequestError("system: expected a string or an array of text blocks");
    }
  }
  const json* msgs = JsonReader::find(j, "messages");
  if (msgs == nullptr) return InvalidRequestError("messages: Field required");
  if (!msgs->is_array()) return InvalidRequestError("messages: expected an array");
  if (msgs->empty()) return InvalidRequestError("messages: at least one message is required");
  for (size_t i = 0; i < msgs->size(); ++i) {
    if (!parse_message(rd, (*msgs)[i], "messages[" + std::to_string(i) + "]", r.messages)) return fail();
  }
  // tools
  if (const json* tools = JsonReader::find(j, "tools"); tools != nullptr && !tools->is_null()) {
    if (!tools->is_array()) return InvalidRequestError("tools: expected an array");
    for (size_t i = 0; i < tools->size(); ++i) {
      const json& t = (*tools)[i];
      const std::string tp = "tools[" + std::to_string(i) + "].";
      if (!t.is_object()) return InvalidRequestError("tools[" + std::to_string(i) + "]: expected an object");
      std::string type;
      if (!rd.opt_string(t, "type", tp, type)) return fail();
      if (!type.empty() && type != "custom") {
        return InvalidRequestError(tp + "type: server tool '" + type + "' is not supported by the gateway");
      }
      ToolDefinition d;
      if (!rd.req_string(t, "name", tp, d.name) || !rd.opt_string(t, "description", tp, d.description)) return fail();
      const json* schema = JsonReader::find(t, "input_schema");
      if (schema == nullptr) return InvalidRequestError(tp + "input_schema: Field required");
      if (!schema->is_object()) return InvalidRequestError(tp + "input_schema: expected an object");
      d.parameters_json = schema->dump();
      r.tools.push_back(std::move(d));
    }
  }
  if (const json* tc = JsonReader::find(j, "tool_choice"); tc != nullptr && !tc->is_null()) {
    if (!tc->is_object()) return InvalidRequestError("tool_choice: expected an object");
    std::string type;
    if (!rd.req_string(*tc, "type", "tool_choice.", type)) return fail();
    if (type == "auto") r.tool_choice.mode = ToolChoice::Mode::kAuto;
    else if (type == "any") r.tool_choice.mode = ToolChoice::Mode::kRequired;
    else if (type == "none") r.tool_choice.mode = ToolChoice::Mode::kNone;
    else if (type == "tool") {
      r.tool_choice.mode = ToolChoice::Mode::kFunction;
      if (!rd.req_string(*tc, "name", "tool_choice.", r.tool_choice.function_name)) return fail();
    } else {
      return InvalidRequestError("tool_choice.type: unknown value '" + type + "' (expected auto, any, tool or none)");
    }
    if (const json* d = JsonReader::find(*tc, "disable_parallel_tool_use"); d != nullptr && !d->is_null()) {
      if (!d->is_boolean()) return InvalidRequestError("tool_choice.disable_parallel_tool_use: expected true or false");
      if (d->get<bool>()) r.parallel_tool_calls = false;
    }
  }
  if (!opt_number(rd, j, "temperature", r.temperature) || !opt_number(rd, j, "top_p", r.top_p)) return fail();
  if (const json* tk = JsonReader::find(j, "top_k"); tk != nullptr && !tk->is_null()) {
    if (!tk->is_number_integer()) return InvalidRequestError("top_k: expected an integer");
    r.top_k = tk->get<int>();
  }
  if (const json* ss = JsonReader::find(j, "stop_sequences"); ss != nullptr && !ss->is_null()) {
    if (!ss->is_array()) return InvalidRequestError("stop_sequences: expected an array of strings");
    for (size_t i = 0; i < ss->size(); ++i) {
      if (!(*ss)[i].is_string()) return InvalidRequestError("stop_sequences[" + std::to_string(i) + "]: expected string");
      r.stop.push_back((*ss)[i].get<std::string>());
    }
  }
  if (const json* md = JsonReader::find(j, "metadata"); md != nullptr && md->is_object()) {
    if (!rd.opt_string(*md, "user_id", "metadata.", r.user)) return fail();
  }
  if (const json* s = JsonReader::find(j, "stream"); s != nullptr && !s->is_null()) {
    if (!s->is_boolean()) return InvalidRequestError("stream: expected true or false");
    r.stream = s->get<bool>();
  }
  // ploke's body extension (same as on the OpenAI route).
  if (const json* pv = JsonReader::find(j, "ploke"); pv != nullptr && !pv->is_null()) {
    if (!pv->is_object()) return InvalidRequestError("ploke: expected an object");
    for (const auto& [k, v] : pv->items()) {
      if ((k == "provider" || k == "pin") && v.is_string()) in.hints.pin = v.get<std::string>();
      else if (k == "policy" && v.is_string()) in.hints.policy = v.get<std::string>();
      else if (k == "deadline_ms" && v.is_number_integer() && v.get<int64_t>() > 0) in.hints.deadline_ms = v.get<int64_t>();
      else if (k == "priority" && (in.hints.priority = parse_priority(v.is_string() ? v.get<std::string>() : v.dump()))) {}
      else return InvalidRequestError("ploke." + k + ": unknown key or bad value (expected provider, policy, deadline_ms, priority)");
    }
  }
  r.meta.required.tools = !r.tools.empty();
  r.meta.required.streaming = r.stream;
  for (const Message& m : r.messages) {
    for (const ContentPart& p : m.content) r.meta.required.vision = r.meta.required.vision || p.kind == ContentPart::Kind::kImageUrl;
  }
  return in;
}

// `finish` overrides r.finish_reason when r's is unknown (streams: the finish event's).
std::string_view stop_reason(const ChatResponse& r, FinishReason finish = FinishReason::kUnknown) {
  static constexpr std::string_view kNative[] = {"end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal"};
  for (std::string_view n : kNative) {
    if (r.native_finish_reason == n) return n;
  }
  switch (r.finish_reason == FinishReason::kUnknown ? finish : r.finish_reason) {
    case FinishReason::kLength: return "max_tokens";
    case FinishReason::kToolCalls: return "tool_use";
    case FinishReason::kContentFilter: return "refusal";
    default: return r.tool_calls.empty() ? "end_turn" : "tool_use";
  }
}

void write_usage(std::string& o, const std::optional<Usage>& u, uint64_t input_fallback) {
  uint64_t input = input_fallback, output = 0, cache_write = 0, cache_read = 0;
  if (u) {
    const uint64_t cached = u->cached_prompt_tokens + u->cache_write_tokens;
    input = u->prompt_tokens > cached ? u->prompt_tokens - cached : 0;
    output = u->completion_tokens;
    cache_write = u->cache_write_tokens;
    cache_read = u->cached_prompt_tokens;
  }
  o += "{\"input_tokens\":";
  json_text::append_uint(o, input);
  o += ",\"output_tokens\":";
  json_text::append_uint(o, output);
  o += ",\"cache_creation_input_tokens\":";
  json_text::append_uint(o, cache_write);
  o += ",\"cache_read_input_tokens\":";
  json_text::append_uint(o, cache_read);
  o += '}';
}

// A tool call's arguments as a tool_use `input` object: the JSON object as sent (compacted),
// {} when empty, {"_raw_arguments": text} when not a JSON object.
void write_tool_input(std::string& o, const std::string& args) {
  if (args.empty()) {
    o += "{}";
    return;
  }
  size_t b = 0, e = args.size();
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (b < e && ws(args[b])) ++b;
  while (e > b && ws(args[e - 1])) --e;
  const std::string_view t(args.data() + b, e - b);
  json_fast::JsonCursor c(t);
  if (!t.empty() && t.front() == '{' && c.skip_value() && c.at_end()) {  // fast path
    json_text::append_compact(o, t);
    return;
  }
  json v = json::parse(args, nullptr, false);
  if (v.is_discarded() || !v.is_object()) {
    o += "{\"_raw_arguments\":";
    json_text::append_string(o, args);
    o += '}';
    return;
  }
  o += v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string error_message(const Status& st) {
  std::string msg = st.message();
  if (!st.provider().empty() || st.http_status() != 0) {
    msg += " (";
    if (!st.provider().empty()) msg += "provider=" + st.provider();
    if (st.http_status() != 0) {
      if (!st.provider().empty()) msg += ' ';
      msg += "upstream_http=";
      msg += std::to_string(st.http_status());
    }
    msg += ")";
  }
  return msg;
}

std::string_view error_type(const Status& st) {
  switch (st.code()) {
    case StatusCode::kRateLimited: return "rate_limit_error";
    case StatusCode::kOverloaded: return "overloaded_error";
    case StatusCode::kTimeout: return "timeout_error";
    case StatusCode::kAuth: return "authentication_error";
    case StatusCode::kPermission: return "permission_error";
    case StatusCode::kNotFound: return "not_found_error";
    case StatusCode::kInvalidRequest:
    case StatusCode::kContextLengthExceeded:
    case StatusCode::kContentFilter: return "invalid_request_error";
    case StatusCode::kInsufficientCredits: return "billing_error";
    case StatusCode::kCancelled: return "cancelled";
    default: return "api_error";
  }
}

// {"type":"error","error":{"type":…,"message":…}[,"request_id":…]}
std::string error_body(const Status& st, std::string_view request_id) {
  std::string o = "{\"type\":\"error\",\"error\":{\"type\":\"";
  o += error_type(st);
  o += "\",\"message\":";
  json_text::append_string(o, error_message(st));
  o += '}';
  if (!request_id.empty()) {
    o += ",\"request_id\":";
    json_text::append_string(o, request_id);
  }
  o += '}';
  return o;
}

}  // namespace

Result<InboundRequest> parse_anthropic_messages_request(std::string_view body) {
  if (Status st = ploke::detail::check_json_input(body); !st.ok()) return InvalidRequestError("body: " + st.message());
  try {
    return parse_impl(body);
  } catch (const std::exception& e) {
    return InvalidRequestError(std::string("body: ") + e.what());
  }
}

std::string render_anthropic_message(const ChatResponse& r, std::string_view fallback_id) {
  // Written as text (the Messages API's field order); see json_writer.h.
  std::string o;
  o.reserve(256 + r.content.size() + r.id.size() + r.model.size());
  o += "{\"id\":\"";
  if (r.id.rfind("msg_", 0) == 0) {
    json_text::append_escaped_body(o, r.id);
  } else {
    o += "msg_";
    json_text::append_escaped_body(o, r.id.empty() ? fallback_id : std::string_view(r.id));
  }
  o += "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":";
  json_text::append_string(o, r.model);
  o += ",\"content\":[";
  bool first = true;
  if (!r.content.empty()) {
    o += "{\"type\":\"text\",\"text\":";
    json_text::append_string(o, r.content);
    o += '}';
    first = false;
  }
  for (const ToolCall& tc : r.tool_calls) {
    if (!first) o += ',';
    first = false;
    o += "{\"type\":\"tool_use\",\"id\":";
    json_text::append_string(o, tc.id);
    o += ",\"name\":";
    json_text::append_string(o, tc.name);
    o += ",\"input\":";
    write_tool_input(o, tc.arguments_json);
    o += '}';
  }
  o += "],\"stop_reason\":\"";
  o += stop_reason(r);
  o += "\",\"stop_sequence\":null,\"usage\":";
  write_usage(o, r.usage, 0);
  o += '}';
  return o;
}

int anthropic_error_http_status(const Status& st) {
  switch (st.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kRateLimited: return 429;
    case StatusCode::kOverloaded: return 529;
    case StatusCode::kServerError: {
      const int h = st.http_status();
      return h == 502 || h == 503 ? h : 500;
    }
    case StatusCode::kTimeout: return 504;
    case StatusCode::kConnectionReset:
    case StatusCode::kMalformedResponse:
    case StatusCode::kStreamInterrupted: return 502;
    case StatusCode::kAuth: return 401;
    case StatusCode::kPermission: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kInvalidRequest:
    case StatusCode::kContextLengthExceeded:
    case StatusCode::kContentFilter: return 400;
    case StatusCode::kInsufficientCredits: return 402;
    case StatusCode::kCancelled: return 499;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

Reply render_anthropic_error(const Status& st, std::string_view request_id) {
  Reply out;
  out.status = anthropic_error_http_status(st);
  if ((st.code() == StatusCode::kRateLimited || st.code() == StatusCode::kOverloaded) && st.retry_after()) {
    const int64_t ms = std::max<int64_t>(0, st.retry_after()->count());
    out.headers.emplace_back("retry-after", std::to_string((ms + 999) / 1000));
    out.headers.emplace_back("retry-after-ms", std::to_string(ms));
  }
  if (st.code() == StatusCode::kInsufficientCredits) out.headers.emplace_back("x-should-retry", "false");
  out.body = error_body(st, request_id);
  return out;
}

std::string render_anthropic_models(const std::vector<std::string>& ids) {
  std::string o;
  json_text::JsonWriter w(o);
  w.begin_object();
  w.key("data").begin_array();
  for (const auto& id : ids) {
    w.begin_object();
    w.key("type").str("model");
    w.key("id").str(id);
    w.key("display_name").str(id);
    w.key("created_at").str("2025-01-01T00:00:00Z");
    w.end_object();
  }
  w.end_array();
  w.key("has_more").boolean(false);
  w.key("first_id");
  if (ids.empty()) w.null(); else w.str(ids.front());
  w.key("last_id");
  if (ids.empty()) w.null(); else w.str(ids.back());
  w.end_object();
  return o;
}

// ------------------------------------------------------------------------- SSE writer

AnthropicSseWriter::AnthropicSseWriter(std::string id, std::string model, uint64_t input_tokens_estimate)
    : id_(std::move(id)), model_(std::move(model)), input_tokens_(input_tokens_estimate) {}

std::string AnthropicSseWriter::start_if_needed() {
  if (started_) return {};
  started_ = true;
  std::string o = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":";
  json_text::append_string(o, id_);
  o += ",\"type\":\"message\",\"role\":\"assistant\",\"model\":";
  json_text::append_string(o, model_);
  o += ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":";
  json_text::append_uint(o, input_tokens_);
  o += ",\"output_tokens\":1,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}}\n\n"
       "event: ping\ndata: {\"type\":\"ping\"}\n\n";
  return o;
}

std::string AnthropicSseWriter::close_block() {
  if (!block_open_) return {};
  block_open_ = false;
  return "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":" + std::to_string(block_index_) + "}\n\n";
}

std::string AnthropicSseWriter::event(const StreamEvent& e) {
  std::string o;
  switch (e.kind) {
    case StreamEvent::Kind::kTextDelta: {
      o = start_if_needed();
      if (!block_open_ || !block_is_text_) {
        o += close_block();
        ++block_index_;
        block_open_ = true;
        block_is_text_ = true;
        o += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":" + std::to_string(block_index_) +
             ",\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
      }
      o += "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":";
      o += std::to_string(block_index_);
      o += ",\"delta\":{\"type\":\"text_delta\",\"text\":";
      json_text::append_string(o, e.text);
      o += "}}\n\n";
      return o;
    }
    case StreamEvent::Kind::kToolCallDelta: {
      o = start_if_needed();
      if (!block_open_ || block_is_text_ || block_tool_ != static_cast<int64_t>(e.tool_index)) {
        o += close_block();
        ++block_index_;
        block_open_ = true;
        block_is_text_ = false;
        block_tool_ = e.tool_index;
        o += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":";
        json_text::append_int(o, block_index_);
        o += ",\"content_block\":{\"type\":\"tool_use\",\"id\":";
        json_text::append_string(o, e.tool_call_id);
        o += ",\"name\":";
        json_text::append_string(o, e.tool_name);
        o += ",\"input\":{}}}\n\n";
      }
      if (!e.arguments_fragment.empty()) {
        o += "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":";
        o += std::to_string(block_index_);
        o += ",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":";
        json_text::append_string(o, e.arguments_fragment);
        o += "}}\n\n";
      }
      return o;
    }
    case StreamEvent::Kind::kUsage:
      usage_ = e.usage;
      return o;
    case StreamEvent::Kind::kFinish:
      finish_ = e.finish_reason;
      return o;
    default:
      return o;
  }
}

std::string AnthropicSseWriter::finish(const ChatResponse& final_response) {
  if (finished_) return {};
  finished_ = true;
  std::string o = start_if_needed();
  o += close_block();
  const std::optional<Usage>& u = final_response.usage ? final_response.usage : usage_;
  o += "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"";
  o += stop_reason(final_response, finish_);
  o += "\",\"stop_sequence\":null},\"usage\":";
  write_usage(o, u, input_tokens_);
  o += "}\n\n";
  o += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  return o;
}

std::string AnthropicSseWriter::error(const Status& st) {
  finished_ = true;
  return "event: error\ndata: " + error_body(st, {}) + "\n\n";
}

}  // namespace ploke::inbound
