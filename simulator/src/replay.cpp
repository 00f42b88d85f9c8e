// Cassette replay: the near-miss error response and the replay admin JSON.
#include "replay.h"

#include <nlohmann/json.hpp>

#include "ploke/adapters/anthropic/render.h"
#include "ploke/adapters/anthropic/server.h"
#include "ploke/adapters/register.h"
#include "ploke/codec/cassette_json.h"

namespace ploke::simulator {

codec::ReplayOptions default_replay_options() {
  codec::ReplayOptions o;
  o.match.ignore_paths = adapters::builtin_cassette_ignore_paths();
  return o;
}
namespace detail {

namespace {

bool is_anthropic_path(const std::string& path) {
  constexpr std::string_view kMessages = "/v1/messages";
  return path.size() >= kMessages.size() && path.compare(path.size() - kMessages.size(), kMessages.size(), kMessages) == 0;
}

}  // namespace

ScriptedResponse replay_miss_response(const codec::NearMiss& miss, const std::string& path,
                                      const RequestContext& ctx, const SimOptions& opts) {
  return replay_error_response(miss.to_string(), kCassetteNoMatch, path, ctx, opts);
}

ScriptedResponse replay_error_response(const std::string& message, std::string_view code, const std::string& path,
                                       const RequestContext& ctx, const SimOptions& opts) {
  ScriptedResponse r;
  if (is_anthropic_path(path)) {
    namespace an = adapters::anthropic;
    const an::WireError e{std::string(an::error_type_for_status(400)), message, {}};
    r = ScriptedResponse::Simple(kCassetteMissStatus, Headers{}, an::error_body(e, ctx.request_id));
    r.headers.add("content-type", "application/json");
    r.headers.add(std::string(an::kRequestIdHeader), ctx.request_id);
  } else {
    r = error_response(ErrorSpec{kCassetteMissStatus, message, "invalid_request_error", std::nullopt,
                                 std::string(code)},
                       ctx, opts);
  }
  r.headers.add("x-ploke-replay", "miss");
  return r;
}

std::string take_cassette_scope(const HttpRequest& request, const codec::ReplayStore& store, std::string* path) {
  const auto header = request.headers.get(kCassetteHeader);
  constexpr std::string_view kPrefix = "/cassettes/";
  const std::string rest = path->rfind(kPrefix, 0) == 0 ? path->substr(kPrefix.size()) : std::string();
  size_t cut = rest.find('/');
  if (cut == std::string::npos) return header ? std::string(*header) : std::string();
  for (size_t at = rest.rfind('/'); at != std::string::npos && at > 0; at = rest.rfind('/', at - 1)) {
    if (store.has_cassette(std::string_view(rest).substr(0, at))) {
      cut = at;
      break;
    }
  }
  *path = rest.substr(cut);
  return header ? std::string(*header) : rest.substr(0, cut);  // the header wins
}

Status check_cassette_scope(const std::string& name, const codec::ReplayStore& store) {
  if (name.empty()) {
    return Status(StatusCode::kNotFound,
                  "this server replays per-test cassettes: name one with the x-ploke-cassette header or a "
                  "/cassettes/NAME/ path prefix");
  }
  PLOKE_RETURN_IF_ERROR(codec::check_cassette_name(name));
  if (!store.has_cassette(name)) {
    return Status(StatusCode::kNotFound, "no cassette \"" + name + "\" (" + name +
                                             ".json in the cassette folder): record it first (record --cassette-dir "
                                             "DIR --mode once)");
  }
  return Status();
}

}  // namespace detail

namespace {

using detail::Json;

Json ref_json(const codec::InteractionRef& ref) {
  return Json{{"cassette", ref.cassette}, {"index", ref.index}, {"id", ref.id},
              {"method", ref.method},     {"path", ref.path},   {"label", ref.label()}};
}

Json miss_json(const codec::NearMiss& m) {
  Json diff = Json::array();
  for (const auto& d : m.diff) {
    diff.push_back({{"kind", std::string(codec::diff_kind_name(d.kind))},
                    {"path", d.path},
                    {"recorded", d.recorded},
                    {"actual", d.actual}});
  }
  return Json{{"method", m.method},
              {"path", m.path},
              {"exhausted", m.exhausted},
              {"nearest", m.nearest ? ref_json(*m.nearest) : Json(nullptr)},
              {"diff", std::move(diff)},
              {"report", m.to_string()}};
}

Json misses_array(const std::vector<codec::NearMiss>& misses) {
  Json arr = Json::array();
  for (const auto& m : misses) arr.push_back(miss_json(m));
  return arr;
}

Json refs_array(const std::vector<codec::InteractionRef>& refs) {
  Json arr = Json::array();
  for (const auto& r : refs) arr.push_back(ref_json(r));
  return arr;
}

// Cassette text may hold any bytes (base64 bodies are decoded, paths are not validated):
// never throw on invalid UTF-8.
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

std::string replay_misses_to_json(const std::vector<codec::NearMiss>& misses) {
  return dump(Json{{"misses", misses_array(misses)}});
}

std::string replay_unused_to_json(const std::vector<codec::InteractionRef>& unused) {
  return dump(Json{{"unused", refs_array(unused)}});
}

std::string strict_report_to_json(const codec::StrictReport& report) {
  return dump(Json{{"ok", report.ok()},
                   {"requests", report.requests},
                   {"unmatched", report.unmatched},
                   {"misses", misses_array(report.misses)},
                   {"unused", refs_array(report.unused)},
                   {"report", report.to_string()}});
}

}  // namespace ploke::simulator
