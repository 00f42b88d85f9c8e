// AnthropicAdapter::build_request: ChatRequest → Messages JSON. Plain text conversations
// are written directly (JsonWriter); the rest is built as an ordered_json DOM (insertion
// order = wire order, so bodies are stable), which also validates the embedded
// schemas/arguments. Both give the same bytes for the same request.
#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "json_writer.h"
#include "ploke/adapters/anthropic/adapter.h"

namespace ploke::adapters::anthropic {
namespace {

using OJson = nlohmann::ordered_json;

std::string_view trim_ws(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

/// Parses `text` as a JSON object (empty → `{}` when allow_empty); errors name `path`.
Result<OJson> parse_object(std::string_view text, const std::string& path, bool allow_empty) {
  const std::string_view t = trim_ws(text);
  if (t.empty()) {
    if (allow_empty) return OJson::object();
    return InvalidRequestError(path + ": empty");
  }
  OJson v;
  try {
    v = OJson::parse(t.begin(), t.end());
  } catch (const nlohmann::json::parse_error& e) {
    return InvalidRequestError(path + ": invalid JSON at byte " + std::to_string(e.byte));
  }
  if (!v.is_object()) return InvalidRequestError(path + ": expected a JSON object");
  return v;
}

/// "data:image/png;base64,AAAA" → {type:base64, media_type, data}; http(s) → {type:url}.
Result<OJson> image_block(const ContentPart& p, const std::string& path) {
  const std::string& url = p.image_url;
  if (url.empty()) return InvalidRequestError(path + ": image part without url");
  OJson source = OJson::object();
  if (url.rfind("data:", 0) == 0) {
    const size_t comma = url.find(',');
    const std::string_view meta = std::string_view(url).substr(5, comma == std::string::npos ? 0 : comma - 5);
    const std::string_view suffix = ";base64";
    if (comma == std::string::npos || meta.size() <= suffix.size() ||
        meta.substr(meta.size() - suffix.size()) != suffix) {
      return InvalidRequestError(path + ": data URL must be base64 (data:<media type>;base64,<data>)");
    }
    source["type"] = "base64";
    source["media_type"] = std::string(meta.substr(0, meta.size() - suffix.size()));
    source["data"] = url.substr(comma + 1);
  } else {
    source["type"] = "url";
    source["url"] = url;
  }
  OJson b = OJson::object();
  b["type"] = "image";
  b["source"] = std::move(source);
  return b;
}

/// `cache_control` on a block (a tool, a system or content block, the body) for a breakpoint.
void put_cache_control(OJson& holder, CacheControl c) {
  if (c == CacheControl::kNone) return;
  OJson cc = OJson{{"type", "ephemeral"}};
  if (c == CacheControl::kEphemeral1h) cc["ttl"] = "1h";
  holder["cache_control"] = std::move(cc);
}

/// A block list that may be written as a plain string: one text block, no breakpoint.
bool one_plain_text(const OJson& blocks) {
  return blocks.size() == 1 && blocks[0]["type"] == "text" && !blocks[0].contains("cache_control");
}

Status append_parts(const Message& m, const std::string& path, OJson& blocks) {
  for (const ContentPart& p : m.content) {
    if (p.kind == ContentPart::Kind::kText) {
      if (p.text.empty()) continue;
      blocks.push_back(OJson{{"type", "text"}, {"text", p.text}});
    } else {
      PLOKE_ASSIGN_OR_RETURN(OJson img, image_block(p, path + ".content"));
      blocks.push_back(std::move(img));
    }
    put_cache_control(blocks.back(), p.cache);
  }
  return Status::Ok();
}

/// A tool message's breakpoint goes on its tool_result block.
CacheControl message_cache(const Message& m) {
  CacheControl c = CacheControl::kNone;
  for (const ContentPart& p : m.content) c = std::max(c, p.cache);
  return c;
}

/// A system message's text: one block, or one per part when a part carries a breakpoint.
void append_system(const Message& m, OJson& system) {
  if (message_cache(m) == CacheControl::kNone) {
    const std::string text = m.text();
    if (!text.empty()) system.push_back(OJson{{"type", "text"}, {"text", text}});
    return;
  }
  for (const ContentPart& p : m.content) {
    if (p.text.empty()) continue;
    system.push_back(OJson{{"type", "text"}, {"text", p.text}});
    put_cache_control(system.back(), p.cache);
  }
}

// An assistant message's reasoning blocks, before its content, as the API returned them.
void append_reasoning_blocks(const Message& m, OJson& blocks) {
  for (const ReasoningBlock& rb : m.reasoning_blocks) {
    if (rb.kind == ReasoningBlock::Kind::kRedacted) {
      blocks.push_back(OJson{{"type", "redacted_thinking"}, {"data", rb.data}});
    } else {
      blocks.push_back(OJson{{"type", "thinking"}, {"thinking", rb.text}, {"signature", rb.signature}});
    }
  }
}

// An effort alone (OpenAI's vocabulary) as a thinking budget: minimal / low 1024, medium
// 2048, high 4096, xhigh 8192, max 16384, kept below max_tokens as the API requires; 0 (no
// thinking) for "none", an unknown effort, or a max_tokens that leaves less than the API's
// minimum budget of 1024.
uint32_t effort_budget(std::string_view effort, uint32_t max_tokens) {
  const uint32_t want = effort == "minimal" || effort == "low" ? 1024
                        : effort == "medium"                   ? 2048
                        : effort == "high"                     ? 4096
                        : effort == "xhigh"                    ? 8192
                        : effort == "max"                      ? 16384
                                                               : 0;
  const uint32_t budget = std::min(want, max_tokens > 0 ? max_tokens - 1 : 0);
  return budget >= 1024 ? budget : 0;
}

// `thinking` from the normalized reasoning options (see ReasoningOptions for the mapping).
Status write_thinking(const ReasoningOptions& o, uint32_t max_tokens, bool sampling_set, OJson& body) {
  if (o.exclude) return InvalidRequestError("reasoning.exclude: not supported by the Anthropic Messages API");
  using Mode = ReasoningOptions::Mode;
  if (o.mode == Mode::kUnset && !o.budget_tokens) {
    // The API refuses thinking beside temperature / top_k: an effort (a preference) then yields.
    if (const uint32_t b = effort_budget(o.effort, max_tokens); b > 0 && !sampling_set) {
      body["thinking"] = OJson{{"type", "enabled"}, {"budget_tokens", b}};
    }
    return Status::Ok();
  }
  if (o.mode == Mode::kDisabled || o.mode == Mode::kAdaptive) {
    if (o.budget_tokens) return InvalidRequestError("reasoning.budget_tokens: only with reasoning enabled");
    body["thinking"] = OJson{{"type", o.mode == Mode::kDisabled ? "disabled" : "adaptive"}};
    return Status::Ok();
  }
  if (!o.budget_tokens) return InvalidRequestError("reasoning.budget_tokens: required by the Anthropic Messages API");
  body["thinking"] = OJson{{"type", "enabled"}, {"budget_tokens", *o.budget_tokens}};
  return Status::Ok();
}

struct Turn {
  std::string role;  // "user" | "assistant"
  OJson blocks = OJson::array();
};

Status build_turns(const std::vector<Message>& messages, OJson& system, std::vector<Turn>& turns) {
  for (size_t i = 0; i < messages.size(); ++i) {
    const Message& m = messages[i];
    const std::string path = "messages[" + std::to_string(i) + "]";
    if (!m.tool_calls.empty() && m.role != Role::kAssistant) {
      return InvalidRequestError(path + ".tool_calls: only assistant messages carry tool calls");
    }
    if (m.role == Role::kSystem || m.role == Role::kDeveloper) {
      for (const ContentPart& p : m.content) {
        if (p.kind != ContentPart::Kind::kText) {
          return InvalidRequestError(path + ".content: system messages take text only");
        }
      }
      append_system(m, system);
      continue;
    }
    OJson blocks = OJson::array();
    std::string role = "user";
    if (m.role == Role::kTool) {
      if (m.tool_call_id.empty()) return InvalidRequestError(path + ".tool_call_id: required for role tool");
      OJson content = OJson::array();
      PLOKE_RETURN_IF_ERROR(append_parts(m, path, content));
      for (OJson& b : content) b.erase("cache_control");
      OJson block = OJson::object();
      block["type"] = "tool_result";
      block["tool_use_id"] = m.tool_call_id;
      if (one_plain_text(content)) block["content"] = content[0]["text"];
      else block["content"] = std::move(content);
      put_cache_control(block, message_cache(m));
      blocks.push_back(std::move(block));
    } else {
      role = m.role == Role::kAssistant ? "assistant" : "user";
      if (m.role == Role::kAssistant) append_reasoning_blocks(m, blocks);
      PLOKE_RETURN_IF_ERROR(append_parts(m, path, blocks));
      for (size_t j = 0; j < m.tool_calls.size(); ++j) {
        const ToolCall& tc = m.tool_calls[j];
        const std::string tp = path + ".tool_calls[" + std::to_string(j) + "]";
        if (tc.id.empty()) return InvalidRequestError(tp + ".id: required");
        if (tc.name.empty()) return InvalidRequestError(tp + ".name: required");
        PLOKE_ASSIGN_OR_RETURN(OJson input, parse_object(tc.arguments_json, tp + ".arguments", true));
        OJson block = OJson::object();
        block["type"] = "tool_use";
        block["id"] = tc.id;
        block["name"] = tc.name;
        block["input"] = std::move(input);
        blocks.push_back(std::move(block));
      }
    }
    if (blocks.empty()) {
      return InvalidRequestError(path + ".content: empty (the Messages API rejects empty turns)");
    }
    if (!turns.empty() && turns.back().role == role) {
      // Merge; tool results lead a user turn, as the API requires.
      OJson& dst = turns.back().blocks;
      for (auto& b : blocks) dst.push_back(std::move(b));
      if (role == "user") {
        OJson ordered = OJson::array();
        for (auto& b : dst) if (b["type"] == "tool_result") ordered.push_back(b);
        for (auto& b : dst) if (b["type"] != "tool_result") ordered.push_back(b);
        dst = std::move(ordered);
      }
    } else {
      turns.push_back(Turn{role, std::move(blocks)});
    }
  }
  return Status::Ok();
}

Status write_tools(const ChatRequest& r, OJson& body) {
  if (!r.tools.empty()) {
    OJson tools = OJson::array();
    for (size_t i = 0; i < r.tools.size(); ++i) {
      const ToolDefinition& t = r.tools[i];
      const std::string path = "tools[" + std::to_string(i) + "]";
      if (t.name.empty()) return InvalidRequestError(path + ".name: required");
      OJson tool = OJson::object();
      tool["name"] = t.name;
      if (!t.description.empty()) tool["description"] = t.description;
      PLOKE_ASSIGN_OR_RETURN(OJson schema, parse_object(t.parameters_json, path + ".parameters", true));
      if (!schema.contains("type")) schema["type"] = "object";
      tool["input_schema"] = std::move(schema);
      put_cache_control(tool, t.cache);
      tools.push_back(std::move(tool));
    }
    body["tools"] = std::move(tools);
  }
  const bool no_parallel = r.parallel_tool_calls && !*r.parallel_tool_calls;
  OJson choice = OJson::object();
  switch (r.tool_choice.mode) {
    case ToolChoice::Mode::kUnset:
      if (no_parallel && !r.tools.empty()) choice["type"] = "auto";
      break;
    case ToolChoice::Mode::kNone: choice["type"] = "none"; break;
    case ToolChoice::Mode::kAuto: choice["type"] = "auto"; break;
    case ToolChoice::Mode::kRequired: choice["type"] = "any"; break;
    case ToolChoice::Mode::kFunction:
      if (r.tool_choice.function_name.empty()) return InvalidRequestError("tool_choice.function.name: required");
      choice["type"] = "tool";
      choice["name"] = r.tool_choice.function_name;
      break;
  }
  if (!choice.empty()) {
    if (no_parallel && choice["type"] != "none") choice["disable_parallel_tool_use"] = true;
    body["tool_choice"] = std::move(choice);
  }
  return Status::Ok();
}

// ---- The plain-request fast path ----
// Text-only conversations without tools (what most traffic is) are written straight to
// text with JsonWriter, producing the same bytes as the ordered_json DOM below: same key
// order, and dump()'s escaping, which JsonWriter reproduces for valid UTF-8. Anything
// else — tools, images, tool calls/results, turns that merge or come out empty, a
// system-only conversation, invalid UTF-8 (dump() throws: the error stays the DOM path's)
// — returns false and the DOM path handles it.

bool plain_request(const ChatRequest& r) {
  if (!r.tools.empty() || r.tool_choice.mode != ToolChoice::Mode::kUnset) return false;
  if (r.reasoning.set() || r.cache != CacheControl::kNone) return false;
  bool any_turn = false;
  Role prev = Role::kSystem;
  for (const Message& m : r.messages) {
    if (!m.tool_calls.empty() || !m.reasoning_blocks.empty()) return false;
    for (const ContentPart& p : m.content) {
      if (p.kind != ContentPart::Kind::kText || p.cache != CacheControl::kNone) return false;
    }
    if (m.role == Role::kSystem || m.role == Role::kDeveloper) continue;
    if (m.role != Role::kUser && m.role != Role::kAssistant) return false;
    if (any_turn && m.role == prev) return false;  // the DOM path merges the two turns
    bool text = false;
    for (const ContentPart& p : m.content) text = text || !p.text.empty();
    if (!text) return false;  // an empty turn: the DOM path reports it
    any_turn = true;
    prev = m.role;
  }
  return any_turn;
}

// "messages": every non-system message, its text as one string or as text blocks.
template <typename Check>
void write_messages(json_text::JsonWriter& w, const ChatRequest& r, Check& checked) {
  w.key("messages").begin_array();
  for (const Message& m : r.messages) {
    if (m.role == Role::kSystem || m.role == Role::kDeveloper) continue;
    w.begin_object();
    w.key("role").str(m.role == Role::kAssistant ? "assistant" : "user");
    size_t blocks = 0;
    const std::string* only = nullptr;
    for (const ContentPart& p : m.content) {
      if (p.text.empty()) continue;
      ++blocks;
      only = &p.text;
    }
    if (blocks == 1) {
      w.key("content").str(checked(*only));
    } else {
      w.key("content").begin_array();
      for (const ContentPart& p : m.content) {
        if (p.text.empty()) continue;
        w.begin_object();
        w.key("type").str("text");
        w.key("text").str(checked(p.text));
        w.end_object();
      }
      w.end_array();
    }
    w.end_object();
  }
  w.end_array();
}

// False (and `out` unspecified) when a string is not valid UTF-8.
bool write_plain_body(const ChatRequest& r, const AnthropicAdapter::Options& o, std::string& out) {
  bool ok = true;
  auto checked = [&ok](std::string_view s) {
    ok = ok && ploke::json::is_valid_utf8(s);
    return s;
  };
  size_t need = 160 + r.model.size();
  std::vector<std::string> system;
  for (const Message& m : r.messages) {
    for (const ContentPart& p : m.content) need += 40 + p.text.size();
    if (m.role != Role::kSystem && m.role != Role::kDeveloper) continue;
    std::string text = m.text();
    if (!text.empty()) system.push_back(std::move(text));
  }
  out.reserve(need);
  json_text::JsonWriter w(out);
  w.begin_object();
  w.key("model").str(checked(r.model));
  w.key("max_tokens").uinteger(r.max_output_tokens ? *r.max_output_tokens : o.default_max_tokens);
  if (system.size() == 1) {
    w.key("system").str(checked(system[0]));
  } else if (!system.empty()) {
    w.key("system").begin_array();
    for (const std::string& t : system) {
      w.begin_object();
      w.key("type").str("text");
      w.key("text").str(checked(t));
      w.end_object();
    }
    w.end_array();
  }
  write_messages(w, r, checked);
  // Doubles in dump()'s own format (it differs from to_chars for whole numbers: 1.0).
  if (r.temperature) w.key("temperature").raw(OJson(*r.temperature).dump());
  if (r.top_p) w.key("top_p").raw(OJson(*r.top_p).dump());
  if (r.top_k) w.key("top_k").integer(*r.top_k);
  if (!r.stop.empty()) {
    w.key("stop_sequences").begin_array();
    for (const std::string& s : r.stop) w.str(checked(s));
    w.end_array();
  }
  if (!r.user.empty()) {
    w.key("metadata").begin_object();
    w.key("user_id").str(checked(r.user));
    w.end_object();
  }
  if (r.stream) w.key("stream").boolean(true);
  w.end_object();
  return ok;
}

Result<HttpRequest> build_request_impl(const ChatRequest& r, const Endpoint& ep,
                                       const AnthropicAdapter::Options& o) {
  if (r.model.empty()) return InvalidRequestError("model: required");
  if (r.messages.empty()) return InvalidRequestError("messages: at least one message is required");
  if (r.logprobs) return InvalidRequestError("logprobs: not supported by the Anthropic Messages API");
  if (r.response_format.kind == ResponseFormat::Kind::kJsonObject ||
      r.response_format.kind == ResponseFormat::Kind::kJsonSchema) {
    return InvalidRequestError("response_format: JSON modes are not supported by the Anthropic Messages API");
  }
  HttpRequest http;
  http.method = "POST";
  http.base_url = ep.base_url;
  while (!http.base_url.empty() && http.base_url.back() == '/') http.base_url.pop_back();
  const std::string_view base = http.base_url;
  http.path = (base.size() >= 3 && base.substr(base.size() - 3) == "/v1") ? "/messages" : "/v1/messages";
  http.expect_stream = r.stream;
  if (!ep.api_key.empty()) http.headers.add("x-api-key", ep.api_key.reveal());
  http.headers.add("anthropic-version", o.version);
  http.headers.add("content-type", "application/json");
  http.headers.add("accept", r.stream ? "text/event-stream" : "application/json");
  for (const auto& [name, value] : ep.extra_headers.items()) http.headers.set(name, value);

  if (plain_request(r)) {
    if (write_plain_body(r, o, http.body)) return http;
    http.body.clear();
  }

  OJson system = OJson::array();
  std::vector<Turn> turns;
  PLOKE_RETURN_IF_ERROR(build_turns(r.messages, system, turns));
  if (turns.empty()) return InvalidRequestError("messages: no user or assistant message (system alone)");

  OJson body = OJson::object();
  body["model"] = r.model;
  body["max_tokens"] = r.max_output_tokens ? *r.max_output_tokens : o.default_max_tokens;
  if (one_plain_text(system)) body["system"] = system[0]["text"];
  else if (!system.empty()) body["system"] = std::move(system);
  OJson msgs = OJson::array();
  for (Turn& t : turns) {
    OJson m = OJson::object();
    m["role"] = t.role;
    if (one_plain_text(t.blocks)) m["content"] = t.blocks[0]["text"];
    else m["content"] = std::move(t.blocks);
    msgs.push_back(std::move(m));
  }
  body["messages"] = std::move(msgs);
  PLOKE_RETURN_IF_ERROR(write_tools(r, body));
  PLOKE_RETURN_IF_ERROR(write_thinking(r.reasoning, body["max_tokens"].get<uint32_t>(),
                                       r.temperature.has_value() || r.top_k.has_value(), body));
  if (r.temperature) body["temperature"] = *r.temperature;
  if (r.top_p) body["top_p"] = *r.top_p;
  if (r.top_k) body["top_k"] = *r.top_k;
  if (!r.stop.empty()) body["stop_sequences"] = r.stop;
  if (!r.user.empty()) body["metadata"] = OJson{{"user_id", r.user}};
  if (r.stream) body["stream"] = true;
  put_cache_control(body, r.cache);
  http.body = body.dump();
  return http;
}

}  // namespace

Result<HttpRequest> AnthropicAdapter::build_request(const ChatRequest& request, const Endpoint& endpoint) const {
  try {
    return build_request_impl(request, endpoint, options_);
  } catch (const std::exception& e) {
    // e.g. invalid UTF-8 in a string (nlohmann's dump() throws type_error 316).
    return InvalidRequestError(std::string("anthropic build_request: ") + e.what());
  }
}

}  // namespace ploke::adapters::anthropic
