// OpenAiAdapter::build_request: ChatRequest → Chat Completions JSON. A small hand-written
// writer (instead of building an nlohmann DOM) keeps field order stable and shaping cheap.
#include <charconv>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "ploke/json/cursor.h"
#include "json_writer.h"
#include "internal.h"
#include "ploke/adapters/openai/adapter.h"

namespace ploke::adapters::openai {
namespace {

using json_text::JsonWriter;

std::string_view trim_ws(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

/// Validates that `text` is a JSON object; returns an error naming `path_fn()` otherwise.
template <typename PathFn>
Status check_json_object(std::string_view text, PathFn&& path_fn) {
  const std::string_view t = trim_ws(text);
  ploke::json::JsonCursor c(t);
  if (!t.empty() && t.front() == '{' && c.skip_value() && c.at_end()) return Status::Ok();  // fast path
  const std::string path = path_fn();
  if (nlohmann::json::accept(t.begin(), t.end())) {
    if (t.front() == '{') return Status::Ok();
    return InvalidRequestError(path + ": expected a JSON object");
  }
  try {
    const nlohmann::json unused = nlohmann::json::parse(t.begin(), t.end());
    (void)unused;
  } catch (const nlohmann::json::parse_error& e) {
    return InvalidRequestError(path + ": invalid JSON at byte " + std::to_string(e.byte));
  } catch (const std::exception&) {
  }
  return InvalidRequestError(path + ": invalid JSON");
}

// What the request writer adds for OpenRouter (OpenAiAdapter::Options::router_members).
struct RouterMembers {
  bool on = false;
};

void write_cache_control(JsonWriter& w, CacheControl c) {
  w.key("cache_control").begin_object();
  w.key("type").str("ephemeral");
  if (c == CacheControl::kEphemeral1h) w.key("ttl").str("1h");
  w.end_object();
}

void write_content(JsonWriter& w, const Message& m, RouterMembers router) {
  if (m.content.empty()) {
    if (m.role == Role::kAssistant) w.null(); else w.str("");
    return;
  }
  if (m.content.size() == 1 && m.content[0].kind == ContentPart::Kind::kText &&
      !(router.on && m.content[0].cache != CacheControl::kNone)) {
    w.str(m.content[0].text);
    return;
  }
  w.begin_array();
  for (const ContentPart& p : m.content) {
    w.begin_object();
    if (p.kind == ContentPart::Kind::kText) {
      w.key("type").str("text");
      w.key("text").str(p.text);
    } else {
      w.key("type").str("image_url");
      w.key("image_url").begin_object();
      w.key("url").str(p.image_url);
      if (!p.image_detail.empty()) w.key("detail").str(p.image_detail);
      w.end_object();
    }
    if (router.on && p.cache != CacheControl::kNone) write_cache_control(w, p.cache);
    w.end_object();
  }
  w.end_array();
}

// An assistant message's reasoning blocks as OpenRouter takes them back: signed text and
// encrypted entries in order.
void write_reasoning_details(JsonWriter& w, const Message& m) {
  w.key("reasoning_details").begin_array();
  for (size_t i = 0; i < m.reasoning_blocks.size(); ++i) {
    const ReasoningBlock& b = m.reasoning_blocks[i];
    w.begin_object();
    if (b.kind == ReasoningBlock::Kind::kRedacted) {
      w.key("type").str("reasoning.encrypted");
      w.key("data").str(b.data);
    } else {
      w.key("type").str("reasoning.text");
      w.key("text").str(b.text);
      if (!b.signature.empty()) w.key("signature").str(b.signature);
    }
    w.key("index").integer(static_cast<int64_t>(i));
    w.end_object();
  }
  w.end_array();
}

Status write_messages(JsonWriter& w, const std::vector<Message>& messages, RouterMembers router) {
  w.key("messages").begin_array();
  for (size_t i = 0; i < messages.size(); ++i) {
    const Message& m = messages[i];
    auto path = [i] { return "messages[" + std::to_string(i) + "]"; };  // only built on error
    if (!m.tool_calls.empty() && m.role != Role::kAssistant) {
      return InvalidRequestError(path() + ".tool_calls: only assistant messages carry tool calls");
    }
    if (m.role == Role::kTool && m.tool_call_id.empty()) {
      return InvalidRequestError(path() + ".tool_call_id: required for role tool");
    }
    for (const ContentPart& p : m.content) {
      if (p.kind == ContentPart::Kind::kImageUrl && p.image_url.empty()) {
        return InvalidRequestError(path() + ".content: image part without url");
      }
    }
    w.begin_object();
    w.key("role").str(role_name(m.role));
    w.key("content");
    write_content(w, m, router);
    if (!m.name.empty()) w.key("name").str(m.name);
    if (router.on && m.role == Role::kAssistant && !m.reasoning_blocks.empty()) write_reasoning_details(w, m);
    if (!m.tool_calls.empty()) {
      w.key("tool_calls").begin_array();
      for (const ToolCall& tc : m.tool_calls) {
        w.begin_object();
        w.key("id").str(tc.id);
        w.key("type").str("function");
        w.key("function").begin_object();
        w.key("name").str(tc.name);
        w.key("arguments").str(tc.arguments_json);
        w.end_object();
        w.end_object();
      }
      w.end_array();
    }
    if (m.role == Role::kTool) w.key("tool_call_id").str(m.tool_call_id);
    w.end_object();
  }
  w.end_array();
  return Status::Ok();
}

Status write_tools(JsonWriter& w, const ChatRequest& r) {
  if (!r.tools.empty()) {
    w.key("tools").begin_array();
    for (size_t i = 0; i < r.tools.size(); ++i) {
      const ToolDefinition& t = r.tools[i];
      auto path = [i] { return "tools[" + std::to_string(i) + "]"; };  // only built on error
      if (t.name.empty()) return InvalidRequestError(path() + ".name: required");
      w.begin_object();
      w.key("type").str("function");
      w.key("function").begin_object();
      w.key("name").str(t.name);
      if (!t.description.empty()) w.key("description").str(t.description);
      if (!trim_ws(t.parameters_json).empty()) {
        PLOKE_RETURN_IF_ERROR(check_json_object(t.parameters_json, [&] { return path() + ".parameters"; }));
        w.key("parameters").raw(trim_ws(t.parameters_json));
      }
      if (t.strict) w.key("strict").boolean(*t.strict);
      w.end_object();
      w.end_object();
    }
    w.end_array();
  }
  switch (r.tool_choice.mode) {
    case ToolChoice::Mode::kUnset: break;
    case ToolChoice::Mode::kNone: w.key("tool_choice").str("none"); break;
    case ToolChoice::Mode::kAuto: w.key("tool_choice").str("auto"); break;
    case ToolChoice::Mode::kRequired: w.key("tool_choice").str("required"); break;
    case ToolChoice::Mode::kFunction:
      if (r.tool_choice.function_name.empty()) {
        return InvalidRequestError("tool_choice.function.name: required");
      }
      w.key("tool_choice").begin_object();
      w.key("type").str("function");
      w.key("function").begin_object();
      w.key("name").str(r.tool_choice.function_name);
      w.end_object();
      w.end_object();
      break;
  }
  if (r.parallel_tool_calls) w.key("parallel_tool_calls").boolean(*r.parallel_tool_calls);
  return Status::Ok();
}

Status write_response_format(JsonWriter& w, const ResponseFormat& f) {
  switch (f.kind) {
    case ResponseFormat::Kind::kUnset: return Status::Ok();
    case ResponseFormat::Kind::kText:
      w.key("response_format").begin_object();
      w.key("type").str("text");
      w.end_object();
      return Status::Ok();
    case ResponseFormat::Kind::kJsonObject:
      w.key("response_format").begin_object();
      w.key("type").str("json_object");
      w.end_object();
      return Status::Ok();
    case ResponseFormat::Kind::kJsonSchema:
      if (f.schema_name.empty()) return InvalidRequestError("response_format.json_schema.name: required");
      PLOKE_RETURN_IF_ERROR(check_json_object(f.schema_json, [] { return std::string("response_format.json_schema.schema"); }));
      w.key("response_format").begin_object();
      w.key("type").str("json_schema");
      w.key("json_schema").begin_object();
      w.key("name").str(f.schema_name);
      w.key("schema").raw(trim_ws(f.schema_json));
      if (f.strict) w.key("strict").boolean(*f.strict);
      w.end_object();
      w.end_object();
      return Status::Ok();
  }
  return Status::Ok();
}

void write_sampling(JsonWriter& w, const ChatRequest& r, bool legacy_max_tokens) {
  if (r.temperature) w.key("temperature").number(*r.temperature);
  if (r.top_p) w.key("top_p").number(*r.top_p);
  if (r.frequency_penalty) w.key("frequency_penalty").number(*r.frequency_penalty);
  if (r.presence_penalty) w.key("presence_penalty").number(*r.presence_penalty);
  if (r.max_output_tokens) {
    w.key(legacy_max_tokens ? "max_tokens" : "max_completion_tokens").integer(*r.max_output_tokens);
  }
  if (!r.stop.empty()) {
    w.key("stop").begin_array();
    for (const std::string& s : r.stop) w.str(s);
    w.end_array();
  }
  if (r.seed) w.key("seed").integer(*r.seed);
  if (!r.user.empty()) w.key("user").str(r.user);
  if (r.logprobs) {
    w.key("logprobs").boolean(true);
    if (r.top_logprobs) w.key("top_logprobs").integer(*r.top_logprobs);
  }
  if (r.stream) {
    w.key("stream").boolean(true);
    w.key("stream_options").begin_object();
    w.key("include_usage").boolean(true);
    w.end_object();
  }
}

size_t estimate_body_size(const ChatRequest& r) {
  size_t n = 256 + r.model.size();
  for (const Message& m : r.messages) {
    n += 64 + m.name.size() + m.tool_call_id.size();
    for (const ContentPart& p : m.content) n += 32 + p.text.size() + p.image_url.size();
    for (const ToolCall& tc : m.tool_calls) n += 64 + tc.id.size() + tc.name.size() + tc.arguments_json.size();
  }
  for (const ToolDefinition& t : r.tools) n += 96 + t.name.size() + t.description.size() + t.parameters_json.size();
  return n + r.response_format.schema_json.size();
}

// OpenAI's reasoning model families (the API 400s `reasoning_effort` for the others).
bool openai_reasoning_model(std::string_view model) {
  if (model.rfind("openai/", 0) == 0) model.remove_prefix(7);
  for (std::string_view p : {"o1", "o3", "o4", "gpt-5", "codex"}) {
    if (model.rfind(p, 0) == 0) return true;
  }
  return false;
}

Result<HttpRequest> build_request_impl(const ChatRequest& r, const Endpoint& ep, bool legacy_max_tokens,
                                       RouterMembers router, bool effort_models_only) {
  if (r.model.empty()) return InvalidRequestError("model: required");
  if (r.messages.empty()) return InvalidRequestError("messages: at least one message is required");
  HttpRequest http = openai_post_request(ep, "/chat/completions", r.stream);

  std::string& body = http.body;
  body.reserve(estimate_body_size(r));
  JsonWriter w(body);
  w.begin_object();
  w.key("model").str(r.model);
  PLOKE_RETURN_IF_ERROR(write_messages(w, r.messages, router));
  PLOKE_RETURN_IF_ERROR(write_tools(w, r));
  PLOKE_RETURN_IF_ERROR(write_response_format(w, r.response_format));
  write_sampling(w, r, legacy_max_tokens);
  // Chat completions have `reasoning_effort` only; the rest of ReasoningOptions is dropped
  // (reasoning models reason regardless and the API never returns the reasoning text).
  if (!r.reasoning.effort.empty() && r.reasoning.mode != ReasoningOptions::Mode::kDisabled &&
      (!effort_models_only || openai_reasoning_model(r.model))) {
    w.key("reasoning_effort").str(r.reasoning.effort);
  }
  w.end_object();
  return http;
}

}  // namespace

HttpRequest openai_post_request(const Endpoint& ep, std::string_view path, bool stream) {
  HttpRequest http;
  http.method = "POST";
  http.base_url = ep.base_url;
  while (!http.base_url.empty() && http.base_url.back() == '/') http.base_url.pop_back();
  http.path = std::string(path);
  http.expect_stream = stream;
  if (!ep.api_key.empty()) http.headers.add("Authorization", "Bearer " + ep.api_key.reveal());
  http.headers.add("Content-Type", "application/json");
  http.headers.add("Accept", stream ? "text/event-stream" : "application/json");
  for (const auto& [name, value] : ep.extra_headers.items()) http.headers.set(name, value);
  return http;
}

Result<HttpRequest> OpenAiAdapter::build_request(const ChatRequest& request, const Endpoint& endpoint) const {
  try {
    return build_request_impl(request, endpoint, options_.legacy_max_tokens, RouterMembers{options_.router_members},
                              options_.effort_for_reasoning_models_only);
  } catch (const std::exception& e) {
    return InternalError(std::string("openai build_request: ") + e.what());
  }
}

}  // namespace ploke::adapters::openai
