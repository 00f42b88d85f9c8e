// The simulator's Anthropic model catalog (GET /v1/models, /v1/models/{id}, known-model
// checks; rendered by the Anthropic package), the plain /v1/messages check (the package's
// request summary and a known model), and the request-text helpers (token estimate,
// vocabulary words). See anthropic_catalog.h.
#include "anthropic_catalog.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cctype>
#include <cstdio>

#include "ploke/adapters/anthropic/render.h"

namespace ploke::simulator::detail::anthropic {
namespace {

constexpr std::array<std::string_view, 48> kVocabulary = {
    "the",   "a",        "simulated", "answer",  "is",    "that",   "model",  "token",  "of",      "and",
    "to",    "in",       "provider",  "stream",  "reply", "quick",  "brown",  "fox",    "jumps",   "over",
    "lazy",  "dog",      "request",   "with",    "data",  "value",  "claude", "user",   "result",  "time",
    "fault", "plan",     "seed",      "random",  "words", "here",   "for",    "testing", "only",   "clock",
    "sure",  "certainly", "hello",    "world",   "again", "more",   "text",   "output"};

struct ModelEntry {
  std::string_view id;
  std::string_view display_name;
  std::string_view created_at;
};

// The models Anthropic's routes know besides SimOptions::models; newest first, as the API
// lists them.
constexpr std::array<ModelEntry, 7> kModels = {{
    {"claude-sonnet-4-6", "Claude Sonnet 4.6", "2026-02-17T00:00:00Z"},
    {"claude-opus-4-6", "Claude Opus 4.6", "2026-02-05T00:00:00Z"},
    {"claude-sonnet-4-5", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"},
    {"claude-haiku-4-5", "Claude Haiku 4.5", "2025-10-15T00:00:00Z"},
    {"claude-opus-4-1", "Claude Opus 4.1", "2025-08-05T00:00:00Z"},
    {"claude-3-7-sonnet-20250219", "Claude Sonnet 3.7", "2025-02-24T00:00:00Z"},
    {"claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z"},
}};

// The family ("line") a model id names, or none.
std::optional<std::string> model_line(std::string_view id) {
  for (std::string_view line : {"opus", "sonnet", "haiku"}) {
    if (id.find(line) != std::string_view::npos) return std::string(line);
  }
  return std::nullopt;
}

// A ModelInfo (the package writes every key the SDK type requires). Capabilities, token
// limits and lifecycle dates are not modelled.
adapters::anthropic::WireModel model_info(std::string_view id, std::string_view name, std::string created) {
  return {std::string(id), std::string(name), std::move(created), model_line(id)};
}

}  // namespace

std::string models_list_body(const SimOptions& opts) {
  std::vector<adapters::anthropic::WireModel> data;
  for (const ModelEntry& m : kModels) data.push_back(model_info(m.id, m.display_name, std::string(m.created_at)));
  for (const ModelInfo& m : opts.models) {
    const bool builtin = std::any_of(kModels.begin(), kModels.end(), [&](const ModelEntry& e) { return e.id == m.id; });
    if (!builtin && m.id.rfind("claude", 0) == 0) {
      data.push_back(model_info(m.id, m.id, adapters::anthropic::format_rfc3339(m.created)));
    }
  }
  return adapters::anthropic::render_models_page(data);
}

std::optional<std::string> model_body(std::string_view id, const SimOptions& opts) {
  for (const ModelEntry& m : kModels) {
    if (m.id != id) continue;
    return adapters::anthropic::render_model_info(model_info(m.id, m.display_name, std::string(m.created_at)));
  }
  for (const ModelInfo& m : opts.models) {
    if (m.id != id) continue;
    return adapters::anthropic::render_model_info(model_info(m.id, m.id, adapters::anthropic::format_rfc3339(m.created)));
  }
  return std::nullopt;
}

bool model_known(std::string_view model, const SimOptions& opts) {
  for (const ModelEntry& m : kModels) if (m.id == model) return true;
  return std::any_of(opts.models.begin(), opts.models.end(), [&](const ModelInfo& m) { return m.id == model; });
}

bool read_plain_message(std::string_view body, const SimOptions& opts, PlainMessage& out) {
  return adapters::anthropic::read_plain_messages_request(body, out) && model_known(out.model, opts);
}

// ---- Request text and synthetic words ----

uint64_t input_tokens(uint64_t prompt_chars) { return std::max<uint64_t>(1, prompt_chars / 4); }

std::string_view word(Random& rng) { return kVocabulary[rng.below(kVocabulary.size())]; }

std::vector<std::string> make_tokens(uint64_t n, bool full_stop, Random& rng) {
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(std::min<uint64_t>(n, 4096)));
  for (uint64_t i = 0; i < n; ++i) {
    std::string tok = i == 0 ? std::string() : std::string(" ");
    std::string_view w = word(rng);
    if (i == 0) {
      tok += static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
      tok += w.substr(1);
    } else {
      tok += w;
    }
    if (i + 1 == n && full_stop) tok += '.';
    out.push_back(std::move(tok));
  }
  return out;
}

}  // namespace ploke::simulator::detail::anthropic
