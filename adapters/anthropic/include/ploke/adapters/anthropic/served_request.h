// File: ploke/adapters/anthropic/served_request.h
//
// The server half's full request reader for a server that makes up its own answers (the
// simulator's DOM path for POST /v1/messages and /v1/messages/count_tokens, for every
// request read_plain_messages_request() declines): the API's checks
// (checks_json.h: required fields, ranges, role and block enums, pairing, tools,
// tool_choice, output_config) worded as the API's 400 message, then everything a generator
// needs from the request as typed values. The anthropic-version header and whether the
// model exists are the caller's business (model_not_found() words the 404).
//
// Only the forward declarations of nlohmann: include it from .cpp files that already link
// nlohmann, never from another header.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/adapters/anthropic/render.h"

namespace ploke::adapters::anthropic {

/// One element of the request's `tools`, as a generator calls it.
struct ServedTool {
  std::string name;  ///< `name` (a non-empty string; "" for a toolset, which has none)
  /// `input_schema` as compact JSON text (sorted keys), `"type":"object"` added when it has
  /// no type; `{"type":"object"}` when absent or not an object (server tools).
  std::string input_schema = R"({"type":"object"})";
};

/// `tool_choice.type` (kAuto when absent or null).
enum class ToolChoiceMode { kAuto, kAny, kTool, kNone };

/// `thinking.type` (kOff when absent, null or "disabled").
enum class ThinkingMode { kOff, kEnabled, kAdaptive };

/// One prompt-cache breakpoint (a `cache_control` on a tool, a system block or a message
/// content block, or the top-level automatic one on the last block), in prompt order (tools,
/// system, messages).
struct CacheBreakpoint {
  /// The identity of the prompt prefix up to and including the block: a 64-bit FNV-1a hash
  /// of the model and of every tool, system block and message block (role included) up to
  /// it, the cache_control markers left out (moving a breakpoint keeps the prefix's key).
  uint64_t key = 0;
  /// The prefix's size in the unit of `prompt_chars` (≤ prompt_chars).
  uint64_t prefix_chars = 0;
  bool ttl_1h = false;  ///< `ttl: "1h"` (else the default 5 minutes)
};

/// What a generator reads from a checked request.
struct ServedMessagesRequest {
  std::string model;
  bool stream = false;                    ///< `stream` is true
  uint64_t max_tokens = 0;                ///< ≥ 1 on /v1/messages; 0 on count_tokens
  /// Prompt size in bytes, what the token estimate divides: the text of `system` and of
  /// every message's content (text, nested tool_result content, tool_use input as compact
  /// JSON), plus the compact JSON of `tools`.
  uint64_t prompt_chars = 0;
  /// The last message is a user turn answering tool uses (a tool_result block).
  bool answers_tool_results = false;
  std::vector<ServedTool> tools;          ///< one per element of `tools` (in order)
  ToolChoiceMode tool_choice = ToolChoiceMode::kAuto;
  std::string forced_name;                ///< kTool: `tool_choice.name`
  bool disable_parallel_tool_use = false; ///< `tool_choice.disable_parallel_tool_use` is true
  std::vector<std::string> stop_sequences;
  /// `output_config.format.schema` (structured output) as compact JSON text.
  std::optional<std::string> output_schema;
  ThinkingMode thinking = ThinkingMode::kOff;
  uint64_t thinking_budget = 0;  ///< kEnabled: `thinking.budget_tokens` (≥ 1024, < max_tokens)
  std::vector<CacheBreakpoint> cache_breakpoints;  ///< at most 4, prefix_chars non-decreasing
};

/// The API's 400 message for a request the API rejects (null `body`: not JSON), else
/// nullopt with `out` filled. `count_tokens`: the count_tokens route (no max_tokens).
std::optional<std::string> read_served_messages_request(const nlohmann::json* body, bool count_tokens,
                                                        ServedMessagesRequest& out);

/// The 404 answering a request for a model the server does not have ("model: <id>").
WireError model_not_found(std::string_view model);

}  // namespace ploke::adapters::anthropic
