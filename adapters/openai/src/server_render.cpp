// Inbound OpenAI Chat Completions: response, SSE and error
// rendering. See ploke/adapters/inbound.h.
#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include <cstdio>

#include "json_writer.h"
#include "logprobs.h"
#include "ploke/adapters/openai/server.h"
#include "server_internal.h"

namespace ploke::adapters::openai {
namespace {

std::string_view openai_finish(const ChatResponse& r) {
  switch (r.finish_reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kToolCalls: return "tool_calls";
    case FinishReason::kContentFilter: return "content_filter";
    case FinishReason::kError: return "error";
    default: return r.tool_calls.empty() ? "stop" : "tool_calls";
  }
}

std::string_view openai_finish(FinishReason f) {
  switch (f) {
    case FinishReason::kLength: return "length";
    case FinishReason::kToolCalls: return "tool_calls";
    case FinishReason::kContentFilter: return "content_filter";
    case FinishReason::kError: return "error";
    default: return "stop";
  }
}

void write_usage(std::string& o, const Usage& u) {
  o += "{\"prompt_tokens\":";
  json_text::append_uint(o, u.prompt_tokens);
  o += ",\"completion_tokens\":";
  json_text::append_uint(o, u.completion_tokens);
  o += ",\"total_tokens\":";
  json_text::append_uint(o, u.total_tokens != 0 ? u.total_tokens : u.prompt_tokens + u.completion_tokens);
  o += ",\"prompt_tokens_details\":{\"cached_tokens\":";
  json_text::append_uint(o, u.cached_prompt_tokens);
  o += "},\"completion_tokens_details\":{\"reasoning_tokens\":";
  json_text::append_uint(o, u.reasoning_tokens);
  o += '}';
  if (u.reported_cost_usd) {
    o += ",\"cost\":";
    json_text::append_double(o, *u.reported_cost_usd);
  }
  o += '}';
}

// Field path of an inbound 400 ("messages[2].content: …" → "messages[2].content").
std::string param_of(const Status& st) {
  const std::string& m = st.message();
  const size_t c = m.find(": ");
  if (c == std::string::npos || c == 0 || m.find(' ') < c) return {};
  return m.substr(0, c);
}

// What an OpenAI client reads in error.message. The gateway's own request and not-found
// errors (no provider, no upstream status) keep their text, which names the field; everything that came
// from an upstream is worded as OpenAI words it, without upstream text, provider names or
// internal tags (the full status stays in the gateway's trace).
std::string error_message(const Status& st) {
  const bool local = st.provider().empty() && st.http_status() == 0;
  if (local && (st.code() == StatusCode::kInvalidRequest || st.code() == StatusCode::kNotFound)) {
    // "param: Message" (the API's wording after its param, as the DOM parse passes on
    // validate_served_chat_request()'s problems; the API's sentences start with a capital):
    // the API's message alone. ploke's own "path: lower-case detail" stays whole.
    const std::string& m = st.message();
    const std::string param = param_of(st);
    if (!param.empty() && m.size() > param.size() + 2 && std::isupper(static_cast<unsigned char>(m[param.size() + 2])) != 0) {
      return m.substr(param.size() + 2);
    }
    return m;
  }
  return openai_client_error_message(st);
}

// The API's error code for a message worded by check_openai_chat_request(); "" = null.
std::string_view code_of(std::string_view m) {
  static constexpr std::pair<std::string_view, std::string_view> kCodes[] = {
      {": Invalid type for ", "invalid_type"},
      {": Previous response with id '", "previous_response_not_found"},
      {": Missing required parameter", "missing_required_parameter"},
      {": Invalid value: ", "invalid_value"},
      {"': string does not match pattern.", "invalid_value"},
      {"': empty string. ", "empty_string"},
      {"': empty array. ", "empty_array"},
      {"': string too long. ", "string_above_max_length"},
      {"': decimal above maximum value.", "decimal_above_max_value"},
      {"': decimal below minimum value.", "decimal_below_min_value"},
      {"': integer above maximum value.", "integer_above_max_value"},
      {"': integer below minimum value.", "integer_below_min_value"},
  };
  for (const auto& [phrase, code] : kCodes) {
    if (m.find(phrase) != std::string_view::npos) return code;
  }
  return {};
}

void add_retry_headers(const Status& st, Reply& out) {
  if (!st.retry_after()) return;
  const int64_t ms = std::max<int64_t>(0, st.retry_after()->count());
  out.headers.emplace_back("retry-after", std::to_string((ms + 999) / 1000));
  out.headers.emplace_back("retry-after-ms", std::to_string(ms));
}


}  // namespace

namespace {

// One element of choices[]: {"index":k,"message":{…},"logprobs":…,"finish_reason":…}.
void append_choice(std::string& o, const ChatResponse& r, size_t index, const ChatDialect& dialect) {
  o += "{\"index\":";
  json_text::append_uint(o, index);
  o += ",\"message\":{\"role\":\"assistant\",\"content\":";
  if (r.content.empty() && !r.tool_calls.empty()) o += "null";
  else json_text::append_string(o, r.content);
  o += ",\"refusal\":";
  if (r.refusal.empty()) o += "null";
  else json_text::append_string(o, r.refusal);
  if (dialect.write_reasoning != nullptr && !r.reasoning.empty()) dialect.write_reasoning(o, r.reasoning);
  if (!r.tool_calls.empty()) {
    o += ",\"tool_calls\":[";
    for (size_t i = 0; i < r.tool_calls.size(); ++i) {
      const ToolCall& tc = r.tool_calls[i];
      if (i != 0) o += ',';
      o += "{\"id\":";
      json_text::append_string(o, tc.id);
      o += ",\"type\":\"function\",\"function\":{\"name\":";
      json_text::append_string(o, tc.name);
      o += ",\"arguments\":";
      json_text::append_string(o, tc.arguments_json);
      o += "}}";
    }
    o += ']';
  }
  o += "},\"logprobs\":";
  logprobs::append_object(o, r.logprobs);
  o += ",\"finish_reason\":\"";
  o += openai_finish(r);
  o += '"';
  if (!r.native_finish_reason.empty()) {
    o += ",\"native_finish_reason\":";
    json_text::append_string(o, r.native_finish_reason);
  }
  o += '}';
}

}  // namespace

std::string render_openai_chat_completion(const ChatResponse& r, int64_t created, std::string_view fallback_id) {
  return render_openai_chat_completion(std::span<const ChatResponse>(&r, 1), r.usage, created, fallback_id);
}

std::string completion_id(std::string_view local_id) {
  std::string id = "chatcmpl-";
  id += local_id;
  return id;
}

std::string render_openai_chat_completion(std::span<const ChatResponse> choices, const std::optional<Usage>& usage,
                                          int64_t created, std::string_view fallback_id) {
  return render_openai_chat_completion(choices, usage, created, fallback_id, ChatDialect{});
}

std::string render_openai_chat_completion(std::span<const ChatResponse> choices, const std::optional<Usage>& usage,
                                          int64_t created, std::string_view fallback_id, const ChatDialect& dialect) {
  // Written as text (OpenAI's field order); see json_writer.h.
  static const ChatResponse kNone;
  const ChatResponse& r = choices.empty() ? kNone : choices.front();
  std::string o;
  size_t reserve = 320 + r.id.size() + r.model.size();
  for (const ChatResponse& c : choices) reserve += 160 + c.content.size() + c.logprobs.size() * 160;
  o.reserve(reserve);
  o += "{\"id\":";
  if (r.id.empty()) {
    o += "\"chatcmpl-";
    json_text::append_escaped_body(o, fallback_id);
    o += '"';
  } else {
    json_text::append_string(o, r.id);
  }
  o += ",\"object\":\"chat.completion\",\"created\":";
  json_text::append_int(o, created);
  o += ",\"model\":";
  json_text::append_string(o, r.model);
  o += ",\"system_fingerprint\":\"fp_ploke\"";  // OpenRouter's schema requires it; OpenAI sends one
  if (!r.provider.empty()) {
    o += ",\"provider\":";
    json_text::append_string(o, r.provider);
  }
  o += ",\"choices\":[";
  for (size_t k = 0; k < choices.size(); ++k) {
    if (k != 0) o += ',';
    append_choice(o, choices[k], k, dialect);
  }
  o += ']';
  if (usage) {
    o += ",\"usage\":";
    write_usage(o, *usage);
  }
  o += '}';
  return o;
}

int openai_error_http_status(const Status& st) {
  // OpenAI answers overloaded with 503, out of quota with 429, and keeps an upstream 5xx
  // (else 502).
  return inbound::error_http_status(st, inbound::ErrorStatusChoices{503, 429, 502, true});
}

namespace {

// The error object's type, code and param for a Status (OpenAI's, by code).
struct ReplyErrorFields {
  std::string_view type = "server_error";
  std::string_view code;  // "" = null
  std::string param;      // "" = null
};

ReplyErrorFields error_fields(const Status& st) {
  ReplyErrorFields f;
  switch (st.code()) {
    case StatusCode::kRateLimited: f.type = "requests"; f.code = "rate_limit_exceeded"; break;
    case StatusCode::kOverloaded: f.code = "overloaded"; break;
    case StatusCode::kTimeout: f.type = "timeout"; f.code = "timeout"; break;
    case StatusCode::kAuth: f.type = "invalid_request_error"; f.code = "invalid_api_key"; break;
    case StatusCode::kPermission: f.type = "invalid_request_error"; f.code = "permission_denied"; break;
    case StatusCode::kNotFound: f.type = "invalid_request_error"; f.code = "model_not_found"; break;
    case StatusCode::kInvalidRequest: {
      f.type = "invalid_request_error";
      f.param = param_of(st);
      if (st.provider().empty()) f.code = code_of(st.message());
      break;
    }
    case StatusCode::kContextLengthExceeded: f.type = "invalid_request_error"; f.code = "context_length_exceeded"; break;
    case StatusCode::kContentFilter: f.type = "invalid_request_error"; f.code = "content_filter"; break;
    case StatusCode::kInsufficientCredits: f.type = "insufficient_quota"; f.code = "insufficient_quota"; break;
    case StatusCode::kCancelled: f.type = "cancelled"; f.code = "cancelled"; break;
    default: break;
  }
  return f;
}

}  // namespace

WireError openai_wire_error(const Status& st) {
  const ReplyErrorFields f = error_fields(st);
  WireError e{openai_error_http_status(st), error_message(st), std::string(f.type), std::nullopt, std::nullopt};
  if (!f.param.empty()) e.param = f.param;
  if (!f.code.empty()) e.code = std::string(f.code);
  return e;
}

Reply render_openai_error(const Status& st) {
  Reply out;
  out.status = openai_error_http_status(st);
  const ReplyErrorFields f = error_fields(st);
  if (st.code() == StatusCode::kInsufficientCredits) out.headers.emplace_back("x-should-retry", "false");
  if (st.code() == StatusCode::kRateLimited || st.code() == StatusCode::kOverloaded) add_retry_headers(st, out);
  json_text::JsonWriter w(out.body);
  w.begin_object();
  w.key("error").begin_object();
  w.key("message").str(error_message(st));
  w.key("type").str(f.type);
  w.key("param").str_or_null(f.param);
  w.key("code").str_or_null(f.code);
  w.end_object();
  w.end_object();
  return out;
}

std::string render_openai_model(std::string_view id, int64_t created) {
  std::string o;
  json_text::JsonWriter w(o);
  w.begin_object();
  w.key("id");
  w.str(id);
  w.key("object");
  w.str("model");
  w.key("created");
  w.integer(created);
  w.key("owned_by");
  w.str("ploke");
  w.end_object();
  return o;
}

std::string render_openai_models(const std::vector<std::string>& ids, int64_t created) {
  std::string o;
  json_text::JsonWriter w(o);
  w.begin_object();
  w.key("object").str("list");
  w.key("data").begin_array();
  for (const auto& id : ids) {
    w.begin_object();
    w.key("id").str(id);
    w.key("object").str("model");
    w.key("created").integer(created);
    w.key("owned_by").str("ploke");
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return o;
}

// ------------------------------------------------------------------------- SSE writer

OpenAiSseWriter::OpenAiSseWriter(std::string id, std::string model, int64_t created, bool include_usage,
                                 ChatDialect dialect)
    : id_(std::move(id)),
      model_(std::move(model)),
      created_(created),
      include_usage_(include_usage || dialect.always_usage),
      dialect_(dialect) {
  // Every chunk starts the same way: built once.
  prefix_ = "data: {\"id\":";
  json_text::append_string(prefix_, id_);
  prefix_ += ",\"object\":\"chat.completion.chunk\",\"created\":";
  json_text::append_int(prefix_, created_);
  prefix_ += ",\"model\":";
  json_text::append_string(prefix_, model_);
  prefix_ += ",\"choices\":[";
}

const std::string& OpenAiSseWriter::chunk_prefix() const { return prefix_; }

// `{"index":k,` — how each chunk's one choice starts.
void OpenAiSseWriter::open_choice(std::string& o) const {
  o += "{\"index\":";
  json_text::append_uint(o, index_);
  o += ',';
}

void OpenAiSseWriter::begin_choice(uint32_t index) {
  index_ = index;
  sent_role_ = false;
  sent_finish_ = false;
  seen_tools_.clear();
}

std::string OpenAiSseWriter::text_chunk(const StreamEvent& e, const char* tail) {
  std::string o;
  o.reserve(prefix_.size() + e.text.size() + 96 + e.logprobs.size() * 160);
  if (!sent_role_ && !e.logprobs.empty()) {
    // As the API does with logprobs: a role chunk with empty content and empty logprobs
    // first (the SDKs' accumulators start each choice from its first chunk).
    o = chunk_prefix();
    open_choice(o);
    o += "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":{\"content\":[],\"refusal\":null},"
         "\"finish_reason\":null";
    o += tail;
    sent_role_ = true;
  }
  o += chunk_prefix();
  open_choice(o);
  o += "\"delta\":{";
  if (!sent_role_) o += "\"role\":\"assistant\",";
  sent_role_ = true;
  o += "\"content\":";
  json_text::append_string(o, e.text);
  o += "},\"logprobs\":";
  logprobs::append_object(o, e.logprobs);
  o += ",\"finish_reason\":null";
  o += tail;
  return o;
}

// A reasoning delta in the dialect's members, with empty content (as OpenRouter sends it).
std::string OpenAiSseWriter::reasoning_chunk(const StreamEvent& e, const char* tail) {
  std::string o = chunk_prefix();
  open_choice(o);
  o += "\"delta\":{";
  if (!sent_role_) o += "\"role\":\"assistant\",";
  sent_role_ = true;
  o += "\"content\":\"\"";
  dialect_.write_reasoning(o, e.text);
  o += "},\"finish_reason\":null";
  o += tail;
  return o;
}

std::string OpenAiSseWriter::tool_chunk(const StreamEvent& e, const char* tail) {
  std::string o = chunk_prefix();
  open_choice(o);
  o += "\"delta\":{";
  if (!sent_role_) o += "\"role\":\"assistant\",\"content\":null,";
  sent_role_ = true;
  o += "\"tool_calls\":[{\"index\":";
  o += std::to_string(e.tool_index);
  const bool first = std::find(seen_tools_.begin(), seen_tools_.end(), e.tool_index) == seen_tools_.end();
  if (first) {
    seen_tools_.push_back(e.tool_index);
    o += ",\"id\":";
    json_text::append_string(o, e.tool_call_id);
    o += ",\"type\":\"function\",\"function\":{\"name\":";
    json_text::append_string(o, e.tool_name);
    o += ",\"arguments\":";
  } else {
    o += ",\"function\":{\"arguments\":";
  }
  json_text::append_string(o, e.arguments_fragment);
  o += "}}]},\"logprobs\":null,\"finish_reason\":null";
  o += tail;
  return o;
}

std::string OpenAiSseWriter::finish_chunk(FinishReason reason, const char* tail) {
  std::string o;
  if (sent_finish_) return o;
  if (!sent_role_) {
    o = chunk_prefix();
    open_choice(o);
    o += "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null";
    o += tail;
    sent_role_ = true;
  }
  sent_finish_ = true;
  o += chunk_prefix();
  open_choice(o);
  o += "\"delta\":{},\"logprobs\":null,\"finish_reason\":\"";
  o += openai_finish(reason);
  o += "\"";
  o += tail;
  return o;
}

std::string OpenAiSseWriter::event(const StreamEvent& e) {
  // OpenAI marks the chunks of a usage stream with "usage":null; a dialect that always
  // sends usage does not.
  const bool usage_null = include_usage_ && !dialect_.always_usage;
  const char* tail = usage_null ? "}],\"usage\":null}\n\n" : "}]}\n\n";
  switch (e.kind) {
    case StreamEvent::Kind::kTextDelta: return text_chunk(e, tail);
    case StreamEvent::Kind::kToolCallDelta: return tool_chunk(e, tail);
    case StreamEvent::Kind::kReasoningDelta:
      if (dialect_.write_reasoning == nullptr || e.text.empty()) return {};
      return reasoning_chunk(e, tail);
    case StreamEvent::Kind::kUsage:
      usage_ = e.usage;
      return {};
    case StreamEvent::Kind::kFinish: return finish_chunk(e.finish_reason, tail);
    default: return {};
  }
}

std::string OpenAiSseWriter::finish_choice(const ChatResponse& r) {
  if (sent_finish_) return {};
  StreamEvent f;
  f.kind = StreamEvent::Kind::kFinish;
  f.finish_reason = r.finish_reason;
  if (f.finish_reason == FinishReason::kUnknown && !r.tool_calls.empty()) f.finish_reason = FinishReason::kToolCalls;
  return event(f);
}

std::string OpenAiSseWriter::finish(const ChatResponse& final_response) {
  std::string o = finish_choice(final_response);
  if (include_usage_) {
    const Usage u = final_response.usage ? *final_response.usage : usage_.value_or(Usage{});
    o += chunk_prefix();
    o += "],\"usage\":";
    write_usage(o, u);
    o += "}\n\n";
  }
  o += "data: [DONE]\n\n";
  return o;
}

std::string OpenAiSseWriter::error(const Status& st) {
  if (dialect_.write_error_chunk != nullptr) {
    std::string o = chunk_prefix();
    dialect_.write_error_chunk(o, st);
    return o;
  }
  const Reply r = render_openai_error(st);
  return "data: " + r.body + "\n\n";
}

namespace {

std::string seconds_text(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3gs", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

}  // namespace

std::string openai_client_error_message(const Status& st) {
  switch (st.code()) {
    case StatusCode::kRateLimited:
      if (st.retry_after()) return "Rate limit reached for requests. Please try again in " + seconds_text(*st.retry_after()) + ".";
      return "Rate limit reached for requests. Please try again later.";
    case StatusCode::kOverloaded: return "The server is overloaded or not ready yet.";
    case StatusCode::kTimeout: return "Request timed out.";
    case StatusCode::kAuth: return "Incorrect API key provided.";
    case StatusCode::kPermission: return "You are not allowed to access this resource.";
    case StatusCode::kNotFound: return "The model does not exist or you do not have access to it.";
    case StatusCode::kInvalidRequest: return "Invalid request.";
    case StatusCode::kContextLengthExceeded:
      return "This model's maximum context length was exceeded. Please reduce the length of the messages.";
    case StatusCode::kContentFilter: return "Your request was rejected as a result of our safety system.";
    case StatusCode::kInsufficientCredits:
      // No upstream reply: the caller's own spending limit (e.g. the gateway's budgets).
      if (st.http_status() == 0) {
        return "You exceeded your current quota, please check your plan and billing details. "
               "The spending budget that applies to this request is exhausted.";
      }
      return "You exceeded your current quota, please check your plan and billing details.";
    case StatusCode::kCancelled: return "Request cancelled.";
    case StatusCode::kStreamInterrupted:
    case StatusCode::kConnectionReset:
    case StatusCode::kMalformedResponse:
    case StatusCode::kServerError:
    case StatusCode::kInternal:
    default: return "The server had an error while processing your request. Sorry about that!";
  }
}

}  // namespace ploke::adapters::openai
