// Anthropic Messages routes of the simulator: validation, synthetic messages (streamed
// and not), count_tokens, models, and fault rendering in Anthropic's shape. See
// anthropic_wire.h (the Anthropic Messages API reference and the @anthropic-ai/sdk types).
#include "anthropic_wire.h"
#include "anthropic_catalog.h"
#include "ploke/adapters/anthropic/checks_json.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>
#include <vector>

namespace ploke::sim::detail::anthropic {
namespace {

using OJson = nlohmann::ordered_json;

struct AError {
  int status = 400;
  std::string type = "invalid_request_error";
  std::string message;
  std::string detail_code;  ///< rendered as error.details.error_code when set
};

AError invalid(std::string message) { return AError{400, "invalid_request_error", std::move(message), {}}; }

AError default_error(int status, std::string_view model) {
  switch (status) {
    case 400: return invalid("Simulated bad request.");
    case 401: return {401, "authentication_error", "invalid x-api-key", {}};
    case 402: return {402, "billing_error",
                      "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing "
                      "to upgrade or purchase credits.", {}};
    case 403: return {403, "permission_error", "Your API key does not have permission to use the specified resource.", {}};
    case 404: return {404, "not_found_error", "model: " + std::string(model), {}};
    case 408: return {408, "timeout_error", "Request timed out.", {}};
    case 413: return {413, "request_too_large", "Request exceeds the maximum allowed number of bytes.", {}};
    case 429: return {429, "rate_limit_error",
                      "This request would exceed the rate limit for your organization of 10,000 requests per "
                      "minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the "
                      "response headers for current usage. Please reduce the prompt length or the maximum tokens "
                      "requested, or try again later.", {}};
    case 500: return {500, "api_error", "Internal server error", {}};
    case 504: return {504, "timeout_error", "Request timed out", {}};
    case 529: return {529, "overloaded_error", "Overloaded", {}};
    default:
      if (status >= 500) return {status, "api_error", "Simulated server error.", {}};
      return {status, "invalid_request_error", "Simulated client error.", {}};
  }
}

AError fault_error(const Fault& f, int status, std::string_view model) {
  AError e = default_error(status, model);
  if (!f.message.empty()) e.message = f.message;
  if (!f.error_type.empty()) e.type = f.error_type;
  if (!f.error_code.empty()) e.detail_code = f.error_code;
  return e;
}

std::string render_error(const AError& e, std::string_view request_id) {
  OJson err = OJson::object();
  err["type"] = e.type;
  err["message"] = e.message;
  if (!e.detail_code.empty()) err["details"] = OJson{{"error_code", e.detail_code}};
  OJson doc = OJson::object();
  doc["type"] = "error";
  doc["error"] = std::move(err);
  doc["request_id"] = request_id.empty() ? OJson(nullptr) : OJson(std::string(request_id));
  return doc.dump();
}

std::string sse(std::string_view event, const OJson& data) {
  std::string out = "event: ";
  out += event;
  out += "\ndata: ";
  out += data.dump();
  out += "\n\n";
  return out;
}

/// content-type, request-id, anthropic-organization-id and the anthropic-ratelimit-*
/// families. `reset_after` is added to the request's wall time for the request family.
Headers base_headers(std::string_view content_type, const RequestContext& ctx, const SimOptions& opts,
                     uint64_t remaining_requests, uint64_t used_tokens, std::chrono::seconds reset_after) {
  Headers h;
  h.add("content-type", std::string(content_type));
  h.add("request-id", ctx.request_id);
  h.add("anthropic-organization-id", "00000000-0000-4000-8000-00000000510a");
  const uint64_t limit_req = opts.rate_limits.limit_requests;
  const uint64_t limit_tok = opts.rate_limits.limit_tokens;
  h.add("anthropic-ratelimit-requests-limit", std::to_string(limit_req));
  h.add("anthropic-ratelimit-requests-remaining", std::to_string(remaining_requests));
  h.add("anthropic-ratelimit-requests-reset", rfc3339(ctx.created + reset_after.count()));
  // Token "remaining" values are rounded to the nearest thousand, as the API does.
  auto remaining = [&](uint64_t limit) {
    const uint64_t rem = limit > used_tokens ? limit - used_tokens : 0;
    return std::to_string((rem + 500) / 1000 * 1000);
  };
  const std::string token_reset = rfc3339(ctx.created + std::max<int64_t>(1, reset_after.count()));
  for (const auto& [family, limit] : {std::pair<std::string_view, uint64_t>{"tokens", limit_tok},
                                      {"input-tokens", limit_tok / 5 * 4},
                                      {"output-tokens", limit_tok / 5}}) {
    const std::string base = "anthropic-ratelimit-" + std::string(family) + "-";
    h.add(base + "limit", std::to_string(limit));
    h.add(base + "remaining", remaining(limit));
    h.add(base + "reset", token_reset);
  }
  return h;
}

uint64_t remaining_after_this(const SimOptions& opts) {
  return opts.rate_limits.limit_requests > 0 ? opts.rate_limits.limit_requests - 1 : 0;
}

ScriptedResponse json_response(int status, std::string body, const RequestContext& ctx, const SimOptions& opts,
                               uint64_t used_tokens = 0) {
  ScriptedResponse r;
  r.status = status;
  r.headers = base_headers("application/json", ctx, opts, remaining_after_this(opts), used_tokens,
                           std::chrono::seconds(1));
  r.chunks.push_back(TimedChunk{Duration{0}, std::move(body)});
  return r;
}

ScriptedResponse error_response(const AError& e, const RequestContext& ctx, const SimOptions& opts) {
  return json_response(e.status, render_error(e, ctx.request_id), ctx, opts);
}

int64_t ms_ceil(Duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (std::chrono::milliseconds(ms) < d) ++ms;
  return ms;
}

ScriptedResponse http_error_response(const Fault& f, const RequestContext& ctx, const SimOptions& opts,
                                     std::string_view model) {
  ScriptedResponse r = error_response(fault_error(f, f.status, model), ctx, opts);
  if (f.status == 429) {
    // An Anthropic 429 always carries retry-after (whole seconds), and the request and
    // token families reset at the same instant it names.
    const Duration wait = f.retry_after ? *f.retry_after
                                        : (f.retry_after_ms ? *f.retry_after_ms : Duration(std::chrono::seconds(1)));
    const int64_t secs = std::max<int64_t>(1, (ms_ceil(wait) + 999) / 1000);
    r.headers = base_headers("application/json", ctx, opts, 0, opts.rate_limits.limit_tokens,
                             std::chrono::seconds(secs));
    r.headers.add("retry-after", std::to_string(secs));
  } else if (f.retry_after) {
    r.headers.add("retry-after", std::to_string((ms_ceil(*f.retry_after) + 999) / 1000));
  }
  if (f.retry_after_ms) r.headers.add("retry-after-ms", std::to_string(ms_ceil(*f.retry_after_ms)));
  if (f.should_retry) r.headers.add("x-should-retry", *f.should_retry ? "true" : "false");
  return r;
}

void shift(ScriptedResponse& r, Duration by) {
  if (by <= Duration{0}) return;
  r.head_at += by;
  for (auto& c : r.chunks) c.at += by;
}

// ---- Request validation (the real API's 400 messages) ----

/// Validates a Messages (or count_tokens) request: the header, then the body checks shared
/// with the gateway (ploke/adapters/anthropic/checks_json.h), then the model.
std::optional<AError> validate(const HttpRequest& req, const Json* body, const SimOptions& opts, bool count_tokens) {
  if (!req.headers.has("anthropic-version")) return invalid("anthropic-version: header is required");
  if (body == nullptr) return invalid("There was an error parsing the body of your request: invalid JSON");
  if (auto problem = adapters::anthropic::check_anthropic_request(*body, count_tokens)) return invalid(std::move(*problem));
  const std::string& m = (*body)["model"].get_ref<const std::string&>();
  if (!model_known(m, opts)) return AError{404, "not_found_error", "model: " + m, {}};
  return std::nullopt;
}

// ---- Synthetic answers ----

struct ToolUsePlan {
  std::string id;
  std::string name;
  Json input;
  std::vector<std::string> fragments;
};

struct Plan {
  std::vector<std::string> tokens;  // text block tokens (may be empty with tool uses)
  std::vector<ToolUsePlan> calls;
  std::string stop_reason = "end_turn";
  std::optional<std::string> stop_sequence;  ///< with stop_reason "stop_sequence"
  uint64_t output_tokens = 0;
};

// The text stops before the earliest occurrence of any `stop_sequences` entry:
// stop_reason "stop_sequence", `stop_sequence` names it, and the tokens after it are
// dropped (the one holding it is cut). Runs after generation, so the random sequence is
// the same with or without stop sequences.
void apply_stop_sequences(const Json& b, Plan& plan) {
  auto ss = b.find("stop_sequences");
  if (ss == b.end() || !ss->is_array() || ss->empty()) return;
  std::string text;
  for (const auto& t : plan.tokens) text += t;
  size_t best = std::string::npos;
  for (const Json& s : *ss) {
    const std::string& seq = s.get_ref<const std::string&>();
    if (seq.empty()) continue;
    const size_t at = text.find(seq);
    if (at != std::string::npos && (best == std::string::npos || at < best)) {
      best = at;
      plan.stop_sequence = seq;
    }
  }
  if (best == std::string::npos) return;
  std::vector<std::string> kept;
  size_t pos = 0;
  for (const auto& t : plan.tokens) {
    if (pos >= best) break;
    kept.push_back(t.substr(0, std::min(t.size(), best - pos)));
    pos += t.size();
  }
  if (!kept.empty() && kept.back().empty()) kept.pop_back();
  plan.tokens = std::move(kept);
  plan.output_tokens = plan.tokens.size() + 1;  // the stop sequence's token counts too
  plan.stop_reason = "stop_sequence";
}

// A text answer of the configured length (cut at max_tokens).
void plan_text(uint64_t max_tokens, const SimOptions& opts, Random& rng, Plan& plan) {
  const uint32_t lo = std::min(opts.length.min_tokens, opts.length.max_tokens);
  const uint32_t hi = std::max(opts.length.min_tokens, opts.length.max_tokens);
  uint64_t n = static_cast<uint64_t>(rng.between(std::max<uint32_t>(1, lo), std::max<uint32_t>(1, hi)));
  if (max_tokens < n) {
    n = max_tokens;
    plan.stop_reason = "max_tokens";
  }
  plan.tokens = make_tokens(n, plan.stop_reason == "end_turn", rng);
  plan.output_tokens = n;
}

void plan_tool_uses(const Json& tools_json, bool preamble, const std::string& forced, bool no_parallel,
                    const SimOptions& opts, Random& rng, Plan& plan);

// output_config.format {"type":"json_schema","schema":{…}} (checked by ploke/adapters/anthropic/checks_json.h).
const Json* output_schema(const Json& b) {
  const auto oc = b.find("output_config");
  if (oc == b.end() || !oc->is_object()) return nullptr;
  const auto f = oc->find("format");
  if (f == oc->end() || !f->is_object()) return nullptr;
  const auto s = f->find("schema");
  return s != f->end() && s->is_object() ? &*s : nullptr;
}

Plan plan_message(const Json& b, const SimOptions& opts, Random& rng) {
  Plan plan;
  const uint64_t max_tokens = b["max_tokens"].get<uint64_t>();
  const Json* tools = nullptr;
  if (auto t = b.find("tools"); t != b.end() && t->is_array() && !t->empty()) tools = &*t;
  std::string mode = "auto";
  std::string forced;
  bool no_parallel = false;
  if (auto tc = b.find("tool_choice"); tc != b.end() && tc->is_object()) {
    mode = (*tc)["type"].get<std::string>();
    if (mode == "tool") forced = (*tc)["name"].get<std::string>();
    no_parallel = tc->value("disable_parallel_tool_use", false);
  }
  bool use_tools = false;
  if (tools != nullptr && mode != "none") {
    if (mode == "any" || mode == "tool") {
      use_tools = true;
    } else {
      // Roll even when the answer must be text, so the random sequence does not depend on
      // the conversation's shape.
      const bool roll = rng.chance(opts.tool_call_probability);
      use_tools = roll && !answers_tool_results(b["messages"]);
    }
  }
  if (use_tools) {
    plan_tool_uses(*tools, mode == "auto", forced, no_parallel, opts, rng, plan);
    return plan;
  }
  if (const Json* schema = output_schema(b)) {
    // Structured output: one text block whose text is JSON valid against the schema.
    const std::string text = fake_json_value(*schema, rng, word).dump();
    plan.tokens = split_fragments(text, static_cast<uint32_t>(std::max<size_t>(1, text.size() / 8)), rng);
    plan.output_tokens = std::max<uint64_t>(1, text.size() / 4);
    return plan;
  }
  plan_text(max_tokens, opts, rng, plan);
  apply_stop_sequences(b, plan);
  return plan;
}

// tool_use blocks (after a short text preamble when the choice was "auto", as Claude
// writes before calling tools); stop_reason "tool_use".
void plan_tool_uses(const Json& tools_json, bool preamble, const std::string& forced, bool no_parallel,
                    const SimOptions& opts, Random& rng, Plan& plan) {
  const Json* tools = &tools_json;
  {
    if (preamble) {
      plan.tokens = make_tokens(static_cast<uint64_t>(rng.between(2, 5)), true, rng);
      plan.output_tokens += plan.tokens.size();
    }
    uint32_t n = opts.n_tool_calls;
    if (n == 0) n = forced.empty() ? static_cast<uint32_t>(std::min<size_t>(tools->size(), 3)) : 1;
    if (no_parallel || !forced.empty()) n = 1;
    n = std::max<uint32_t>(1, n);
    const uint64_t first = rng.below(tools->size());
    for (uint32_t i = 0; i < n; ++i) {
      const Json* def = &(*tools)[(first + i) % tools->size()];
      if (!forced.empty()) {
        for (const Json& d : *tools) {
          if (d.value("name", std::string()) == forced) def = &d;
        }
      }
      ToolUsePlan call;
      call.id = "toolu_" + rng.alnum(24);
      call.name = def->value("name", std::string("tool"));
      Json schema = def->value("input_schema", Json::object());
      if (!schema.is_object()) schema = Json::object();
      if (!schema.contains("type")) schema["type"] = "object";
      call.input = fake_json_value(schema, rng, word);
      if (!call.input.is_object()) call.input = Json::object();
      const std::string text = call.input.dump();
      call.fragments = split_fragments(text, opts.tool_argument_fragments, rng);
      plan.output_tokens += std::max<uint64_t>(1, text.size() / 4);
      plan.calls.push_back(std::move(call));
    }
    plan.stop_reason = "tool_use";
  }
}

// Every key the SDK's `Usage` type requires (nullable ones as null), in the order
// append_usage() writes them.
OJson usage_json(uint64_t input, uint64_t output) {
  OJson u = OJson::object();
  u["input_tokens"] = input;
  u["cache_creation_input_tokens"] = 0;
  u["cache_read_input_tokens"] = 0;
  u["cache_creation"] = OJson{{"ephemeral_5m_input_tokens", 0}, {"ephemeral_1h_input_tokens", 0}};
  u["output_tokens"] = output;
  u["output_tokens_details"] = nullptr;
  u["server_tool_use"] = nullptr;
  u["service_tier"] = "standard";
  u["inference_geo"] = nullptr;
  u["speed"] = nullptr;
  return u;
}

// `message_delta` usage (the SDK's MessageDeltaUsage): cumulative counts.
OJson delta_usage_json(uint64_t input, uint64_t output) {
  OJson u = OJson::object();
  u["input_tokens"] = input;
  u["cache_creation_input_tokens"] = 0;
  u["cache_read_input_tokens"] = 0;
  u["output_tokens"] = output;
  u["output_tokens_details"] = nullptr;
  u["server_tool_use"] = nullptr;
  return u;
}

// The keys a Message / message_delta carries besides stop_reason and stop_sequence.
void add_nullable_message_keys(OJson& doc) {
  doc["stop_details"] = nullptr;
  doc["container"] = nullptr;
}

std::string join(const std::vector<std::string>& tokens) {
  std::string s;
  for (const auto& t : tokens) s += t;
  return s;
}

struct Generated {
  ScriptedResponse response;
  bool stream = false;
};

// Time to the first token and between tokens; `slow_factor` multiplies both.
void pacing(const SimOptions& opts, double slow_factor, Duration& ttft, Duration& gap) {
  const double factor = slow_factor > 0 ? slow_factor : 1.0;
  ttft = Duration{0};
  gap = Duration{0};
  if (!opts.latency.fast) {
    ttft = std::chrono::duration_cast<Duration>(opts.latency.time_to_first_token * factor);
    if (opts.latency.tokens_per_second > 0) {
      gap = Duration(static_cast<int64_t>(std::llround(1e9 / opts.latency.tokens_per_second * factor)));
    }
  }
}

// The non-stream Message body (generate_message()).
void render_message_json(ScriptedResponse& r, const std::string& id, const std::string& model, uint64_t input, const Plan& plan,
    Duration ttft, Duration gap, const SimOptions& opts, const RequestContext& ctx) {
  const uint64_t used = input + plan.output_tokens;
  size_t deltas = plan.tokens.size();
  for (const auto& c : plan.calls) deltas += c.fragments.size();
  r.head_at = opts.latency.fast ? Duration{0} : ttft + gap * static_cast<int64_t>(deltas);
  r.headers = base_headers("application/json", ctx, opts, remaining_after_this(opts), used, std::chrono::seconds(1));
  OJson content = OJson::array();
  if (!plan.tokens.empty()) {
    content.push_back(OJson{{"type", "text"}, {"text", join(plan.tokens)}, {"citations", OJson::array()}});
  }
  for (const auto& c : plan.calls) {
    OJson blk = OJson::object();
    blk["type"] = "tool_use";
    blk["id"] = c.id;
    blk["name"] = c.name;
    blk["input"] = OJson::parse(c.input.dump());
    blk["caller"] = OJson{{"type", "direct"}};
    content.push_back(std::move(blk));
  }
  OJson doc = OJson::object();
  doc["id"] = id;
  doc["type"] = "message";
  doc["role"] = "assistant";
  doc["model"] = model;
  doc["content"] = std::move(content);
  doc["stop_reason"] = plan.stop_reason;
  doc["stop_sequence"] = plan.stop_sequence ? OJson(*plan.stop_sequence) : OJson(nullptr);
  add_nullable_message_keys(doc);
  doc["usage"] = usage_json(input, plan.output_tokens);
  doc["diagnostics"] = nullptr;
  r.chunks.push_back(TimedChunk{r.head_at, doc.dump()});
}

// message_start's Message: no content yet, output_tokens 1.
OJson message_start_json(const std::string& id, const std::string& model, uint64_t input) {
  OJson msg = OJson::object();
  msg["id"] = id;
  msg["type"] = "message";
  msg["role"] = "assistant";
  msg["model"] = model;
  msg["content"] = OJson::array();
  msg["stop_reason"] = nullptr;
  msg["stop_sequence"] = nullptr;
  add_nullable_message_keys(msg);
  msg["usage"] = usage_json(input, 1);
  msg["diagnostics"] = nullptr;
  return msg;
}

// The SSE events of a streamed message (generate_message()).
void render_message_sse(ScriptedResponse& r, const std::string& id, const std::string& model, uint64_t input, const Plan& plan,
    Duration ttft, Duration gap, const SimOptions& opts, const RequestContext& ctx) {
  const uint64_t used = input + plan.output_tokens;

  r.streaming = true;
  r.head_at = Duration{0};
  r.headers = base_headers("text/event-stream; charset=utf-8", ctx, opts, remaining_after_this(opts), used,
                           std::chrono::seconds(1));
  r.headers.add("cache-control", "no-cache");
  // Preamble events at ttft; each delta one gap after the previous; closing events with
  // the last delta.
  Duration at = ttft;
  bool first_delta = true;
  auto add = [&](std::string_view name, const OJson& data) { r.chunks.push_back(TimedChunk{at, sse(name, data)}); };
  auto delta_time = [&] {
    if (!first_delta) at += gap;
    first_delta = false;
  };
  add("message_start", OJson{{"type", "message_start"}, {"message", message_start_json(id, model, input)}});
  size_t index = 0;
  bool pinged = false;
  if (!plan.tokens.empty()) {
    add("content_block_start", OJson{{"type", "content_block_start"},
                                     {"index", index},
                                     {"content_block", OJson{{"type", "text"}, {"text", ""}, {"citations", OJson::array()}}}});
    add("ping", OJson{{"type", "ping"}});
    pinged = true;
    for (const auto& t : plan.tokens) {
      delta_time();
      add("content_block_delta", OJson{{"type", "content_block_delta"},
                                       {"index", index},
                                       {"delta", OJson{{"type", "text_delta"}, {"text", t}}}});
    }
    add("content_block_stop", OJson{{"type", "content_block_stop"}, {"index", index}});
    ++index;
  }
  for (const auto& c : plan.calls) {
    add("content_block_start",
        OJson{{"type", "content_block_start"},
              {"index", index},
              {"content_block", OJson{{"type", "tool_use"}, {"id", c.id}, {"name", c.name}, {"input", OJson::object()},
                                      {"caller", OJson{{"type", "direct"}}}}}});
    if (!pinged) {
      add("ping", OJson{{"type", "ping"}});
      pinged = true;
    }
    add("content_block_delta", OJson{{"type", "content_block_delta"},
                                     {"index", index},
                                     {"delta", OJson{{"type", "input_json_delta"}, {"partial_json", ""}}}});
    for (const auto& f : c.fragments) {
      delta_time();
      add("content_block_delta", OJson{{"type", "content_block_delta"},
                                       {"index", index},
                                       {"delta", OJson{{"type", "input_json_delta"}, {"partial_json", f}}}});
    }
    add("content_block_stop", OJson{{"type", "content_block_stop"}, {"index", index}});
    ++index;
  }
  OJson delta{{"stop_reason", plan.stop_reason},
              {"stop_sequence", plan.stop_sequence ? OJson(*plan.stop_sequence) : OJson(nullptr)}};
  add_nullable_message_keys(delta);
  add("message_delta", OJson{{"type", "message_delta"},
                             {"delta", std::move(delta)},
                             {"usage", delta_usage_json(input, plan.output_tokens)}});
  add("message_stop", OJson{{"type", "message_stop"}});
}

Generated generate_message(const Json& b, const SimOptions& opts, const RequestContext& ctx, Random& rng,
                           double slow_factor) {
  Generated g;
  g.stream = b.value("stream", Json(false)).is_boolean() && b.value("stream", false);
  const std::string model = b["model"].get<std::string>();
  const std::string id = "msg_" + rng.alnum(24);
  const uint64_t input = input_tokens(b);
  const Plan plan = plan_message(b, opts, rng);

  Duration ttft{0}, gap{0};
  pacing(opts, slow_factor, ttft, gap);
  ScriptedResponse& r = g.response;
  r.status = 200;

  if (!g.stream) {
    render_message_json(r, id, model, input, plan, ttft, gap, opts, ctx);
  } else {
    render_message_sse(r, id, model, input, plan, ttft, gap, opts, ctx);
  }
  return g;
}

// ---- The DOM-free path (scan_message_light) ----
// Renders the same bytes as generate_message()'s ordered_json dumps for a text answer: the
// strings are the model (printable ASCII without escapes, by the scanner), "msg_" + alnum
// and vocabulary words, so append_json_string() writes them as dump() does.

void append_usage(std::string& o, uint64_t input, uint64_t output) {
  o += "{\"input_tokens\":";
  o += std::to_string(input);
  o += ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"cache_creation\":"
       "{\"ephemeral_5m_input_tokens\":0,\"ephemeral_1h_input_tokens\":0},\"output_tokens\":";
  o += std::to_string(output);
  o += ",\"output_tokens_details\":null,\"server_tool_use\":null,\"service_tier\":\"standard\","
       "\"inference_geo\":null,\"speed\":null}";
}

// stop_reason, stop_sequence and the nullable keys of add_nullable_message_keys().
void append_stop(std::string& o, const Plan& plan) {
  o += "\"stop_reason\":";
  append_json_string(o, plan.stop_reason);
  o += ",\"stop_sequence\":null,\"stop_details\":null,\"container\":null";
}

// generate_message_light()'s non-stream body: the bytes render_message_json() writes.
void light_message_json(ScriptedResponse& r, const std::string& id, std::string_view model, uint64_t input, const Plan& plan,
                      Duration ttft, Duration gap, const SimOptions& opts, const RequestContext& ctx) {
  const uint64_t used = input + plan.output_tokens;
  r.head_at = opts.latency.fast ? Duration{0} : ttft + gap * static_cast<int64_t>(plan.tokens.size());
  r.headers = base_headers("application/json", ctx, opts, remaining_after_this(opts), used, std::chrono::seconds(1));
  std::string doc;
  doc.reserve(320 + model.size() + plan.tokens.size() * 10);
  doc += "{\"id\":";
  append_json_string(doc, id);
  doc += ",\"type\":\"message\",\"role\":\"assistant\",\"model\":";
  append_json_string(doc, model);
  doc += ",\"content\":[";
  if (!plan.tokens.empty()) {
    doc += "{\"type\":\"text\",\"text\":";
    append_json_string(doc, join(plan.tokens));
    doc += ",\"citations\":[]}";
  }
  doc += "],";
  append_stop(doc, plan);
  doc += ",\"usage\":";
  append_usage(doc, input, plan.output_tokens);
  doc += ",\"diagnostics\":null}";
  r.chunks.push_back(TimedChunk{r.head_at, std::move(doc)});
}

// generate_message_light()'s SSE events: the bytes render_message_sse() writes.
void light_message_sse(ScriptedResponse& r, const std::string& id, std::string_view model, uint64_t input, const Plan& plan,
                      Duration ttft, Duration gap, const SimOptions& opts, const RequestContext& ctx) {
  const uint64_t used = input + plan.output_tokens;

  r.streaming = true;
  r.head_at = Duration{0};
  r.headers = base_headers("text/event-stream; charset=utf-8", ctx, opts, remaining_after_this(opts), used,
                           std::chrono::seconds(1));
  r.headers.add("cache-control", "no-cache");
  r.chunks.reserve(plan.tokens.size() + 6);
  Duration at = ttft;
  auto add = [&](std::string ev) { r.chunks.push_back(TimedChunk{at, std::move(ev)}); };
  {
    std::string ev = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":";
    append_json_string(ev, id);
    ev += ",\"type\":\"message\",\"role\":\"assistant\",\"model\":";
    append_json_string(ev, model);
    ev += ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"stop_details\":null,"
          "\"container\":null,\"usage\":";
    append_usage(ev, input, 1);
    ev += ",\"diagnostics\":null}}\n\n";
    add(std::move(ev));
  }
  if (!plan.tokens.empty()) {
    add("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
        "\"content_block\":{\"type\":\"text\",\"text\":\"\",\"citations\":[]}}\n\n");
    add("event: ping\ndata: {\"type\":\"ping\"}\n\n");
    bool first = true;
    for (const auto& t : plan.tokens) {
      if (!first) at += gap;
      first = false;
      std::string ev = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                       "\"delta\":{\"type\":\"text_delta\",\"text\":";
      append_json_string(ev, t);
      ev += "}}\n\n";
      add(std::move(ev));
    }
    add("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
  }
  std::string ev = "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{";
  append_stop(ev, plan);
  ev += "},\"usage\":{\"input_tokens\":";
  ev += std::to_string(input);
  ev += ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":";
  ev += std::to_string(plan.output_tokens);
  ev += ",\"output_tokens_details\":null,\"server_tool_use\":null}}\n\n";
  add(std::move(ev));
  add("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
}

Generated generate_message_light(const LightMessage& m, const SimOptions& opts, const RequestContext& ctx,
                                 Random& rng, double slow_factor) {
  Generated g;
  g.stream = m.stream;
  std::string id = "msg_";
  id += rng.alnum(24);
  const uint64_t input = std::max<uint64_t>(1, m.text_chars / 4);
  Plan plan;
  plan_text(m.max_tokens, opts, rng, plan);
  Duration ttft{0}, gap{0};
  pacing(opts, slow_factor, ttft, gap);
  ScriptedResponse& r = g.response;
  r.status = 200;

  if (!g.stream) {
    light_message_json(r, id, m.model, input, plan, ttft, gap, opts, ctx);
  } else {
    light_message_sse(r, id, m.model, input, plan, ttft, gap, opts, ctx);
  }
  return g;
}

/// The fault-free answer.
ScriptedResponse produce(const HttpRequest& req, const std::string& path, bool is_post, bool is_get,
                         const Json* body, const LightMessage* light, const RequestContext& ctx,
                         const SimOptions& opts, Random& rng, double slow) {
  if (path == kMessagesPath && is_post && light != nullptr) {  // the engine checked anthropic-version
    return generate_message_light(*light, opts, ctx, rng, slow).response;
  }
  if (path == kMessagesPath && is_post) {
    if (auto e = validate(req, body, opts, false)) return error_response(*e, ctx, opts);
    return generate_message(*body, opts, ctx, rng, slow).response;
  }
  if (path == kCountTokensPath && is_post) {
    if (auto e = validate(req, body, opts, true)) return error_response(*e, ctx, opts);
    return json_response(200, OJson{{"input_tokens", input_tokens(*body)}}.dump(), ctx, opts);
  }
  if (path == "/v1/models" && is_get) return json_response(200, models_list_body(opts), ctx, opts);
  if (is_get && path.rfind("/v1/models/", 0) == 0) {
    const std::string_view id = std::string_view(path).substr(std::string_view("/v1/models/").size());
    if (auto info = model_body(id, opts)) return json_response(200, std::move(*info), ctx, opts);
    return error_response(AError{404, "not_found_error", "model: " + std::string(id), {}}, ctx, opts);
  }
  return error_response(AError{404, "not_found_error", "Not Found", {}}, ctx, opts);
}

constexpr std::string_view kMalformedEvent =
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"tru\n\n";

void overlay(ScriptedResponse& r, const Fault& f, std::string_view model, const RequestContext& ctx) {
  const bool cuts = f.kind == FaultKind::kHang || f.kind == FaultKind::kMalformedJson ||
                    f.kind == FaultKind::kStreamCut || f.kind == FaultKind::kMidStreamError;
  if (cuts && r.streaming) {
    // One event per chunk; never keep the last one (message_stop).
    const size_t total = r.chunks.size();
    const size_t keep = std::min<size_t>(f.after_events, total > 0 ? total - 1 : 0);
    const Duration cut_at = keep < total ? r.chunks[keep].at : r.head_at;
    r.chunks.resize(keep);
    switch (f.kind) {
      case FaultKind::kHang: r.ending = Ending::kHang; break;
      case FaultKind::kMalformedJson: r.chunks.push_back(TimedChunk{cut_at, std::string(kMalformedEvent)}); break;
      case FaultKind::kStreamCut: r.ending = Ending::kReset; break;
      default: {  // kMidStreamError: `event: error`, then the body ends
        const AError e = fault_error(f, f.status >= 400 ? f.status : 500, model);
        OJson err = OJson::object();
        err["type"] = e.type;
        err["message"] = e.message;
        if (!e.detail_code.empty()) err["details"] = OJson{{"error_code", e.detail_code}};
        OJson doc{{"type", "error"}, {"error", std::move(err)}};
        doc["request_id"] = ctx.request_id.empty() ? OJson(nullptr) : OJson(ctx.request_id);
        r.chunks.push_back(TimedChunk{cut_at, sse("error", doc)});
        r.ending = Ending::kComplete;
        break;
      }
    }
  } else if (cuts && f.kind != FaultKind::kHang) {
    const Duration body_at = r.chunks.empty() ? r.head_at : r.chunks.front().at;
    const std::string b = r.body();
    if (f.kind == FaultKind::kMalformedJson) {
      r.status = 200;
      r.chunks.assign(1, TimedChunk{body_at, b.substr(0, b.size() / 2)});
    } else if (f.kind == FaultKind::kStreamCut) {
      r.headers.set("content-length", std::to_string(b.size()));
      r.chunks.assign(1, TimedChunk{body_at, b.substr(0, b.size() / 2)});
      r.ending = Ending::kReset;
    } else {  // kMidStreamError: a 200 whose body is the error
      r.status = 200;
      r.chunks.assign(1, TimedChunk{body_at, render_error(fault_error(f, f.status >= 400 ? f.status : 500, model),
                                                          ctx.request_id)});
      r.ending = Ending::kComplete;
    }
  }
  shift(r, f.delay);  // kDelay (every kind); kSlowStream was applied by the producer
}

}  // namespace

bool is_route(std::string_view path, bool is_get, const Headers& headers) {
  if (path == kMessagesPath || path.rfind("/v1/messages/", 0) == 0) return true;
  if (is_get && (path == "/v1/models" || path.rfind("/v1/models/", 0) == 0)) return headers.has("anthropic-version");
  return false;
}

ScriptedResponse respond(const Fault* f, const HttpRequest& request, const std::string& path, bool is_post,
                         bool is_get, const Json* body, const LightMessage* light, const RequestContext& ctx,
                         const SimOptions& opts, Random& rng, std::string_view model, bool stream) {
  try {
    if (f != nullptr) {
      ScriptedResponse r;
      switch (f->kind) {
        case FaultKind::kHttpError:
          r = http_error_response(*f, ctx, opts, model);
          shift(r, f->delay);
          return r;
        case FaultKind::kReset:
        case FaultKind::kEmptyReply:
          r.send_head = false;
          r.status = 0;
          r.ending = f->kind == FaultKind::kReset ? Ending::kReset : Ending::kCloseNoReply;
          r.head_at = f->delay;
          return r;
        case FaultKind::kHang:
          if (stream && f->after_events > 0) break;
          r.send_head = false;
          r.status = 0;
          r.ending = Ending::kHang;
          return r;
        default:
          break;
      }
    }
    const double slow = (f != nullptr && f->kind == FaultKind::kSlowStream) ? f->factor : 1.0;
    ScriptedResponse r = produce(request, path, is_post, is_get, body, light, ctx, opts, rng, slow);
    if (f != nullptr) overlay(r, *f, model, ctx);
    return r;
  } catch (const std::exception& ex) {
    // A bug (an unguarded JSON access): answer like Anthropic's 500, never throw.
    return error_response(AError{500, "api_error", std::string("simulator internal error: ") + ex.what(), {}}, ctx,
                          opts);
  }
}

}  // namespace ploke::sim::detail::anthropic
