// File: adapters/openai/src/reasoning.h (private to ploke::adapters_openai)
//
// The reasoning OpenAI-compatible servers put beside an answer's content, read by the
// client half from a parsed message or stream delta: the text (`reasoning` from
// OpenRouter, `reasoning_content` from DeepSeek, vLLM and llama.cpp) and OpenRouter's
// `reasoning_details` entries (signed text, summaries, encrypted data). OpenAI sends none.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "json_reader.h"
#include "ploke/core/chat.h"

namespace ploke::adapters::openai::reasoning {

using Reader = ploke::adapters::detail::JsonReader;

/// The text of `obj` (a message or delta) into `out` (kept when already set);
/// `reasoning_content` wins over `reasoning`. A non-string value fails naming its path.
bool read_text(Reader& rd, const nlohmann::json& obj, const std::string& path, std::string& out);

/// `obj.reasoning_details` as blocks in order onto `out` (unknown entry types skipped).
bool read_details(Reader& rd, const nlohmann::json& obj, const std::string& path, std::vector<ReasoningBlock>& out);

/// The blocks' text, concatenated.
std::string text_of(const std::vector<ReasoningBlock>& blocks);

/// Sets the answer's reasoning: the details' blocks when any (text from them when `text`
/// is empty), else `text` as one unsigned block; nothing when both are empty.
void set(ChatResponse& out, std::string text, std::vector<ReasoningBlock> details = {});

}  // namespace ploke::adapters::openai::reasoning
