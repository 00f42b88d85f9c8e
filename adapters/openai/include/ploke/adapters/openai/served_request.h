// File: ploke/adapters/openai/served_request.h
//
// The server half's full request reader for a server that makes up its own answers (the
// simulator's DOM path, for every request read_plain_chat_request() declines): the API's
// validation of a Chat Completions body — JSON object, model, messages, stream type, the
// shared checks (checks.h: ranges, role/content enums), tool/tool_call pairing and
// tool_choice — worded, typed and param-pathed as the API does, then everything a generator
// needs from the request as typed values. Whether the model exists is the caller's
// business (model_not_found() words the 404).
//
// Only the forward declarations of nlohmann: include it from .cpp files that already link
// nlohmann, never from another header.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/adapters/openai/render.h"
#include "ploke/adapters/openai/request_summary.h"

namespace ploke::adapters::openai {

/// One element of the request's `tools`, as a generator calls it.
struct ServedTool {
  std::string name = "tool";  ///< `function.name` / `custom.name` ("tool" when absent)
  /// `function.parameters` as compact JSON text (sorted keys), `"type":"object"` added when
  /// it has no type; `{"type":"object"}` when absent.
  std::string parameters = R"({"type":"object"})";
  bool custom = false;  ///< a custom tool (`custom.name`; free-form input, no parameters)
};

/// How `tool_choice` lets the model use tools.
enum class ToolChoiceMode { kAuto, kNone, kRequired, kFunction };

/// What a generator reads from a validated request.
struct ServedChatRequest {
  std::string model;
  bool stream = false;
  bool include_usage = false;             ///< `stream_options.include_usage`
  std::optional<uint64_t> max_tokens;     ///< `max_completion_tokens` ≥ 1, else `max_tokens` ≥ 1
  size_t n = 1;
  uint64_t prompt_chars = 0;              ///< message text parts and tool-call arguments, bytes
  bool last_message_is_tool = false;      ///< the last message's role is "tool"
  std::optional<int64_t> seed;
  std::vector<ServedTool> tools;          ///< one per element of `tools` (in order)
  ToolChoiceMode tool_choice = ToolChoiceMode::kAuto;
  std::string forced_name;                ///< kFunction: `tool_choice.function.name`
  /// The last element of `tools` whose function is `forced_name` (when that is not empty).
  std::optional<size_t> forced_tool;
  bool parallel_tool_calls = true;        ///< false only when `parallel_tool_calls` is false
  bool logprobs = false;
  uint32_t top_logprobs = 0;
  /// The schema the content must follow (`response_format`): json_schema → its `schema`
  /// (`{}` when missing), json_object → a one-string-member object schema; compact JSON.
  std::optional<std::string> response_schema;
  std::optional<std::string> reasoning_effort;  ///< `reasoning_effort` (one of the API's values)
};

/// The API's 400 for a malformed request (null `body`: not JSON), else nullopt with `out`
/// filled. The checks run in the API's order; the first problem wins.
std::optional<WireError> read_served_chat_request(const nlohmann::json* body, ServedChatRequest& out);

/// The same values for a request read_plain_chat_request() accepted.
ServedChatRequest served_from_plain(const PlainChatRequest& plain);

/// 400 unsupported_parameter: `reasoning_effort` for a model that does not reason.
WireError reasoning_effort_unsupported();

/// The 404 answering a request for a model the server does not have.
WireError model_not_found(std::string_view model);

}  // namespace ploke::adapters::openai
