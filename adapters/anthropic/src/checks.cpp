// The Anthropic Messages API's request checks, shared by the simulator and the gateway.
// See ploke/adapters/anthropic/checks_json.h. Messages follow the API's (pydantic-style)
// wording: "<field path>: <problem>".
#include "ploke/adapters/anthropic/checks_json.h"
#include "ploke/adapters/inbound.h"

#include <algorithm>
#include <set>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ploke::adapters::anthropic {
namespace {

using Json = nlohmann::json;
using Problem = std::optional<std::string>;

Problem invalid(std::string message) { return message; }

const Json kNoBlocks = Json::array();

// "messages.<i>[.content.<j>]", built only when a problem is reported (no allocation on
// the path of a valid request).
struct LazyPath {
  size_t i;
  size_t j = SIZE_MAX;
  std::string str() const {
    std::string s = "messages." + std::to_string(i);
    if (j != SIZE_MAX) s += ".content." + std::to_string(j);
    return s;
  }
};
std::string operator+(const LazyPath& p, std::string_view tail) { return p.str().append(tail); }

/// The blocks of a message's content (none for a string, which is one text block and is
/// checked by its caller). Null when the content is neither (reported by the caller). No
/// copy: this runs on every request the gateway parses.
const Json* blocks_of(const Json& content) {
  if (content.is_string()) return &kNoBlocks;
  if (content.is_array()) return &content;
  return nullptr;
}

Problem validate_block(const Json& b, const LazyPath& p, bool is_user) {
  if (!b.is_object()) return invalid(p + ": Input should be a valid dictionary or object");
  auto t = b.find("type");
  if (t == b.end() || !t->is_string()) return invalid(p + ".type: Field required");
  const std::string& type = t->get_ref<const std::string&>();
  if (type == "text") {
    auto tx = b.find("text");
    if (tx == b.end()) return invalid(p + ".text: Field required");
    if (!tx->is_string()) return invalid(p + ".text: Input should be a valid string");
    if (tx->get_ref<const std::string&>().empty()) return invalid("messages: text content blocks must be non-empty");
  } else if (type == "tool_use") {
    if (is_user) return invalid(p + ": tool_use blocks are only allowed in assistant messages");
    for (const char* k : {"id", "name"}) {
      auto v = b.find(k);
      if (v == b.end() || !v->is_string()) return invalid(p + "." + k + ": Field required");
    }
    if (auto in = b.find("input"); in == b.end() || !in->is_object()) {
      return invalid(p + ".input: Input should be a valid dictionary");
    }
  } else if (type == "tool_result") {
    if (!is_user) return invalid(p + ": tool_result blocks are only allowed in user messages");
    auto id = b.find("tool_use_id");
    if (id == b.end() || !id->is_string()) return invalid(p + ".tool_use_id: Field required");
  } else if (type == "image" || type == "document") {
    auto s = b.find("source");
    if (s == b.end() || !s->is_object()) return invalid(p + ".source: Field required");
  } else if (type != "thinking" && type != "redacted_thinking" && type != "search_result") {
    return invalid(p + ": Input tag '" + type +
                   "' found using 'type' does not match any of the expected tags: 'text', 'image', 'document', "
                   "'tool_use', 'tool_result', 'thinking', 'redacted_thinking', 'search_result'");
  }
  return std::nullopt;
}

// Roles, alternation, blocks, and tool_use/tool_result pairing.
Problem validate_messages(const Json& msgs) {
  std::string prev_role;
  std::vector<std::string> pending;  // tool_use ids of the previous assistant turn
  size_t pending_from = 0;
  for (size_t i = 0; i < msgs.size(); ++i) {
    const Json& m = msgs[i];
    const LazyPath p{i};
    if (!m.is_object()) return invalid(p + ": Input should be a valid dictionary");
    auto role_it = m.find("role");
    if (role_it == m.end()) return invalid(p + ".role: Field required");
    if (!role_it->is_string()) return invalid(p + ".role: Input should be 'user' or 'assistant'");
    const std::string& role = role_it->get_ref<const std::string&>();
    if (role == "system") {
      return invalid("messages: Unexpected role \"system\". The Messages API accepts a top-level `system` "
                     "parameter, not \"system\" as an input message role.");
    }
    if (role != "user" && role != "assistant") return invalid(p + ".role: Input should be 'user' or 'assistant'");
    if (i == 0 && role != "user") return invalid("messages: first message must use the \"user\" role");
    if (role == prev_role) {
      return invalid("messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"" +
                     role + "\" roles in a row");
    }
    auto content_it = m.find("content");
    if (content_it == m.end()) return invalid(p + ".content: Field required");
    const Json* blocks = blocks_of(*content_it);
    if (blocks == nullptr) return invalid(p + ".content: Input should be a valid list");
    const bool last = i + 1 == msgs.size();
    const bool empty = content_it->is_string() ? content_it->get_ref<const std::string&>().empty() : blocks->empty();
    if (empty) {
      if (!(last && role == "assistant")) {
        return invalid("messages." + std::to_string(i) +
                       ": all messages must have non-empty content except for the optional final assistant message");
      }
    }
    std::vector<std::string> tool_uses;
    std::vector<std::string> answered;
    for (size_t j = 0; j < blocks->size(); ++j) {
      const Json& b = (*blocks)[j];
      if (auto e = validate_block(b, LazyPath{i, j}, role == "user")) return e;
      const std::string& type = b["type"].get_ref<const std::string&>();
      if (type == "tool_use") tool_uses.push_back(b["id"].get<std::string>());
      if (type == "tool_result") {
        const std::string id = b["tool_use_id"].get<std::string>();
        if (std::find(pending.begin(), pending.end(), id) == pending.end()) {
          return invalid(p + ".content." + std::to_string(j) + ": unexpected `tool_use_id` found in `tool_result` "
                         "blocks: " + id + ". Each `tool_result` block must have a corresponding `tool_use` "
                         "block in the previous message.");
        }
        answered.push_back(id);
      }
    }
    if (role == "user" && !pending.empty()) {
      std::string missing;
      for (const auto& id : pending) {
        if (std::find(answered.begin(), answered.end(), id) == answered.end()) {
          missing += (missing.empty() ? "" : ", ") + id;
        }
      }
      if (!missing.empty()) {
        return invalid("messages." + std::to_string(pending_from) +
                       ": `tool_use` ids were found without `tool_result` blocks immediately after: " + missing +
                       ". Each `tool_use` block must have a corresponding `tool_result` block in the next message.");
      }
    }
    pending = role == "assistant" ? std::move(tool_uses) : std::vector<std::string>{};
    pending_from = i;
    prev_role = role;
  }
  return std::nullopt;
}

// The server tools' `type` tags (the @anthropic-ai/sdk 1.16 ToolUnion); `custom` (or no
// type) is a client tool.
constexpr std::string_view kServerToolTypes[] = {
    "bash_20250124",           "code_execution_20250522", "code_execution_20250825", "code_execution_20260120",
    "code_execution_20260521", "memory_20250818",         "text_editor_20250124",    "text_editor_20250429",
    "text_editor_20250728",    "web_search_20250305",     "web_fetch_20250910",      "web_search_20260209",
    "web_fetch_20260209",      "web_fetch_20260309",      "web_search_20260318",     "web_fetch_20260318",
    "tool_search_tool_bm25_20251119", "tool_search_tool_bm25", "tool_search_tool_regex_20251119",
    "tool_search_tool_regex",  "browser_toolset_20260801", "computer_toolset_20260801"};

// Toolsets have no `name`.
bool is_toolset(const Json& type) {
  return type == "browser_toolset_20260801" || type == "computer_toolset_20260801";
}

// A tool's `type` other than custom/null: a string naming a server tool.
Problem validate_server_tool_type(const Json& type, const std::string& p) {
  if (!type.is_string()) return invalid(p + ".type: Input should be a valid string");
  const std::string& t = type.get_ref<const std::string&>();
  if (std::find(std::begin(kServerToolTypes), std::end(kServerToolTypes), t) != std::end(kServerToolTypes)) {
    return std::nullopt;
  }
  std::string tags = "'custom'";
  for (std::string_view k : kServerToolTypes) tags.append(", '").append(k).append("'");
  return invalid(p + ": Input tag '" + t + "' found using 'type' does not match any of the expected tags: " + tags);
}

// A tool's `name` (at `p`.name): a non-empty string; a client tool's also matches the
// API's pattern.
Problem validate_tool_name(const Json& tool, const std::string& p, bool client_tool) {
  auto name = tool.find("name");
  if (name == tool.end() || name->is_null()) return invalid(p + ".name: Field required");
  if (!name->is_string()) return invalid(p + ".name: Input should be a valid string");
  const std::string& n = name->get_ref<const std::string&>();
  if (n.empty()) return invalid(p + ".name: String should have at least 1 character");
  if (client_tool && !inbound::tool_name_ok(n)) return invalid(p + ".name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'");
  return std::nullopt;
}

// A client tool's `input_schema`: an object whose `type` is "object" (the SDK's InputSchema).
Problem validate_input_schema(const Json& tool, const std::string& p) {
  auto schema = tool.find("input_schema");
  if (schema == tool.end()) return invalid(p + ": Field required");
  if (!schema->is_object()) return invalid(p + ": Input should be a valid dictionary");
  auto type = schema->find("type");
  if (type == schema->end()) return invalid(p + ".type: Field required");
  if (*type != "object") return invalid(p + ".type: Input should be 'object'");
  return std::nullopt;
}

Problem validate_tools(const Json& b) {
  std::set<std::string> names;
  if (auto t = b.find("tools"); t != b.end() && !t->is_null()) {
    if (!t->is_array()) return invalid("tools: Input should be a valid list");
    for (size_t i = 0; i < t->size(); ++i) {
      const Json& tool = (*t)[i];
      const std::string p = "tools." + std::to_string(i);
      if (!tool.is_object()) return invalid(p + ": Input should be a valid dictionary or object");
      auto type = tool.find("type");
      const bool server_tool = type != tool.end() && !type->is_null() && *type != "custom";
      if (server_tool) {
        if (auto e = validate_server_tool_type(*type, p)) return e;
      }
      if (server_tool && is_toolset(*type)) continue;
      if (auto e = validate_tool_name(tool, server_tool ? p : p + ".custom", !server_tool)) return e;
      if (!server_tool) {
        if (auto e = validate_input_schema(tool, p + ".custom.input_schema")) return e;
      }
      auto name = tool.find("name");
      if (!names.insert(name->get<std::string>()).second) return invalid("tools: Tool names must be unique.");
    }
  }
  if (auto tc = b.find("tool_choice"); tc != b.end() && !tc->is_null()) {
    if (!tc->is_object()) return invalid("tool_choice: Input should be a valid dictionary or object");
    auto type = tc->find("type");
    if (type == tc->end() || !type->is_string()) return invalid("tool_choice.type: Field required");
    const std::string& ty = type->get_ref<const std::string&>();
    if (ty != "auto" && ty != "any" && ty != "tool" && ty != "none") {
      return invalid("tool_choice: Input tag '" + ty +
                     "' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'");
    }
    if (auto d = tc->find("disable_parallel_tool_use"); ty != "none" && d != tc->end() && !d->is_null() && !d->is_boolean()) {
      return invalid("tool_choice." + ty + ".disable_parallel_tool_use: Input should be a valid boolean");
    }
    if ((ty == "any" || ty == "tool") && names.empty()) {
      return invalid("tool_choice: tool_choice may only be specified while providing tools.");
    }
    if (ty == "tool") {
      auto n = tc->find("name");
      if (n == tc->end() || !n->is_string()) return invalid("tool_choice.tool.name: Field required");
      if (!names.count(n->get<std::string>())) {
        return invalid("tool_choice.name: Tool '" + n->get<std::string>() + "' not found in tools");
      }
    }
  }
  return std::nullopt;
}

// Structured output: output_config.format {"type":"json_schema","schema":{…}} (the
// @anthropic-ai/sdk 1.16 OutputConfig / JSONOutputFormat types).
Problem validate_output_config(const Json& b) {
  const auto oc = b.find("output_config");
  if (oc == b.end() || oc->is_null()) return std::nullopt;
  if (!oc->is_object()) return invalid("output_config: Input should be a valid dictionary or object");
  const auto f = oc->find("format");
  if (f == oc->end() || f->is_null()) return std::nullopt;
  if (!f->is_object()) return invalid("output_config.format: Input should be a valid dictionary or object");
  const auto type = f->find("type");
  if (type == f->end()) return invalid("output_config.format.type: Field required");
  if (!type->is_string() || *type != "json_schema") {
    return invalid("output_config.format.type: Input should be 'json_schema'");
  }
  const auto schema = f->find("schema");
  if (schema == f->end()) return invalid("output_config.format.schema: Field required");
  if (!schema->is_object()) return invalid("output_config.format.schema: Input should be a valid dictionary");
  return std::nullopt;
}

// ---- Extended thinking ----

constexpr std::string_view kThinkingDocs =
    "Please consult our documentation at "
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#important-considerations-when-using-extended-"
    "thinking";

// `thinking`: {"type":"enabled","budget_tokens":N ≥ 1024, < max_tokens}, {"type":"disabled"}
// or {"type":"adaptive"}; when on, temperature 1 (or unset), no top_k, no forced tool.
Problem validate_thinking(const Json& b, bool count_tokens) {
  const auto t = b.find("thinking");
  if (t == b.end() || t->is_null()) return std::nullopt;
  if (!t->is_object()) return invalid("thinking: Input should be a valid dictionary or object");
  const auto type = t->find("type");
  if (type == t->end() || !type->is_string()) return invalid("thinking.type: Field required");
  const std::string& ty = type->get_ref<const std::string&>();
  if (ty == "disabled") return std::nullopt;
  if (ty == "enabled") {
    const auto budget = t->find("budget_tokens");
    if (budget == t->end()) return invalid("thinking.enabled.budget_tokens: Field required");
    if (!budget->is_number_integer()) return invalid("thinking.enabled.budget_tokens: Input should be a valid integer");
    if (budget->get<int64_t>() < 1024) {
      return invalid("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024");
    }
    if (!count_tokens && b["max_tokens"].get<int64_t>() <= budget->get<int64_t>()) {
      return invalid("`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation "
                     "at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-"
                     "window-size");
    }
  } else if (ty != "adaptive") {
    return invalid("thinking: Input tag '" + ty +
                   "' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'");
  }
  if (auto temp = b.find("temperature"); temp != b.end() && !temp->is_null() && temp->get<double>() != 1.0) {
    return invalid("`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. " +
                   std::string(kThinkingDocs));
  }
  if (auto k = b.find("top_k"); k != b.end() && !k->is_null()) {
    return invalid("`top_k` must be unset when thinking is enabled. " + std::string(kThinkingDocs));
  }
  if (auto tc = b.find("tool_choice"); tc != b.end() && tc->is_object()) {
    const std::string tct = tc->value("type", std::string());
    if (tct == "any" || tct == "tool") return invalid("Thinking may not be enabled when tool_choice forces tool use.");
  }
  return std::nullopt;
}

// ---- Prompt caching ----

// One `cache_control` value at `p` (absent or null: no breakpoint): {"type":"ephemeral",
// "ttl"?: "5m" | "1h"}. Counts the breakpoints in `n`.
Problem validate_cache_control(const Json& holder, const std::string& p, size_t& n) {
  if (!holder.is_object()) return std::nullopt;
  const auto cc = holder.find("cache_control");
  if (cc == holder.end() || cc->is_null()) return std::nullopt;
  if (!cc->is_object()) return invalid(p + ": Input should be a valid dictionary or object");
  const auto type = cc->find("type");
  if (type == cc->end()) return invalid(p + ".type: Field required");
  if (*type != "ephemeral") return invalid(p + ".type: Input should be 'ephemeral'");
  if (auto ttl = cc->find("ttl"); ttl != cc->end() && !ttl->is_null() && *ttl != "5m" && *ttl != "1h") {
    return invalid(p + ".ttl: Input should be '5m' or '1h'");
  }
  ++n;
  return std::nullopt;
}

// Every cache breakpoint (tools, system blocks, message content blocks, the top-level
// automatic one) well formed, at most four.
Problem validate_cache_controls(const Json& b) {
  size_t n = 0;
  if (auto e = validate_cache_control(b, "cache_control", n)) return e;
  if (auto t = b.find("tools"); t != b.end() && t->is_array()) {
    for (size_t i = 0; i < t->size(); ++i) {
      if (auto e = validate_cache_control((*t)[i], "tools." + std::to_string(i) + ".cache_control", n)) return e;
    }
  }
  if (auto s = b.find("system"); s != b.end() && s->is_array()) {
    for (size_t i = 0; i < s->size(); ++i) {
      if (auto e = validate_cache_control((*s)[i], "system." + std::to_string(i) + ".cache_control", n)) return e;
    }
  }
  const Json& msgs = b["messages"];
  for (size_t i = 0; i < msgs.size(); ++i) {
    const auto c = msgs[i].find("content");
    if (c == msgs[i].end() || !c->is_array()) continue;
    for (size_t j = 0; j < c->size(); ++j) {
      if (auto e = validate_cache_control((*c)[j], LazyPath{i, j} + ".cache_control", n)) return e;
    }
  }
  if (n > 4) {
    return invalid("A maximum of 4 blocks with cache_control may be provided. Found " + std::to_string(n) + ".");
  }
  return std::nullopt;
}

// Required fields, max_tokens, messages' container and system.
Problem validate_head(const Json& b, bool count_tokens) {
  auto model = b.find("model");
  if (model == b.end()) return invalid("model: Field required");
  if (!model->is_string()) return invalid("model: Input should be a valid string");
  if (!count_tokens) {
    auto mt = b.find("max_tokens");
    if (mt == b.end()) return invalid("max_tokens: Field required");
    if (!mt->is_number_integer()) return invalid("max_tokens: Input should be a valid integer");
    if (mt->get<int64_t>() < 1) return invalid("max_tokens: Input should be greater than or equal to 1");
  }
  auto msgs = b.find("messages");
  if (msgs == b.end()) return invalid("messages: Field required");
  if (!msgs->is_array()) return invalid("messages: Input should be a valid list");
  if (msgs->empty()) return invalid("messages: at least one message is required");
  if (auto s = b.find("system"); s != b.end() && !s->is_null() && !s->is_string()) {
    if (!s->is_array()) return invalid("system: Input should be a valid string or list of text blocks");
    for (size_t i = 0; i < s->size(); ++i) {
      const Json& blk = (*s)[i];
      if (!blk.is_object() || blk.value("type", std::string()) != "text" || !blk.contains("text") ||
          !blk["text"].is_string()) {
        return invalid("system." + std::to_string(i) + ": Input should be a valid text block");
      }
    }
  }
  return std::nullopt;
}

// Stream flag, sampling ranges, stop sequences, then messages and tools.
Problem validate_rest(const Json& b) {
  if (auto s = b.find("stream"); s != b.end() && !s->is_null() && !s->is_boolean()) {
    return invalid("stream: Input should be a valid boolean, unable to interpret input");
  }
  if (auto t = b.find("temperature"); t != b.end() && !t->is_null()) {
    if (!t->is_number()) return invalid("temperature: Input should be a valid number");
    if (t->get<double>() < 0) return invalid("temperature: Input should be greater than or equal to 0");
    if (t->get<double>() > 1) return invalid("temperature: Input should be less than or equal to 1");
  }
  if (auto t = b.find("top_p"); t != b.end() && !t->is_null()) {
    if (!t->is_number()) return invalid("top_p: Input should be a valid number");
    if (t->get<double>() < 0) return invalid("top_p: Input should be greater than or equal to 0");
    if (t->get<double>() > 1) return invalid("top_p: Input should be less than or equal to 1");
  }
  if (auto t = b.find("top_k"); t != b.end() && !t->is_null()) {
    if (!t->is_number_integer()) return invalid("top_k: Input should be a valid integer");
    if (t->get<int64_t>() < 0) return invalid("top_k: Input should be greater than or equal to 0");
  }
  if (auto ss = b.find("stop_sequences"); ss != b.end() && !ss->is_null()) {
    if (!ss->is_array()) return invalid("stop_sequences: Input should be a valid list");
    for (const Json& s : *ss) {
      if (!s.is_string()) return invalid("stop_sequences: Input should be a valid list of strings");
    }
  }
  if (auto e = validate_messages(b["messages"])) return e;
  if (auto e = validate_output_config(b)) return e;
  return validate_tools(b);
}

}  // namespace

std::optional<std::string> check_anthropic_request(const nlohmann::json& body, bool count_tokens) {
  if (!body.is_object()) return "Input should be a valid dictionary or object";
  if (auto e = validate_head(body, count_tokens)) return e;
  if (auto e = validate_rest(body)) return e;
  if (auto e = validate_thinking(body, count_tokens)) return e;
  return validate_cache_controls(body);
}

}  // namespace ploke::adapters::anthropic
