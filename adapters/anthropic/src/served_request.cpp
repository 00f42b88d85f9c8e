// read_served_messages_request(): the shared checks (checks.cpp), then the typed values a
// generator reads. See ploke/adapters/anthropic/served_request.h.
#include "ploke/adapters/anthropic/served_request.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "ploke/adapters/anthropic/checks_json.h"

namespace ploke::adapters::anthropic {
namespace {

using Json = nlohmann::json;

// Text bytes of a system value or a message's content (strings, text blocks, nested
// tool_result content, tool_use input as compact JSON).
uint64_t text_chars(const Json& v) {
  if (v.is_string()) return v.get_ref<const std::string&>().size();
  uint64_t n = 0;
  if (v.is_array()) {
    for (const Json& b : v) n += text_chars(b);
  } else if (v.is_object()) {
    if (auto t = v.find("text"); t != v.end() && t->is_string()) n += t->get_ref<const std::string&>().size();
    if (auto c = v.find("content"); c != v.end()) n += text_chars(*c);
    if (auto in = v.find("input"); in != v.end() && in->is_object()) n += in->dump().size();
  }
  return n;
}

uint64_t prompt_chars(const Json& b) {
  uint64_t chars = 0;
  if (auto s = b.find("system"); s != b.end()) chars += text_chars(*s);
  for (const Json& msg : b["messages"]) {
    if (msg.is_object() && msg.contains("content")) chars += text_chars(msg["content"]);
  }
  if (auto t = b.find("tools"); t != b.end() && t->is_array()) chars += t->dump().size();
  return chars;
}

bool answers_tool_results(const Json& msgs) {
  if (msgs.empty()) return false;
  const Json& last = msgs.back();
  if (!last.is_object() || !last.contains("content") || !last["content"].is_array()) return false;
  for (const Json& blk : last["content"]) {
    if (blk.is_object() && blk.value("type", std::string()) == "tool_result") return true;
  }
  return false;
}

ServedTool served_tool(const Json& def) {
  ServedTool t;
  if (auto n = def.find("name"); n != def.end() && n->is_string()) t.name = n->get<std::string>();
  Json schema = Json::object();
  if (auto s = def.find("input_schema"); s != def.end() && s->is_object()) schema = *s;
  if (!schema.contains("type")) schema["type"] = "object";
  t.input_schema = schema.dump();
  return t;
}

// tools and tool_choice (checked: tools' names are non-empty strings, tool_choice.type one
// of the four, tool_choice.name present for "tool").
void read_tools(const Json& b, ServedMessagesRequest& out) {
  if (auto t = b.find("tools"); t != b.end() && t->is_array()) {
    for (const Json& d : *t) out.tools.push_back(served_tool(d));
  }
  const auto tc = b.find("tool_choice");
  if (tc == b.end() || !tc->is_object()) return;
  const std::string& type = (*tc)["type"].get_ref<const std::string&>();
  out.tool_choice = type == "any"    ? ToolChoiceMode::kAny
                    : type == "tool" ? ToolChoiceMode::kTool
                    : type == "none" ? ToolChoiceMode::kNone
                                     : ToolChoiceMode::kAuto;
  if (out.tool_choice == ToolChoiceMode::kTool) out.forced_name = (*tc)["name"].get<std::string>();
  if (auto d = tc->find("disable_parallel_tool_use"); d != tc->end() && d->is_boolean()) {
    out.disable_parallel_tool_use = d->get<bool>();
  }
}

std::optional<std::string> output_schema(const Json& b) {
  const auto oc = b.find("output_config");
  if (oc == b.end() || !oc->is_object()) return std::nullopt;
  const auto f = oc->find("format");
  if (f == oc->end() || !f->is_object()) return std::nullopt;
  const auto s = f->find("schema");
  if (s == f->end() || !s->is_object()) return std::nullopt;
  return s->dump();
}

void read_thinking(const Json& b, ServedMessagesRequest& out) {
  const auto t = b.find("thinking");
  if (t == b.end() || !t->is_object()) return;
  const std::string type = t->value("type", std::string());
  if (type == "enabled") {
    out.thinking = ThinkingMode::kEnabled;
    out.thinking_budget = (*t)["budget_tokens"].get<uint64_t>();
  } else if (type == "adaptive") {
    out.thinking = ThinkingMode::kAdaptive;
  }
}

// The prompt prefix hash, fed in prompt order (FNV-1a 64).
struct PrefixHash {
  uint64_t h = 1469598103934665603ull;
  void add(std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;  // a separator no UTF-8 text contains
    h *= 1099511628211ull;
  }
  // A block without its cache_control marker.
  void add_block(const Json& blk) {
    if (!blk.is_object() || !blk.contains("cache_control")) {
      add(blk.is_string() ? blk.get_ref<const std::string&>() : blk.dump());
      return;
    }
    Json copy = blk;
    copy.erase("cache_control");
    add(copy.dump());
  }
};

bool has_marker(const Json& holder) {
  if (!holder.is_object()) return false;
  const auto cc = holder.find("cache_control");
  return cc != holder.end() && cc->is_object();
}

bool ttl_1h(const Json& holder) { return holder["cache_control"].value("ttl", std::string()) == "1h"; }

// The breakpoints: walks tools, system, messages in order, hashing the prefix and counting
// its size as prompt_chars() does.
void read_cache_breakpoints(const Json& b, ServedMessagesRequest& out) {
  PrefixHash hash;
  hash.add(out.model);
  uint64_t chars = 0;
  auto mark = [&](const Json& holder) {
    if (has_marker(holder)) out.cache_breakpoints.push_back(CacheBreakpoint{hash.h, chars, ttl_1h(holder)});
  };
  if (auto t = b.find("tools"); t != b.end() && t->is_array()) {
    for (const Json& tool : *t) {
      hash.add_block(tool);
      chars += tool.dump().size();
      mark(tool);
    }
    chars = t->dump().size();
  }
  if (auto s = b.find("system"); s != b.end()) {
    if (s->is_string()) hash.add(s->get_ref<const std::string&>());
    chars += s->is_string() ? text_chars(*s) : 0;
    if (s->is_array()) {
      for (const Json& blk : *s) {
        hash.add_block(blk);
        chars += text_chars(blk);
        mark(blk);
      }
    }
  }
  for (const Json& msg : b["messages"]) {
    hash.add(msg["role"].get_ref<const std::string&>());
    const Json& c = msg["content"];
    if (c.is_string()) {
      hash.add(c.get_ref<const std::string&>());
      chars += text_chars(c);
      continue;
    }
    for (const Json& blk : c) {
      hash.add_block(blk);
      chars += text_chars(blk);
      mark(blk);
    }
  }
  // Automatic caching: the breakpoint goes on the last block of the prompt.
  if (has_marker(b)) out.cache_breakpoints.push_back(CacheBreakpoint{hash.h, chars, ttl_1h(b)});
  const uint64_t total = out.prompt_chars;
  for (CacheBreakpoint& bp : out.cache_breakpoints) bp.prefix_chars = std::min(bp.prefix_chars, total);
}

}  // namespace

std::optional<std::string> read_served_messages_request(const nlohmann::json* body, bool count_tokens,
                                                        ServedMessagesRequest& out) {
  if (body == nullptr) return "There was an error parsing the body of your request: invalid JSON";
  if (auto problem = check_anthropic_request(*body, count_tokens)) return problem;
  const Json& b = *body;
  out = ServedMessagesRequest{};
  out.model = b["model"].get<std::string>();
  if (auto s = b.find("stream"); s != b.end() && s->is_boolean()) out.stream = s->get<bool>();
  if (!count_tokens) out.max_tokens = b["max_tokens"].get<uint64_t>();
  out.prompt_chars = prompt_chars(b);
  out.answers_tool_results = answers_tool_results(b["messages"]);
  read_tools(b, out);
  if (auto ss = b.find("stop_sequences"); ss != b.end() && ss->is_array()) {
    for (const Json& s : *ss) out.stop_sequences.push_back(s.get<std::string>());
  }
  out.output_schema = output_schema(b);
  read_thinking(b, out);
  read_cache_breakpoints(b, out);
  return std::nullopt;
}

WireError model_not_found(std::string_view model) {
  return WireError{std::string(error_type_for_status(404)), "model: " + std::string(model), {}};
}

}  // namespace ploke::adapters::anthropic
