// OpenRouterAdapter: composes an OpenAiAdapter and adds OpenRouter's request extensions,
// response fields (provider, native_finish_reason, string costs) and the stream
// decoder's finish_reason "error" rule; the rate-limit observation. See
// ploke/adapters/openrouter/adapter.h.
#include "ploke/adapters/openrouter/adapter.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "ploke/json/cursor.h"
#include "ploke/adapters/sse.h"

namespace ploke::adapters::openrouter {
namespace {

using OJson = nlohmann::ordered_json;
using ploke::json::JsonCursor;

constexpr std::string_view kTagPrefix = "openrouter.";
constexpr std::string_view kProviderPrefix = "openrouter.provider.";

std::vector<std::string> split_list(std::string_view v) {
  std::vector<std::string> out;
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::optional<bool> parse_bool(std::string_view v) {
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return std::nullopt;
}

std::optional<double> parse_number(std::string_view v) {
  double d = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || !std::isfinite(d) || d < 0) return std::nullopt;
  return d;
}

std::string fmt_number(double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, static_cast<size_t>(r.ptr - buf));
}

Status bad_tag(std::string_view tag, std::string_view what) {
  return InvalidRequestError("meta.tags: '" + std::string(tag) + "': " + std::string(what));
}

OJson provider_object(const OpenRouterPreferences& p) {
  OJson o = OJson::object();
  if (!p.order.empty()) o["order"] = p.order;
  if (p.allow_fallbacks) o["allow_fallbacks"] = *p.allow_fallbacks;
  if (p.require_parameters) o["require_parameters"] = *p.require_parameters;
  if (!p.data_collection.empty()) o["data_collection"] = p.data_collection;
  if (p.zdr) o["zdr"] = *p.zdr;
  if (!p.only.empty()) o["only"] = p.only;
  if (!p.ignore.empty()) o["ignore"] = p.ignore;
  if (!p.quantizations.empty()) o["quantizations"] = p.quantizations;
  if (!p.sort.empty()) o["sort"] = p.sort;
  OJson mp = OJson::object();
  if (p.max_price_prompt) mp["prompt"] = *p.max_price_prompt;
  if (p.max_price_completion) mp["completion"] = *p.max_price_completion;
  if (p.max_price_request) mp["request"] = *p.max_price_request;
  if (p.max_price_image) mp["image"] = *p.max_price_image;
  if (p.max_price_audio) mp["audio"] = *p.max_price_audio;
  if (!mp.empty()) o["max_price"] = std::move(mp);
  for (const auto& [k, v] : p.extra) {
    OJson parsed = OJson::parse(v, nullptr, /*allow_exceptions=*/false);
    o[k] = parsed.is_discarded() ? OJson(v) : std::move(parsed);
  }
  return o;
}

// ---- Response extras -------------------------------------------------------------------

struct Extras {
  std::string provider;
  std::string native_finish_reason;
  std::optional<double> cost;  // usage.cost when sent as a numeric string (schema drift)
};

bool read_string_or_skip(JsonCursor& c, std::string& out) {
  const char k = c.next_kind();
  if (k == '"') return c.read_string(out);
  return c.skip_value();
}

bool scan_choice(JsonCursor& c, Extras& x) {
  bool first = true;
  std::string_view key;
  while (c.next_member(first, key)) {
    if (key == "native_finish_reason") {
      if (!read_string_or_skip(c, x.native_finish_reason)) return false;
    } else if (!c.skip_value()) {
      return false;
    }
  }
  return !c.failed();
}

bool scan_usage(JsonCursor& c, Extras& x) {
  bool first = true;
  std::string_view key;
  while (c.next_member(first, key)) {
    if (key == "cost" && c.next_kind() == '"') {
      std::string s;
      if (!c.read_string(s)) return false;
      x.cost = parse_number(s);
    } else if (!c.skip_value()) {
      return false;
    }
  }
  return !c.failed();
}

/// Reads `provider`, choices[0].native_finish_reason and a string usage.cost from a body
/// or chunk. False when the text is not a plain JSON object (the caller keeps what the
/// OpenAI parser produced).
bool scan_extras(std::string_view text, Extras& x) {
  JsonCursor c(text);
  if (c.next_kind() != '{') return false;
  bool first = true;
  std::string_view key;
  while (c.next_member(first, key)) {
    bool ok = true;
    if (key == "provider") {
      ok = read_string_or_skip(c, x.provider);
    } else if (key == "choices" && c.next_kind() == '[') {
      bool f = true;
      size_t i = 0;
      while (ok && c.next_element(f)) ok = (i++ == 0 && c.next_kind() == '{') ? scan_choice(c, x) : c.skip_value();
      ok = ok && !c.failed();
    } else if (key == "usage" && c.next_kind() == '{') {
      ok = scan_usage(c, x);
    } else {
      ok = c.skip_value();
    }
    if (!ok) return false;
  }
  return !c.failed();
}

// ---- Stream decoder --------------------------------------------------------------------

class OpenRouterStreamDecoder final : public StreamDecoder {
 public:
  OpenRouterStreamDecoder(std::unique_ptr<StreamDecoder> inner, std::string provider)
      : inner_(std::move(inner)), provider_(std::move(provider)),
        cb_([this](const SseEvent& e) { return on_event(e); }) {}

  Status feed(std::string_view bytes, std::vector<StreamEvent>& out) override {
    if (!error_.ok()) return error_;
    const size_t before = out.size();
    Status st = inner_->feed(bytes, out);
    // The same bytes through a light scanner: only chunks naming a native finish reason
    // are looked at (the OpenAI decoder already decoded everything else).
    (void)scanner_.feed(bytes, cb_);
    return post(st, out, before);
  }
  Status finish(std::vector<StreamEvent>& out) override {
    if (!error_.ok()) return error_;
    const size_t before = out.size();
    Status st = inner_->finish(out);
    (void)scanner_.finish(cb_);
    return post(st, out, before);
  }
  bool terminated() const override { return inner_->terminated(); }

 private:
  bool on_event(const SseEvent& e) {
    if (e.data.find("\"native_finish_reason\":\"") == std::string::npos &&
        e.data.find("\"native_finish_reason\": \"") == std::string::npos) {
      return true;
    }
    Extras x;
    if (scan_extras(e.data, x) && !x.native_finish_reason.empty()) natives_.push_back(std::move(x.native_finish_reason));
    return true;
  }
  Status post(Status st, std::vector<StreamEvent>& out, size_t before) {
    for (size_t i = before; i < out.size(); ++i) {
      StreamEvent& ev = out[i];
      if (ev.kind != StreamEvent::Kind::kFinish) continue;
      if (!natives_.empty()) {
        ev.native_finish_reason = natives_.front();
        natives_.erase(natives_.begin());
      }
      if (ev.finish_reason == FinishReason::kError && st.ok()) {
        // finish_reason "error" without an `error` object: still a failed generation.
        Status err = ServerError("in-band error: stream finished with finish_reason \"error\" (native: " +
                                 (ev.native_finish_reason.empty() ? std::string("none") : ev.native_finish_reason) +
                                 ")");
        err.with_provider(provider_).with_http_status(200);
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(i), out.end());
        st = std::move(err);
        break;
      }
    }
    natives_.clear();
    if (!st.ok()) error_ = st;
    return st;
  }

  std::unique_ptr<StreamDecoder> inner_;
  std::string provider_;
  SseParser scanner_;
  SseParser::Callback cb_;
  std::vector<std::string> natives_;  // native finish reasons seen in the current feed
  Status error_;
};

adapters::openai::OpenAiAdapter::Options inner_options(const OpenRouterAdapter::Options& o) {
  adapters::openai::OpenAiAdapter::Options io;
  io.name = o.name;
  io.legacy_max_tokens = true;  // OpenRouter documents `max_tokens`
  io.fast_json = o.fast_json;
  io.router_members = true;
  return io;
}

}  // namespace

// ---- OpenRouterPreferences --------------------------------------------------------------

bool OpenRouterPreferences::empty() const { return to_tags().empty(); }

std::vector<std::string> OpenRouterPreferences::to_tags() const {
  std::vector<std::string> t;
  const std::string p(kProviderPrefix);
  auto b = [](bool v) { return std::string(v ? "true" : "false"); };
  if (!order.empty()) t.push_back(p + "order=" + join(order));
  if (allow_fallbacks) t.push_back(p + "allow_fallbacks=" + b(*allow_fallbacks));
  if (require_parameters) t.push_back(p + "require_parameters=" + b(*require_parameters));
  if (!data_collection.empty()) t.push_back(p + "data_collection=" + data_collection);
  if (zdr) t.push_back(p + "zdr=" + b(*zdr));
  if (!only.empty()) t.push_back(p + "only=" + join(only));
  if (!ignore.empty()) t.push_back(p + "ignore=" + join(ignore));
  if (!quantizations.empty()) t.push_back(p + "quantizations=" + join(quantizations));
  if (!sort.empty()) t.push_back(p + "sort=" + sort);
  if (max_price_prompt) t.push_back(p + "max_price.prompt=" + fmt_number(*max_price_prompt));
  if (max_price_completion) t.push_back(p + "max_price.completion=" + fmt_number(*max_price_completion));
  if (max_price_request) t.push_back(p + "max_price.request=" + fmt_number(*max_price_request));
  if (max_price_image) t.push_back(p + "max_price.image=" + fmt_number(*max_price_image));
  if (max_price_audio) t.push_back(p + "max_price.audio=" + fmt_number(*max_price_audio));
  for (const auto& [k, v] : extra) t.push_back(p + k + "=" + v);
  if (!models.empty()) t.push_back("openrouter.models=" + join(models));
  if (!route.empty()) t.push_back("openrouter.route=" + route);
  if (!transforms.empty()) t.push_back("openrouter.transforms=" + join(transforms));
  return t;
}

Result<OpenRouterPreferences> OpenRouterPreferences::FromTags(const std::vector<std::string>& tags) {
  OpenRouterPreferences p;
  for (const std::string& tag : tags) {
    if (tag.rfind(kTagPrefix, 0) != 0) continue;
    const size_t eq = tag.find('=');
    if (eq == std::string::npos) return bad_tag(tag, "expected key=value");
    const std::string_view key = std::string_view(tag).substr(0, eq);
    const std::string_view val = std::string_view(tag).substr(eq + 1);
    if (key == "openrouter.models") { p.models = split_list(val); continue; }
    if (key == "openrouter.route") { p.route = std::string(val); continue; }
    if (key == "openrouter.transforms") { p.transforms = split_list(val); continue; }
    if (key.rfind(kProviderPrefix, 0) != 0) return bad_tag(tag, "unknown openrouter tag");
    const std::string_view k = key.substr(kProviderPrefix.size());
    if (k.empty()) return bad_tag(tag, "empty provider key");
    auto need_bool = [&](std::optional<bool>& out) -> Status {
      auto v = parse_bool(val);
      if (!v) return bad_tag(tag, "expected true or false");
      out = v;
      return Status::Ok();
    };
    auto need_price = [&](std::optional<double>& out) -> Status {
      auto v = parse_number(val);
      if (!v) return bad_tag(tag, "expected a non-negative number (USD per million tokens / per unit)");
      out = v;
      return Status::Ok();
    };
    if (k == "order") p.order = split_list(val);
    else if (k == "only") p.only = split_list(val);
    else if (k == "ignore") p.ignore = split_list(val);
    else if (k == "quantizations") p.quantizations = split_list(val);
    else if (k == "allow_fallbacks") PLOKE_RETURN_IF_ERROR(need_bool(p.allow_fallbacks));
    else if (k == "require_parameters") PLOKE_RETURN_IF_ERROR(need_bool(p.require_parameters));
    else if (k == "zdr") PLOKE_RETURN_IF_ERROR(need_bool(p.zdr));
    else if (k == "data_collection") {
      if (val != "allow" && val != "deny") return bad_tag(tag, "expected allow or deny");
      p.data_collection = std::string(val);
    } else if (k == "sort") {
      if (val.empty()) return bad_tag(tag, "expected price, throughput or latency");
      p.sort = std::string(val);  // newer values (e.g. "exacto") pass through
    } else if (k == "max_price.prompt") PLOKE_RETURN_IF_ERROR(need_price(p.max_price_prompt));
    else if (k == "max_price.completion") PLOKE_RETURN_IF_ERROR(need_price(p.max_price_completion));
    else if (k == "max_price.request") PLOKE_RETURN_IF_ERROR(need_price(p.max_price_request));
    else if (k == "max_price.image") PLOKE_RETURN_IF_ERROR(need_price(p.max_price_image));
    else if (k == "max_price.audio") PLOKE_RETURN_IF_ERROR(need_price(p.max_price_audio));
    else if (k.rfind("max_price.", 0) == 0) return bad_tag(tag, "unknown max_price key (prompt, completion, request, image, audio)");
    else p.extra.emplace_back(std::string(k), std::string(val));
  }
  return p;
}

// ---- OpenRouterAdapter ------------------------------------------------------------------

// `reasoning` from the normalized options: {"enabled","effort","max_tokens","exclude"};
// adaptive has no OpenRouter form.
namespace {
Result<OJson> openrouter_reasoning_object(const ReasoningOptions& o) {
  OJson out = OJson::object();
  using Mode = ReasoningOptions::Mode;
  if (o.mode == Mode::kAdaptive) return InvalidRequestError("reasoning.mode: adaptive is not supported by OpenRouter");
  if (o.mode == Mode::kEnabled || o.mode == Mode::kDisabled) out["enabled"] = o.mode == Mode::kEnabled;
  if (!o.effort.empty()) out["effort"] = o.effort;
  if (o.budget_tokens) out["max_tokens"] = *o.budget_tokens;
  if (o.exclude) out["exclude"] = true;
  return out;
}
}  // namespace

OpenRouterAdapter::OpenRouterAdapter(Options options) : options_(std::move(options)), inner_(inner_options(options_)) {}

Result<HttpRequest> OpenRouterAdapter::build_request(const ChatRequest& request, const Endpoint& endpoint) const {
  try {
    PLOKE_ASSIGN_OR_RETURN(OpenRouterPreferences prefs, OpenRouterPreferences::FromTags(request.meta.tags));
    PLOKE_ASSIGN_OR_RETURN(OJson reasoning, openrouter_reasoning_object(request.reasoning));
    std::optional<ChatRequest> stripped;  // the OpenAI writer knows reasoning_effort only
    if (request.reasoning.set()) {
      stripped = request;
      stripped->reasoning = {};
    }
    const ChatRequest& inner_request = stripped ? *stripped : request;
    Result<HttpRequest> http = Status::Ok();
    if (endpoint.base_url.empty()) {
      Endpoint ep = endpoint;
      ep.base_url = std::string(kOpenRouterBaseUrl);
      http = inner_.build_request(inner_request, ep);
    } else {
      http = inner_.build_request(inner_request, endpoint);
    }
    if (!http.ok()) return http;
    OJson ext = OJson::object();
    if (!reasoning.empty()) ext["reasoning"] = std::move(reasoning);
    OJson provider = provider_object(prefs);
    if (!provider.empty()) ext["provider"] = std::move(provider);
    if (!prefs.models.empty()) ext["models"] = prefs.models;
    if (!prefs.route.empty()) ext["route"] = prefs.route;
    if (!prefs.transforms.empty()) ext["transforms"] = prefs.transforms;
    if (ext.empty()) return http;
    // The OpenAI writer produced one object ending in '}': splice the extensions in.
    std::string& body = http->body;
    if (body.empty() || body.back() != '}') return InternalError("openrouter build_request: unexpected body shape");
    const std::string extra = ext.dump();  // "{...}"
    body.pop_back();
    body += ',';
    body.append(extra, 1, std::string::npos);
    return http;
  } catch (const std::exception& e) {
    return InternalError(std::string("openrouter build_request: ") + e.what());
  }
}

Result<ChatResponse> OpenRouterAdapter::parse_response(const HttpResponse& response, const Endpoint& endpoint) const {
  Result<ChatResponse> r = inner_.parse_response(response, endpoint);
  if (!r.ok()) return r;
  Extras x;
  if (scan_extras(response.body, x)) {
    if (!x.provider.empty()) r->provider = x.provider;
    if (!x.native_finish_reason.empty()) r->native_finish_reason = x.native_finish_reason;
    if (x.cost && r->usage && !r->usage->reported_cost_usd) r->usage->reported_cost_usd = x.cost;
  }
  if (auto gid = response.headers.get("x-generation-id"); gid && r->request_id.empty()) {
    r->request_id = std::string(*gid);
  }
  return r;
}

Status OpenRouterAdapter::map_error(const HttpResponse& response, const Endpoint& endpoint) const {
  return inner_.map_error(response, endpoint);
}

std::unique_ptr<StreamDecoder> OpenRouterAdapter::new_stream_decoder(const Endpoint& endpoint) const {
  return std::make_unique<OpenRouterStreamDecoder>(inner_.new_stream_decoder(endpoint), endpoint.provider);
}

RateLimitObservation OpenRouterAdapter::observe_rate_limits(const Headers& headers, SystemTime system_now) const {
  return inner_.observe_rate_limits(headers, system_now);
}

std::span<const std::string_view> OpenRouterAdapter::request_id_headers() const {
  static constexpr std::string_view kHeaders[] = {openai::kRequestIdHeader, "x-generation-id"};
  return kHeaders;
}

ProviderAdapterPtr make_openrouter_adapter() { return std::make_unique<OpenRouterAdapter>(); }

}  // namespace ploke::adapters::openrouter
