// Chat Completions bodies, stream chunks, error bodies and headers for completions a server
// makes up itself. See ploke/adapters/openai/render.h.
#include "ploke/adapters/openai/render.h"

#include <charconv>
#include <cstdio>

#include "json_writer.h"

namespace ploke::adapters::openai {
namespace {

using json_text::append_string;
using json_text::append_uint;

std::string u64(uint64_t v) {
  std::string s;
  append_uint(s, v);
  return s;
}

void append_usage(std::string& out, uint64_t prompt, uint64_t completion, uint64_t reasoning) {
  out += "{\"prompt_tokens\":";
  append_uint(out, prompt);
  out += ",\"completion_tokens\":";
  append_uint(out, completion);
  out += ",\"total_tokens\":";
  append_uint(out, prompt + completion);
  out += ",\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
         "\"completion_tokens_details\":{\"reasoning_tokens\":";
  append_uint(out, reasoning);
  out += ",\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}";
}

void append_token_logprob(std::string& out, std::string_view token, double logprob) {
  out += "{\"token\":";
  append_string(out, token);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", logprob);
  out += ",\"logprob\":";
  out += buf;
  out += ",\"bytes\":[";
  for (size_t i = 0; i < token.size(); ++i) {
    if (i) out += ',';
    append_uint(out, static_cast<unsigned char>(token[i]));
  }
  out += ']';
}

std::string logprobs_json(const WireChoice& c, size_t from, size_t count) {
  if (c.logprobs.empty()) return "null";
  std::string o = "{\"content\":[";
  for (size_t i = from; i < from + count && i < c.logprobs.size(); ++i) {
    if (i != from) o += ',';
    o += c.logprobs[i];
  }
  o += "],\"refusal\":null}";
  return o;
}

size_t estimate_size(const WireCompletion& c, const std::vector<WireChoice>& choices) {
  // The fixed parts take < 450 bytes, each choice < 200 + its text.
  size_t estimate = 480 + c.model.size() + c.system_fingerprint.size();
  for (const WireChoice& ch : choices) {
    estimate += 200 + ch.finish.size();
    for (const auto& t : ch.tokens) estimate += t.size() + 2;
    for (const auto& k : ch.calls) estimate += 120 + k.id.size() + k.name.size() + 2 * k.arguments.size();
  }
  return estimate;
}

void append_message(std::string& out, const WireChoice& c) {
  out += ",\"message\":{\"role\":\"assistant\",\"content\":";
  if (c.calls.empty()) {
    out += '"';
    for (const auto& t : c.tokens) json_text::append_escaped_body(out, t);
    out += "\",\"refusal\":null,\"annotations\":[]}";
    return;
  }
  out += "null,\"tool_calls\":[";
  for (size_t k = 0; k < c.calls.size(); ++k) {
    if (k) out += ',';
    out += "{\"id\":\"" + c.calls[k].id + "\",\"type\":\"function\",\"function\":{\"name\":";
    append_string(out, c.calls[k].name);
    out += ",\"arguments\":";
    append_string(out, c.calls[k].arguments);
    out += "}}";
  }
  out += "],\"refusal\":null,\"annotations\":[]}";
}

void append_tool_call_events(std::vector<std::string>& ev, const WireChoice& c, const std::string& head,
                             std::string_view tail_null) {
  for (size_t k = 0; k < c.calls.size(); ++k) {
    const WireToolCall& call = c.calls[k];
    std::string e = head + (k == 0 ? "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[" : "{\"tool_calls\":[");
    e += "{\"index\":" + u64(k) + ",\"id\":\"" + call.id + "\",\"type\":\"function\",\"function\":{\"name\":";
    append_string(e, call.name);
    e += ",\"arguments\":\"\"}}]}";
    e += tail_null;
    ev.push_back(std::move(e));
    for (const auto& f : call.fragments) {
      std::string fe = head + "{\"tool_calls\":[{\"index\":" + u64(k) + ",\"function\":{\"arguments\":";
      append_string(fe, f);
      fe += "}}]}";
      fe += tail_null;
      ev.push_back(std::move(fe));
    }
  }
}

}  // namespace

std::string token_logprob_json(std::string_view token, double logprob,
                               const std::vector<std::pair<std::string, double>>& top) {
  std::string e;
  append_token_logprob(e, token, logprob);
  e += ",\"top_logprobs\":[";
  for (size_t k = 0; k < top.size(); ++k) {
    if (k) e += ',';
    append_token_logprob(e, top[k].first, top[k].second);
    e += '}';
  }
  e += "]}";
  return e;
}

std::string render_completion(const WireCompletion& c, const std::vector<WireChoice>& choices) {
  // Rendered into a per-thread buffer, then copied out at its exact size: a ~1 KB body is
  // then one small-bin malloc instead of a large-bin one (which consolidates fastbins).
  thread_local std::string buffer;
  std::string& out = buffer;
  out.clear();
  out.reserve(estimate_size(c, choices));
  out += "{\"id\":\"";
  out += c.id;
  out += "\",\"object\":\"chat.completion\",\"created\":";
  append_uint(out, static_cast<uint64_t>(c.created));
  out += ",\"model\":";
  append_string(out, c.model);
  out += ",\"choices\":[";
  for (size_t i = 0; i < choices.size(); ++i) {
    const WireChoice& ch = choices[i];
    if (i) out += ',';
    out += "{\"index\":";
    append_uint(out, i);
    append_message(out, ch);
    out += ",\"logprobs\":" + logprobs_json(ch, 0, ch.logprobs.size()) + ",\"finish_reason\":\"" + ch.finish + "\"}";
  }
  out += "],\"usage\":";
  append_usage(out, c.prompt_tokens, c.completion_tokens, c.reasoning_tokens);
  out += ",\"service_tier\":\"default\",\"system_fingerprint\":";
  append_string(out, c.system_fingerprint);
  out += '}';
  std::string body(out);
  if (out.capacity() > (64u << 10)) std::string().swap(out);  // do not pin a huge buffer
  return body;
}

std::vector<std::string> render_choice_events(const WireChoice& c, size_t index) {
  std::vector<std::string> ev;
  const std::string head = "{\"index\":" + u64(index) + ",\"delta\":";
  constexpr std::string_view tail_null = ",\"logprobs\":null,\"finish_reason\":null}";
  if (c.calls.empty()) {
    std::string role = head + "{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}";
    role += tail_null;
    ev.push_back(std::move(role));
    for (size_t i = 0; i < c.tokens.size(); ++i) {
      std::string e = head + "{\"content\":";
      append_string(e, c.tokens[i]);
      e += '}';
      if (c.logprobs.empty()) e += tail_null;
      else e += ",\"logprobs\":" + logprobs_json(c, i, 1) + ",\"finish_reason\":null}";
      ev.push_back(std::move(e));
    }
  } else {
    append_tool_call_events(ev, c, head, tail_null);
  }
  ev.push_back(head + "{},\"logprobs\":null,\"finish_reason\":\"" + c.finish + "\"}");
  return ev;
}

std::string chunk_prefix(const WireCompletion& c) {
  std::string prefix = "data: {\"id\":\"" + c.id + "\",\"object\":\"chat.completion.chunk\",\"created\":" +
                       u64(static_cast<uint64_t>(c.created)) + ",\"model\":";
  append_string(prefix, c.model);
  prefix += ",\"service_tier\":\"default\",\"system_fingerprint\":";
  append_string(prefix, c.system_fingerprint);
  prefix += ",\"choices\":[";
  return prefix;
}

std::string_view chunk_suffix(bool include_usage) {
  return include_usage ? "],\"usage\":null}\n\n" : "]}\n\n";
}

std::string usage_chunk(const std::string& prefix, const WireCompletion& c) {
  std::string u = prefix;  // ends in `"choices":[`: the usage chunk has no choices
  u += "],\"usage\":";
  append_usage(u, c.prompt_tokens, c.completion_tokens, c.reasoning_tokens);
  u += "}\n\n";
  return u;
}

std::string error_body(const WireError& e) {
  std::string out = "{\"error\":{\"message\":";
  append_string(out, e.message);
  out += ",\"type\":";
  append_string(out, e.type);
  out += ",\"param\":";
  if (e.param) append_string(out, *e.param); else out += "null";
  out += ",\"code\":";
  if (e.code) append_string(out, *e.code); else out += "null";
  out += "}}";
  return out;
}

std::string sse_error_event(const WireError& e) { return "data: " + error_body(e) + "\n\n"; }

Headers response_headers(std::string_view content_type, std::string_view request_id,
                         std::string_view organization, const RateLimitWindow& w) {
  Headers h;
  h.add("content-type", std::string(content_type));
  h.add("x-request-id", std::string(request_id));
  h.add("openai-version", "2020-10-01");
  h.add("openai-organization", std::string(organization));
  h.add("x-ratelimit-limit-requests", u64(w.limit_requests));
  h.add("x-ratelimit-limit-tokens", u64(w.limit_tokens));
  h.add("x-ratelimit-remaining-requests", u64(w.remaining_requests));
  h.add("x-ratelimit-remaining-tokens", u64(w.remaining_tokens));
  h.add("x-ratelimit-reset-requests", format_reset_duration(w.reset_requests));
  h.add("x-ratelimit-reset-tokens", format_reset_duration(w.reset_tokens));
  return h;
}

void mark_requests_exhausted(Headers& h, Duration reset) {
  h.set("x-ratelimit-remaining-requests", "0");
  h.set("x-ratelimit-reset-requests", format_reset_duration(reset));
}

std::string format_reset_duration(Duration d) {
  using namespace std::chrono;
  const int64_t ms = duration_cast<milliseconds>(d).count();
  char buf[48];
  if (ms < 1000) {
    const auto r = std::to_chars(buf, buf + sizeof buf, ms < 0 ? int64_t{0} : ms);
    std::string s(buf, static_cast<size_t>(r.ptr - buf));
    s += "ms";
    return s;
  }
  if (ms < 60'000) {
    if (ms % 1000 == 0) {
      std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(ms / 1000));
      return buf;
    }
    std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ms) / 1000.0);
    std::string s(buf);
    while (!s.empty() && s.back() == '0') s.pop_back();
    return s + "s";
  }
  std::snprintf(buf, sizeof buf, "%lldm%llds", static_cast<long long>(ms / 60'000),
                static_cast<long long>((ms % 60'000) / 1000));
  return buf;
}

}  // namespace ploke::adapters::openai
