// Messages bodies, SSE events, error bodies, ModelInfo and headers for messages a server makes
// up itself, and the writers the gateway's renderer shares. See ploke/adapters/anthropic/render.h.
#include "ploke/adapters/anthropic/render.h"

#include <chrono>
#include <cstdio>
#include <utility>

#include "render_internal.h"

namespace ploke::adapters::anthropic {
namespace detail {

using json_text::append_int;
using json_text::append_string;
using json_text::append_uint;

void append_usage(std::string& o, const UsageCounts& u, bool delta) {
  o += "{\"input_tokens\":";
  append_uint(o, u.input);
  o += ",\"cache_creation_input_tokens\":";
  append_uint(o, u.cache_write);
  o += ",\"cache_read_input_tokens\":";
  append_uint(o, u.cache_read);
  if (!delta) {
    const uint64_t one_hour = u.cache_write_1h < u.cache_write ? u.cache_write_1h : u.cache_write;
    o += ",\"cache_creation\":{\"ephemeral_5m_input_tokens\":";
    append_uint(o, u.cache_write - one_hour);
    o += ",\"ephemeral_1h_input_tokens\":";
    append_uint(o, one_hour);
    o += '}';
  }
  o += ",\"output_tokens\":";
  append_uint(o, u.output);
  // Keys the SDK's Usage / MessageDeltaUsage types require (nullable: null when unknown).
  o += delta ? ",\"output_tokens_details\":null,\"server_tool_use\":null}"
             : ",\"output_tokens_details\":null,\"server_tool_use\":null,\"service_tier\":\"standard\","
               "\"inference_geo\":null,\"speed\":null}";
}

void append_event_head(std::string& o, std::string_view name) {
  o += "event: ";
  o += name;
  o += "\ndata: ";
}

void append_message_start(std::string& o, std::string_view id, std::string_view model, const UsageCounts& u) {
  o += "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":";
  append_string(o, id);
  o += ",\"type\":\"message\",\"role\":\"assistant\",\"model\":";
  append_string(o, model);
  o += ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"stop_details\":null,\"container\":null,"
       "\"usage\":";
  append_usage(o, u, false);
  o += ",\"diagnostics\":null}}\n\n";
}

void append_ping(std::string& o) { o += "event: ping\ndata: {\"type\":\"ping\"}\n\n"; }

void append_text_block_start(std::string& o, int64_t index) {
  o += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":";
  append_int(o, index);
  o += ",\"content_block\":{\"type\":\"text\",\"text\":\"\",\"citations\":[]}}\n\n";
}

// content_block_delta at `index` whose delta is {"type": type, field: value}.
void append_block_delta(std::string& o, int64_t index, std::string_view type, std::string_view field,
                        std::string_view value) {
  o += "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":";
  append_int(o, index);
  o += ",\"delta\":{\"type\":\"";
  o += type;
  o += "\",\"";
  o += field;
  o += "\":";
  append_string(o, value);
  o += "}}\n\n";
}

void append_text_delta(std::string& o, int64_t index, std::string_view text) {
  append_block_delta(o, index, "text_delta", "text", text);
}

void append_tool_block_start(std::string& o, int64_t index, std::string_view id, std::string_view name) {
  o += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":";
  append_int(o, index);
  o += ",\"content_block\":{\"type\":\"tool_use\",\"id\":";
  append_string(o, id);
  o += ",\"name\":";
  append_string(o, name);
  o += ",\"input\":{},\"caller\":{\"type\":\"direct\"}}}\n\n";
}

void append_input_json_delta(std::string& o, int64_t index, std::string_view fragment) {
  append_block_delta(o, index, "input_json_delta", "partial_json", fragment);
}

void append_thinking_block_start(std::string& o, int64_t index) {
  o += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":";
  append_int(o, index);
  o += ",\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n";
}

void append_thinking_delta(std::string& o, int64_t index, std::string_view thinking) {
  append_block_delta(o, index, "thinking_delta", "thinking", thinking);
}

void append_signature_delta(std::string& o, int64_t index, std::string_view signature) {
  append_block_delta(o, index, "signature_delta", "signature", signature);
}

void append_redacted_thinking_block_start(std::string& o, int64_t index, std::string_view data) {
  o += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":";
  append_int(o, index);
  o += ",\"content_block\":{\"type\":\"redacted_thinking\",\"data\":";
  append_string(o, data);
  o += "}}\n\n";
}

void append_block_stop(std::string& o, int64_t index) {
  o += "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":";
  append_int(o, index);
  o += "}\n\n";
}

void append_message_end(std::string& o, std::string_view stop_reason, const std::optional<std::string>& stop_sequence,
                        const UsageCounts& u) {
  o += "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":";
  append_string(o, stop_reason);
  o += ",\"stop_sequence\":";
  if (stop_sequence) append_string(o, *stop_sequence);
  else o += "null";
  o += ",\"stop_details\":null,\"container\":null},\"usage\":";
  append_usage(o, u, true);
  o += "}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
}

void append_text_block(std::string& o, std::string_view text) {
  o += "{\"type\":\"text\",\"text\":";
  append_string(o, text);
  o += ",\"citations\":[]}";
}

void append_thinking_block(std::string& o, const WireThinking& t) {
  if (t.redacted) {
    o += "{\"type\":\"redacted_thinking\",\"data\":";
    append_string(o, t.data);
    o += '}';
    return;
  }
  std::string text;
  for (const auto& p : t.tokens) text += p;
  o += "{\"type\":\"thinking\",\"thinking\":";
  append_string(o, text);
  o += ",\"signature\":";
  append_string(o, t.signature);
  o += '}';
}

void append_tool_use_block(std::string& o, std::string_view id, std::string_view name, std::string_view input_json) {
  o += "{\"type\":\"tool_use\",\"id\":";
  append_string(o, id);
  o += ",\"name\":";
  append_string(o, name);
  o += ",\"input\":";
  o += input_json;
  o += ",\"caller\":{\"type\":\"direct\"}}";
}

void write_model(json_text::JsonWriter& w, const WireModel& m) {
  w.begin_object();
  w.key("type").str("model");
  w.key("id").str(m.id);
  w.key("display_name").str(m.display_name);
  w.key("created_at").str(m.created_at);
  w.key("capabilities").null();
  w.key("deprecated_at").null();
  w.key("lifecycle").str("active");
  w.key("line");
  if (m.line) w.str(*m.line);
  else w.null();
  w.key("max_input_tokens").null();
  w.key("max_tokens").null();
  w.key("retires_at").null();
  w.end_object();
}

}  // namespace detail

namespace {

using detail::UsageCounts;

std::string_view stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::kMaxTokens: return "max_tokens";
    case StopReason::kStopSequence: return "stop_sequence";
    case StopReason::kToolUse: return "tool_use";
    case StopReason::kEndTurn: break;
  }
  return "end_turn";
}

UsageCounts usage_of(const WireMessage& m, uint64_t output) {
  return UsageCounts{m.input_tokens, output, m.cache_write_tokens, m.cache_read_tokens, m.cache_write_1h_tokens};
}

std::string joined(const std::vector<std::string>& tokens) {
  size_t n = 0;
  for (const auto& t : tokens) n += t.size();
  std::string s;
  s.reserve(n);
  for (const auto& t : tokens) s += t;
  return s;
}

}  // namespace

std::string render_message(const WireMessage& m) {
  std::string o;
  o.reserve(320 + m.model.size() + m.tokens.size() * 10);
  o += "{\"id\":";
  json_text::append_string(o, m.id);
  o += ",\"type\":\"message\",\"role\":\"assistant\",\"model\":";
  json_text::append_string(o, m.model);
  o += ",\"content\":[";
  bool first = true;
  if (m.thinking) {
    detail::append_thinking_block(o, *m.thinking);
    first = false;
  }
  if (!m.tokens.empty()) {
    if (!first) o += ',';
    detail::append_text_block(o, joined(m.tokens));
    first = false;
  }
  for (const WireToolUse& t : m.tool_uses) {
    if (!first) o += ',';
    first = false;
    detail::append_tool_use_block(o, t.id, t.name, t.input);
  }
  o += "],\"stop_reason\":";
  json_text::append_string(o, stop_reason_name(m.stop_reason));
  o += ",\"stop_sequence\":";
  if (m.stop_sequence) json_text::append_string(o, *m.stop_sequence);
  else o += "null";
  o += ",\"stop_details\":null,\"container\":null,\"usage\":";
  detail::append_usage(o, usage_of(m, m.output_tokens), false);
  o += ",\"diagnostics\":null}";
  return o;
}

std::vector<WireEvent> render_message_events(const WireMessage& m) {
  std::vector<WireEvent> out;
  size_t n = m.tokens.size() + 6 + (m.thinking ? m.thinking->tokens.size() + 4 : 0);
  for (const auto& t : m.tool_uses) n += t.fragments.size() + 4;
  out.reserve(n);
  auto add = [&](auto write, bool paced = false) {
    out.push_back(WireEvent{{}, paced});
    write(out.back().bytes);
  };
  add([&](std::string& o) { detail::append_message_start(o, m.id, m.model, usage_of(m, 1)); });
  int64_t index = 0;
  bool pinged = false;
  auto ping_once = [&] {
    if (!pinged) add(detail::append_ping);
    pinged = true;
  };
  if (m.thinking && m.thinking->redacted) {
    add([&](std::string& o) { detail::append_redacted_thinking_block_start(o, index, m.thinking->data); });
    ping_once();
    add([&](std::string& o) { detail::append_block_stop(o, index); });
    ++index;
  } else if (m.thinking) {
    add([&](std::string& o) { detail::append_thinking_block_start(o, index); });
    ping_once();
    for (const auto& t : m.thinking->tokens) {
      add([&](std::string& o) { detail::append_thinking_delta(o, index, t); }, true);
    }
    add([&](std::string& o) { detail::append_signature_delta(o, index, m.thinking->signature); });
    add([&](std::string& o) { detail::append_block_stop(o, index); });
    ++index;
  }
  if (!m.tokens.empty()) {
    add([&](std::string& o) { detail::append_text_block_start(o, index); });
    ping_once();
    for (const auto& t : m.tokens) add([&](std::string& o) { detail::append_text_delta(o, index, t); }, true);
    add([&](std::string& o) { detail::append_block_stop(o, index); });
    ++index;
  }
  for (const WireToolUse& c : m.tool_uses) {
    add([&](std::string& o) { detail::append_tool_block_start(o, index, c.id, c.name); });
    ping_once();
    add([&](std::string& o) { detail::append_input_json_delta(o, index, ""); });
    for (const auto& f : c.fragments) add([&](std::string& o) { detail::append_input_json_delta(o, index, f); }, true);
    add([&](std::string& o) { detail::append_block_stop(o, index); });
    ++index;
  }
  // message_delta and message_stop: two events.
  std::string end;
  detail::append_message_end(end, stop_reason_name(m.stop_reason), m.stop_sequence, usage_of(m, m.output_tokens));
  const size_t split = end.find("event: message_stop");
  out.push_back(WireEvent{end.substr(0, split), false});
  out.push_back(WireEvent{end.substr(split), false});
  return out;
}

std::string_view truncated_delta_event() {
  return "event: content_block_delta\n"
         "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"tru\n\n";
}

std::string_view error_type_for_status(int status) {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 402: return "billing_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 408:
    case 504: return "timeout_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 529: return "overloaded_error";
    default: return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

std::string error_body(const WireError& e, std::string_view request_id) {
  std::string o = "{\"type\":\"error\",\"error\":{\"type\":";
  json_text::append_string(o, e.type);
  o += ",\"message\":";
  json_text::append_string(o, e.message);
  if (!e.detail_code.empty()) {
    o += ",\"details\":{\"error_code\":";
    json_text::append_string(o, e.detail_code);
    o += '}';
  }
  o += "},\"request_id\":";
  if (request_id.empty()) o += "null";
  else json_text::append_string(o, request_id);
  o += '}';
  return o;
}

std::string sse_error_event(const WireError& e, std::string_view request_id) {
  std::string o;
  detail::append_event_head(o, "error");
  o += error_body(e, request_id);
  o += "\n\n";
  return o;
}

std::string render_model_info(const WireModel& m) {
  std::string o;
  json_text::JsonWriter w(o);
  detail::write_model(w, m);
  return o;
}

std::string render_models_page(const std::vector<WireModel>& models) {
  std::string o;
  json_text::JsonWriter w(o);
  w.begin_object();
  w.key("data").begin_array();
  for (const WireModel& m : models) detail::write_model(w, m);
  w.end_array();
  w.key("has_more").boolean(false);
  w.key("first_id");
  if (models.empty()) w.null();
  else w.str(models.front().id);
  w.key("last_id");
  if (models.empty()) w.null();
  else w.str(models.back().id);
  w.end_object();
  return o;
}

Headers response_headers(std::string_view content_type, std::string_view request_id,
                         std::string_view organization_id, const RateLimitWindow& w) {
  Headers h;
  h.add("content-type", std::string(content_type));
  h.add("request-id", std::string(request_id));
  h.add("anthropic-organization-id", std::string(organization_id));
  for (const auto& [family, f] : {std::pair<std::string_view, const RateLimitFamily*>{"requests", &w.requests},
                                  {"tokens", &w.tokens},
                                  {"input-tokens", &w.input_tokens},
                                  {"output-tokens", &w.output_tokens}}) {
    const std::string base = "anthropic-ratelimit-" + std::string(family) + "-";
    h.add(base + "limit", std::to_string(f->limit));
    h.add(base + "remaining", std::to_string(f->remaining));
    h.add(base + "reset", format_rfc3339(f->reset));
  }
  return h;
}

std::string format_rfc3339(int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_seconds tp{seconds(unix_seconds)};
  const sys_days day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> hms{tp - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long long>(hms.hours().count()), static_cast<long long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()));
  return buf;
}

}  // namespace ploke::adapters::anthropic
