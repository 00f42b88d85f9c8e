// POST /v1/completions (legacy): request validation, bodies and stream chunks. See
// ploke/adapters/openai/completions_legacy.h.
#include "ploke/adapters/openai/completions_legacy.h"

#include <nlohmann/json.hpp>

#include "json_writer.h"
#include "check_rules.h"
#include "ploke/adapters/openai/checks_json.h"
#include "server_internal.h"

namespace ploke::adapters::openai {
namespace {

using Json = nlohmann::json;
using json_text::append_string;
using json_text::append_uint;

WireError prompt_wrong_type(const Json& got) {
  return invalid_request("Invalid type for 'prompt': expected one of a string, an array of strings, an array of "
                         "integers, or an array of arrays of integers, but got " + rules::type_phrase(got) + " instead.",
                         "prompt", "invalid_type");
}

bool token_array(const Json& a, CompletionPrompt& p) {
  if (!a.is_array() || a.empty()) return false;
  for (const Json& t : a) {
    if (!t.is_number_integer()) return false;
  }
  p.is_tokens = true;
  p.token_count = a.size();
  return true;
}

// `prompt`: a string, an array of strings, a token array (one prompt) or an array of
// token arrays. Null is the API's default prompt.
std::optional<WireError> read_prompts(const Json& prompt, std::vector<CompletionPrompt>& out) {
  if (prompt.is_null()) {
    out.push_back(CompletionPrompt{"<|endoftext|>", 0, false});
    return std::nullopt;
  }
  if (prompt.is_string()) {
    out.push_back(CompletionPrompt{prompt.get<std::string>(), 0, false});
    return std::nullopt;
  }
  if (!prompt.is_array()) return prompt_wrong_type(prompt);
  if (prompt.empty()) {
    return invalid_request("Invalid 'prompt': empty array. Expected an array with minimum length 1, but got an empty "
                           "array instead.",
                           "prompt", "empty_array");
  }
  if (prompt.front().is_number_integer()) {
    out.emplace_back();
    if (!token_array(prompt, out.back())) return prompt_wrong_type(prompt);
    return std::nullopt;
  }
  const bool strings = prompt.front().is_string();
  for (const Json& e : prompt) {
    CompletionPrompt p;
    if (strings && e.is_string()) p.text = e.get<std::string>();
    else if (strings || !token_array(e, p)) return prompt_wrong_type(prompt);
    out.push_back(std::move(p));
  }
  return std::nullopt;
}

void read_completion_values(const Json& b, ServedCompletionRequest& out) {
  out.model = b["model"].get<std::string>();
  out.stream = json_flag(b, "stream");
  out.echo = json_flag(b, "echo");
  if (auto so = b.find("stream_options"); so != b.end() && so->is_object()) out.include_usage = json_flag(*so, "include_usage");
  if (auto m = b.find("max_tokens"); m != b.end() && m->is_number_integer()) out.max_tokens = m->get<uint64_t>();
  if (auto nn = b.find("n"); nn != b.end() && nn->is_number_integer()) out.n = nn->get<size_t>();
  if (auto sd = b.find("seed"); sd != b.end() && sd->is_number_integer()) out.seed = sd->get<int64_t>();
}

void append_text_choice(std::string& out, size_t index, std::string_view echo, const std::vector<std::string>& tokens,
                        std::string_view finish) {
  out += "{\"text\":\"";
  json_text::append_escaped_body(out, echo);
  for (const auto& t : tokens) json_text::append_escaped_body(out, t);
  out += "\",\"index\":";
  append_uint(out, index);
  out += ",\"logprobs\":null,\"finish_reason\":";
  if (finish.empty()) {
    out += "null}";
  } else {
    append_string(out, finish);
    out += '}';
  }
}

void append_completion_usage(std::string& out, const WireCompletion& c) {
  out += "{\"prompt_tokens\":";
  append_uint(out, c.prompt_tokens);
  out += ",\"completion_tokens\":";
  append_uint(out, c.completion_tokens);
  out += ",\"total_tokens\":";
  append_uint(out, c.prompt_tokens + c.completion_tokens);
  out += '}';
}

void append_completion_head(std::string& out, const WireCompletion& c) {
  out += "{\"id\":";
  append_string(out, c.id);
  out += ",\"object\":\"text_completion\",\"created\":";
  append_uint(out, static_cast<uint64_t>(c.created));
  out += ",\"model\":";
  append_string(out, c.model);
  out += ",\"choices\":[";
}

}  // namespace

std::optional<WireError> read_served_completion_request(const nlohmann::json* body, ServedCompletionRequest& out) {
  if (auto e = check_body_and_model(body)) return e;
  const Json& b = *body;
  out = ServedCompletionRequest{};
  const auto prompt = b.find("prompt");
  if (prompt == b.end()) return invalid_request("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter");
  if (auto e = read_prompts(*prompt, out.prompts)) return e;
  if (auto s = b.find("stream"); s != b.end() && !s->is_boolean() && !s->is_null()) {
    return invalid_request("Invalid type for 'stream': expected a boolean, but got " + std::string(s->type_name()) +
                               " instead.",
                           "stream", "invalid_type");
  }
  if (auto p = checks::check_completion_parsed(b)) {
    return invalid_request(p->message, p->param.empty() ? std::nullopt : std::optional<std::string>(p->param),
                           p->code.empty() ? std::nullopt : std::optional<std::string>(p->code));
  }
  read_completion_values(b, out);
  return std::nullopt;
}

WireError chat_model_on_completions() {
  return WireError{404,
                   "This is a chat model and not supported in the v1/completions endpoint. Did you mean to use "
                   "v1/chat/completions?",
                   "invalid_request_error", "model", std::nullopt};
}

WireError not_a_chat_model() {
  return WireError{404,
                   "This is not a chat model and thus not supported in the v1/chat/completions endpoint. Did you "
                   "mean to use v1/completions?",
                   "invalid_request_error", "model", std::nullopt};
}

std::string text_completion_id(std::string_view local) {
  std::string id = "cmpl-";
  id += local;
  return id;
}

std::string render_text_completion(const WireCompletion& c, const std::vector<WireChoice>& choices,
                                   const std::vector<std::string>& echo) {
  size_t estimate = 256 + c.id.size() + c.model.size();
  for (size_t i = 0; i < choices.size(); ++i) {
    estimate += 96 + (i < echo.size() ? echo[i].size() : 0);
    for (const auto& t : choices[i].tokens) estimate += t.size() + 2;
  }
  std::string out;
  out.reserve(estimate);
  append_completion_head(out, c);
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i) out += ',';
    append_text_choice(out, i, i < echo.size() ? std::string_view(echo[i]) : std::string_view(), choices[i].tokens,
                       choices[i].finish);
  }
  out += "],\"usage\":";
  append_completion_usage(out, c);
  out += '}';
  return out;
}

std::vector<std::string> render_text_choice_events(const WireChoice& c, size_t index, std::string_view echo) {
  std::vector<std::string> ev;
  ev.reserve(c.tokens.size() + 2);
  static const std::vector<std::string> kNone;
  if (!echo.empty()) {
    ev.emplace_back();
    append_text_choice(ev.back(), index, echo, kNone, "");
  }
  for (const auto& t : c.tokens) {
    ev.emplace_back();
    append_text_choice(ev.back(), index, t, kNone, "");
  }
  ev.emplace_back();
  append_text_choice(ev.back(), index, "", kNone, c.finish);
  return ev;
}

std::string text_chunk_prefix(const WireCompletion& c) {
  std::string prefix = "data: ";
  append_completion_head(prefix, c);
  return prefix;
}

std::string text_usage_chunk(const std::string& prefix, const WireCompletion& c) {
  std::string u = prefix;  // ends in `"choices":[`: the usage chunk has no choices
  u += "],\"usage\":";
  append_completion_usage(u, c);
  u += "}\n\n";
  return u;
}

}  // namespace ploke::adapters::openai
