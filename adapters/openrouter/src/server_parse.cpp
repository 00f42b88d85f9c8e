// OpenRouter's request members on the OpenAI route (`models`, `provider`, `route`,
// `transforms`) and its stream dialect. See ploke/adapters/openrouter/server.h.
#include <algorithm>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "json_reader.h"
#include "json_writer.h"
#include "ploke/adapters/openrouter/adapter.h"
#include "ploke/adapters/openrouter/provider_json.h"
#include "ploke/adapters/openrouter/served_request.h"
#include "ploke/adapters/openrouter/server.h"

namespace ploke::adapters::openrouter {
namespace {

using nlohmann::json;
using ploke::adapters::detail::JsonReader;

bool string_list(JsonReader& rd, const json& obj, const char* key, const std::string& path, std::vector<std::string>& out) {
  const json* v = JsonReader::find(obj, key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_array()) return rd.fail(path + key, "expected an array of strings");
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) return rd.fail(path + key + "[" + std::to_string(i) + "]", "expected string");
    out.push_back((*v)[i].get<std::string>());
  }
  return true;
}

// `models`, `route`, `transforms`, then `provider` (the order errors are reported in).
bool parse_members(JsonReader& rd, const json& body, OpenRouterPreferences& prefs) {
  if (!string_list(rd, body, "models", "", prefs.models)) return false;
  if (!rd.opt_string(body, "route", "", prefs.route)) return false;
  if (!string_list(rd, body, "transforms", "", prefs.transforms)) return false;
  return true;
}

// `reasoning` / `include_reasoning` → ReasoningOptions: an effort as the effort, max_tokens
// as an enabled budget, enabled / include_reasoning alone as enabled, off (enabled false,
// effort "none") as disabled; `exclude` kept.
Status read_reasoning_options(const json& body, ReasoningOptions& o) {
  if (!body.contains("reasoning") && !body.contains("include_reasoning")) return Status::Ok();
  ReasoningRequest rr;
  if (auto problem = read_openrouter_reasoning(body, rr)) return InvalidRequestError(*problem);
  if (!rr.on) {
    o.mode = ReasoningOptions::Mode::kDisabled;
    return Status::Ok();
  }
  o.exclude = rr.exclude;
  if (!rr.effort.empty()) {
    o.effort = rr.effort;
    return Status::Ok();
  }
  o.mode = ReasoningOptions::Mode::kEnabled;
  if (rr.max_tokens) o.budget_tokens = static_cast<uint32_t>(std::min<uint64_t>(*rr.max_tokens, UINT32_MAX));
  return Status::Ok();
}

Status read_members(const std::vector<std::pair<std::string_view, std::string>>& members, InboundRequest& in) {
  json body = json::object();
  for (const auto& [k, text] : members) body[std::string(k)] = json::parse(text);
  JsonReader rd;
  OpenRouterPreferences prefs;
  if (!parse_members(rd, body, prefs)) return InvalidRequestError(rd.problem);
  if (auto pv = body.find("provider"); pv != body.end() && !pv->is_null()) {
    Status st = parse_openrouter_provider(*pv, ProviderChecks::kPassThrough, prefs);
    if (!st.ok()) return st;
  }
  if (Status st = read_reasoning_options(body, in.request.reasoning); !st.ok()) return st;
  for (auto& t : prefs.to_tags()) in.request.meta.tags.push_back(std::move(t));
  inbound::RoutingHints& h = in.hints;
  h.provider_order = std::move(prefs.order);
  h.provider_only = std::move(prefs.only);
  h.provider_ignore = std::move(prefs.ignore);
  h.allow_fallbacks = prefs.allow_fallbacks;
  h.fallback_models = std::move(prefs.models);
  h.sort = prefs.sort;
  return Status::Ok();
}

// A message's or delta's reasoning as OpenRouter writes it: the text and its details entry.
void write_reasoning(std::string& o, std::string_view text) {
  o += ",\"reasoning\":";
  json_text::append_string(o, text);
  o += ",\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":";
  json_text::append_string(o, text);
  o += ",\"format\":\"unknown\",\"index\":0}]";
}

void write_error_chunk(std::string& o, const Status& st) {
  o += "{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}],\"error\":";
  write_openrouter_error_object(o, openrouter_error_http_status(st), st);
  o += "}\n\n";
}

}  // namespace

const openai::RequestExtension& openrouter_request_extension() {
  static const openai::RequestExtension ext{
      {"models", "provider", "route", "transforms", "reasoning", "include_reasoning"}, read_members};
  return ext;
}

Result<InboundRequest> parse_openrouter_chat_request(std::string_view body, openai::ParsePath path) {
  return openai::parse_openai_chat_request(body, &openrouter_request_extension(), path);
}

openai::ChatDialect openrouter_chat_dialect() {
  openai::ChatDialect d;
  d.always_usage = true;
  d.write_error_chunk = write_error_chunk;
  d.write_reasoning = write_reasoning;
  return d;
}

}  // namespace ploke::adapters::openrouter
