// OpenRouter's request members on the OpenAI route (`models`, `provider`, `route`,
// `transforms`) and its stream dialect. See ploke/adapters/openrouter/server.h.
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "json_reader.h"
#include "json_writer.h"
#include "ploke/adapters/openrouter/adapter.h"
#include "ploke/adapters/openrouter/server.h"

namespace ploke::adapters::openrouter {
namespace {

using nlohmann::json;
using ploke::detail::JsonReader;

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

bool opt_bool(JsonReader& rd, const json& obj, const char* key, const std::string& path, std::optional<bool>& out) {
  const json* v = JsonReader::find(obj, key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_boolean()) return rd.fail(path + key, "expected true or false");
  out = v->get<bool>();
  return true;
}

// provider.max_price: numbers or numeric strings, per known key.
bool parse_max_price(JsonReader& rd, const json& v, const std::string& p, OpenRouterPreferences& prefs) {
  if (!v.is_object()) return rd.fail(p + "max_price", "expected an object");
  for (const auto& [mk, mv] : v.items()) {
    double d = 0;
    if (mv.is_number()) {
      d = mv.get<double>();
    } else if (mv.is_string()) {
      const std::string s = mv.get<std::string>();
      char* end = nullptr;
      d = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size()) return rd.fail(p + "max_price." + mk, "expected a number");
    } else {
      return rd.fail(p + "max_price." + mk, "expected a number");
    }
    if (mk == "prompt") prefs.max_price_prompt = d;
    else if (mk == "completion") prefs.max_price_completion = d;
    else if (mk == "request") prefs.max_price_request = d;
    else if (mk == "image") prefs.max_price_image = d;
    else if (mk == "audio") prefs.max_price_audio = d;
    else return rd.fail(p + "max_price." + mk, "unknown key (expected prompt, completion, request, image, audio)");
  }
  return true;
}

bool parse_provider(JsonReader& rd, const json& pv, OpenRouterPreferences& prefs) {
  if (!pv.is_object()) return rd.fail("provider", "expected an object");
  const std::string p = "provider.";
  for (const auto& [k, v] : pv.items()) {
    bool ok = true;
    if (k == "order") ok = string_list(rd, pv, "order", p, prefs.order);
    else if (k == "only") ok = string_list(rd, pv, "only", p, prefs.only);
    else if (k == "ignore") ok = string_list(rd, pv, "ignore", p, prefs.ignore);
    else if (k == "quantizations") ok = string_list(rd, pv, "quantizations", p, prefs.quantizations);
    else if (k == "allow_fallbacks") ok = opt_bool(rd, pv, "allow_fallbacks", p, prefs.allow_fallbacks);
    else if (k == "require_parameters") ok = opt_bool(rd, pv, "require_parameters", p, prefs.require_parameters);
    else if (k == "zdr") ok = opt_bool(rd, pv, "zdr", p, prefs.zdr);
    else if (k == "data_collection") {
      ok = rd.opt_string(pv, "data_collection", p, prefs.data_collection);
      if (ok && !prefs.data_collection.empty() && prefs.data_collection != "allow" && prefs.data_collection != "deny") {
        return rd.fail(p + "data_collection", "expected allow or deny");
      }
    } else if (k == "sort" && v.is_string()) prefs.sort = v.get<std::string>();
    else if (k == "max_price") ok = parse_max_price(rd, v, p, prefs);
    else prefs.extra.emplace_back(k, v.dump());  // passed through; an OpenRouter upstream decides
    if (!ok) return false;
  }
  return true;
}

// `models`, `route`, `transforms`, then `provider` (the order errors are reported in).
bool parse_members(JsonReader& rd, const json& body, OpenRouterPreferences& prefs) {
  if (!string_list(rd, body, "models", "", prefs.models)) return false;
  if (!rd.opt_string(body, "route", "", prefs.route)) return false;
  if (!string_list(rd, body, "transforms", "", prefs.transforms)) return false;
  const json* pv = JsonReader::find(body, "provider");
  return pv == nullptr || pv->is_null() || parse_provider(rd, *pv, prefs);
}

Status read_members(const std::vector<std::pair<std::string_view, std::string>>& members, InboundRequest& in) {
  json body = json::object();
  for (const auto& [k, text] : members) body[std::string(k)] = json::parse(text);
  JsonReader rd;
  OpenRouterPreferences prefs;
  if (!parse_members(rd, body, prefs)) return InvalidRequestError(rd.problem);
  for (auto& t : prefs.to_tags()) in.request.meta.tags.push_back(std::move(t));
  inbound::RoutingHints& h = in.hints;
  h.provider_order = std::move(prefs.order);
  h.provider_only = std::move(prefs.only);
  h.provider_ignore = std::move(prefs.ignore);
  h.allow_fallbacks = prefs.allow_fallbacks;
  h.fallback_models = std::move(prefs.models);
  return Status::Ok();
}

void write_error_chunk(std::string& o, const Status& st) {
  o += "{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}],\"error\":";
  write_openrouter_error_object(o, openrouter_error_http_status(st), st);
  o += "}\n\n";
}

}  // namespace

const openai::RequestExtension& openrouter_request_extension() {
  static const openai::RequestExtension ext{{"models", "provider", "route", "transforms"}, read_members};
  return ext;
}

Result<InboundRequest> parse_openrouter_chat_request(std::string_view body, openai::ParsePath path) {
  return openai::parse_openai_chat_request(body, &openrouter_request_extension(), path);
}

openai::ChatDialect openrouter_chat_dialect() {
  openai::ChatDialect d;
  d.always_usage = true;
  d.write_error_chunk = write_error_chunk;
  return d;
}

}  // namespace ploke::adapters::openrouter
