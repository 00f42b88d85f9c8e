// The simulated OpenRouter's request reader and response decoration. See
// ploke/adapters/openrouter/served_request.h.
#include "ploke/adapters/openrouter/served_request.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "ploke/adapters/openrouter/provider_json.h"

namespace ploke::adapters::openrouter {
namespace {

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;

// `model`, then the `models` fallbacks (each once); OpenRouter's 400 text for a bad `models`.
std::optional<std::string> candidate_ids(const Json& b, std::vector<std::string>& out) {
  if (auto m = b.find("model"); m != b.end() && m->is_string() && !m->get<std::string>().empty()) {
    out.push_back(m->get<std::string>());
  }
  if (auto ms = b.find("models"); ms != b.end() && !ms->is_null()) {
    if (!ms->is_array()) return std::string("models: expected an array of model ids");
    for (const Json& m : *ms) {
      if (!m.is_string()) return std::string("models: expected an array of model ids");
      if (std::find(out.begin(), out.end(), m.get<std::string>()) == out.end()) out.push_back(m.get<std::string>());
    }
  }
  return std::nullopt;
}

std::vector<std::string> used_parameters(const Json& b) {
  std::vector<std::string> out;
  for (const char* k : {"temperature", "top_p", "stop", "seed", "frequency_penalty", "presence_penalty", "tools",
                        "tool_choice", "response_format", "top_k", "logit_bias", "logprobs", "top_logprobs",
                        "min_p", "top_a", "repetition_penalty", "reasoning"}) {
    if (b.contains(k) && !b[k].is_null()) out.emplace_back(k);
  }
  if (b.contains("max_tokens") || b.contains("max_completion_tokens")) out.emplace_back("max_tokens");
  return out;
}

}  // namespace

std::optional<std::string> read_openrouter_reasoning(const Json& b, ReasoningRequest& out) {
  static constexpr std::string_view kEfforts[] = {"max", "xhigh", "high", "medium", "low", "minimal", "none"};
  if (auto inc = b.find("include_reasoning"); inc != b.end() && inc->is_boolean()) out.on = inc->get<bool>();
  const auto r = b.find("reasoning");
  if (r == b.end() || r->is_null()) return std::nullopt;
  if (!r->is_object()) return std::string("reasoning: expected an object");
  out.on = true;
  if (auto e = r->find("enabled"); e != r->end() && e->is_boolean()) out.on = e->get<bool>();
  if (auto e = r->find("exclude"); e != r->end() && e->is_boolean()) out.exclude = e->get<bool>();
  if (auto e = r->find("effort"); e != r->end() && !e->is_null()) {
    if (!e->is_string() || std::find(std::begin(kEfforts), std::end(kEfforts), e->get<std::string>()) == std::end(kEfforts)) {
      return std::string("reasoning.effort: expected one of max, xhigh, high, medium, low, minimal, none");
    }
    out.effort = e->get<std::string>();
    if (out.effort == "none") out.on = false;
  }
  if (auto m = r->find("max_tokens"); m != r->end() && !m->is_null()) {
    if (!m->is_number_unsigned()) return std::string("reasoning.max_tokens: expected a non-negative integer");
    out.max_tokens = m->get<uint64_t>();
  }
  return std::nullopt;
}

namespace {

void read_routing(const Json& b, ServedRouterRequest& out) {
  out.wants_tools = (b.contains("tools") && b["tools"].is_array() && !b["tools"].empty()) ||
                    (b.contains("tool_choice") && !b["tool_choice"].is_null() && b["tool_choice"] != "none");
  for (const char* k : {"max_tokens", "max_completion_tokens"}) {
    if (b.contains(k) && b[k].is_number_unsigned()) out.max_tokens = b[k].get<uint64_t>();
  }
  out.used_parameters = used_parameters(b);
}

OJson reasoning_details(std::string_view text) {
  return OJson::array({{{"type", "reasoning.text"}, {"text", text}, {"format", "unknown"}, {"index", 0}}});
}

// A whole completion's message with its reasoning (text and details).
OJson with_reasoning(const OJson& message, const ResponseDecoration& d) {
  if (d.reasoning_text.empty() || !message.is_object()) return message;
  OJson m = OJson::object();
  for (auto it = message.begin(); it != message.end(); ++it) {
    if (it.key() == "reasoning" || it.key() == "reasoning_details") continue;
    m[it.key()] = it.value();
    if (it.key() == "content") {
      m["reasoning"] = d.reasoning_text;
      m["reasoning_details"] = reasoning_details(d.reasoning_text);
    }
  }
  return m;
}

// The choices with native_finish_reason after each finish_reason.
OJson decorated_choices(const OJson& in, const ResponseDecoration& d) {
  const std::string_view provider_name = d.provider_name;
  OJson choices = OJson::array();
  for (const OJson& c : in) {
    OJson nc = OJson::object();
    for (auto it = c.begin(); it != c.end(); ++it) {
      nc[it.key()] = it.key() == "message" ? with_reasoning(it.value(), d) : it.value();
      if (it.key() == "finish_reason") {
        nc["native_finish_reason"] = it.value().is_string()
                                         ? OJson(native_finish_reason(provider_name, it.value().get<std::string>()))
                                         : OJson(nullptr);
      }
    }
    choices.push_back(std::move(nc));
  }
  return choices;
}

OJson decorated_usage(const OJson& u, const ResponseDecoration& d) {
  OJson nu = u;
  if (d.reasoning_tokens > 0) {  // reasoning is billed as output
    nu["completion_tokens"] = u.value("completion_tokens", uint64_t{0}) + d.reasoning_tokens;
    nu["total_tokens"] = u.value("total_tokens", uint64_t{0}) + d.reasoning_tokens;
    nu["completion_tokens_details"]["reasoning_tokens"] = d.reasoning_tokens;
  }
  const double pt = nu.value("prompt_tokens", 0.0), ct = nu.value("completion_tokens", 0.0);
  nu["cost"] = pt * d.prompt_price + ct * d.completion_price + d.request_price;
  nu["is_byok"] = false;
  nu["cost_details"] = {{"upstream_inference_cost", nullptr},
                        {"upstream_inference_prompt_cost", pt * d.prompt_price},
                        {"upstream_inference_completions_cost", ct * d.completion_price}};
  return nu;
}

OJson decorate(const OJson& in, const ResponseDecoration& d, bool chunk) {
  OJson o = OJson::object();
  o["id"] = d.id;
  o["provider"] = d.provider_name;
  o["model"] = d.model;
  o["object"] = in.value("object", chunk ? "chat.completion.chunk" : "chat.completion");
  o["created"] = in.value("created", 0);
  if (in.contains("system_fingerprint")) o["system_fingerprint"] = in["system_fingerprint"];
  if (auto ch = in.find("choices"); ch != in.end() && ch->is_array()) o["choices"] = decorated_choices(*ch, d);
  if (auto u = in.find("usage"); u != in.end() && u->is_object()) o["usage"] = decorated_usage(*u, d);
  if (d.metadata_router && !chunk) o["openrouter_metadata"] = {{"router", *d.metadata_router}, {"attempts", 1}};
  return o;
}

void note_usage(const OJson& o, ReportedUsage& x) {
  if (auto u = o.find("usage"); u != o.end() && u->is_object()) {
    x.cost = u->value("cost", 0.0);
    x.prompt_tokens = u->value("prompt_tokens", uint64_t{0});
    x.completion_tokens = u->value("completion_tokens", uint64_t{0});
  }
  if (auto ch = o.find("choices"); ch != o.end() && ch->is_array() && !ch->empty()) {
    if (auto fr = (*ch)[0].find("finish_reason"); fr != (*ch)[0].end() && fr->is_string()) {
      x.finish_reason = fr->get<std::string>();
    }
  }
}

}  // namespace

std::optional<std::string> read_served_router_request(const nlohmann::json* body, ServedRouterRequest& out) {
  if (body == nullptr || !body->is_object()) return "Invalid JSON in request body";
  const Json& b = *body;
  out = ServedRouterRequest{};
  const bool has_messages = b.contains("messages") && b["messages"].is_array() && !b["messages"].empty();
  const bool has_prompt = b.contains("prompt") && b["prompt"].is_string();
  if (!has_messages && !has_prompt) return "Input required: specify \"prompt\" or \"messages\"";
  out.prompt_only = has_prompt && !has_messages;
  if (auto p = b.find("provider"); p != b.end() && !p->is_null()) {
    if (Status st = parse_openrouter_provider(*p, ProviderChecks::kStrict, out.provider); !st.ok()) return st.message();
  }
  if (auto err = candidate_ids(b, out.model_ids)) return err;
  if (out.model_ids.empty()) return "No models provided";
  read_routing(b, out);
  return read_openrouter_reasoning(b, out.reasoning);
}

void openai_generation_body(const nlohmann::json& body, std::string_view model, bool prompt_only,
                            nlohmann::json& out, bool& stream) {
  out = body;
  for (const char* k : {"provider", "models", "route", "transforms", "plugins", "usage", "reasoning", "include_reasoning", "user",
                        "session_id", "metadata", "prompt"}) {
    out.erase(k);
  }
  out["model"] = model;
  if (prompt_only) out["messages"] = Json::array({{{"role", "user"}, {"content", body["prompt"]}}});
  stream = out.value("stream", Json(false)).is_boolean() && out.value("stream", false);
  if (stream) out["stream_options"] = {{"include_usage", true}};
}

std::optional<std::string> decorate_openrouter_response(std::string_view openai_json, const ResponseDecoration& d,
                                                        bool chunk, ReportedUsage& reported) {
  const OJson parsed = OJson::parse(openai_json, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  const OJson o = decorate(parsed, d, chunk);
  note_usage(o, reported);
  return o.dump();
}

std::string reasoning_chunk(const ResponseDecoration& d, int64_t created, std::string_view piece) {
  OJson delta = {{"role", "assistant"}, {"content", ""}, {"reasoning", piece}, {"reasoning_details", reasoning_details(piece)}};
  OJson o = OJson::object();
  o["id"] = d.id;
  o["provider"] = d.provider_name;
  o["model"] = d.model;
  o["object"] = "chat.completion.chunk";
  o["created"] = created;
  o["choices"] = OJson::array(
      {{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", nullptr}, {"native_finish_reason", nullptr}}});
  return o.dump();
}

std::string native_finish_reason(std::string_view provider_name, const std::string& reason) {
  if (provider_name == "Anthropic" || provider_name == "Amazon Bedrock") {
    if (reason == "stop") return "end_turn";
    if (reason == "tool_calls") return "tool_use";
    if (reason == "length") return "max_tokens";
  }
  if (provider_name.rfind("Google", 0) == 0) {
    if (reason == "stop" || reason == "tool_calls") return "STOP";
    if (reason == "length") return "MAX_TOKENS";
  }
  return reason;
}

}  // namespace ploke::adapters::openrouter
