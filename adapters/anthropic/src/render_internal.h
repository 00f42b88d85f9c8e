// Private writers shared by the two renderers of the package's server half (server_render.cpp:
// the gateway's answers; render.cpp: a server's own synthetic messages), so both write the
// same bytes for the same values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "json_writer.h"
#include "ploke/adapters/anthropic/render.h"

namespace ploke::adapters::anthropic::detail {

struct UsageCounts {
  uint64_t input = 0;
  uint64_t output = 0;
  uint64_t cache_write = 0;
  uint64_t cache_read = 0;
  uint64_t cache_write_1h = 0;  ///< the part of cache_write with ttl "1h" (the rest is 5m)
};

/// A Message's Usage (delta = false) or message_delta's MessageDeltaUsage (delta = true),
/// every key the SDK types require.
void append_usage(std::string& o, const UsageCounts& u, bool delta);

/// The event line and the data prefix: "event: NAME\ndata: ".
void append_event_head(std::string& o, std::string_view name);
/// The message_start event (the Message without content, stop_reason null).
void append_message_start(std::string& o, std::string_view id, std::string_view model, const UsageCounts& u);
void append_ping(std::string& o);
void append_text_block_start(std::string& o, int64_t index);
void append_text_delta(std::string& o, int64_t index, std::string_view text);
void append_tool_block_start(std::string& o, int64_t index, std::string_view id, std::string_view name);
void append_input_json_delta(std::string& o, int64_t index, std::string_view fragment);
void append_thinking_block_start(std::string& o, int64_t index);
void append_thinking_delta(std::string& o, int64_t index, std::string_view thinking);
void append_signature_delta(std::string& o, int64_t index, std::string_view signature);
void append_redacted_thinking_block_start(std::string& o, int64_t index, std::string_view data);
void append_block_stop(std::string& o, int64_t index);
/// message_delta (stop_reason, stop_sequence or null, cumulative usage) and message_stop.
void append_message_end(std::string& o, std::string_view stop_reason,
                        const std::optional<std::string>& stop_sequence, const UsageCounts& u);

/// The `content` blocks' writers for a non-stream Message.
void append_text_block(std::string& o, std::string_view text);
void append_thinking_block(std::string& o, const WireThinking& t);
void append_tool_use_block(std::string& o, std::string_view id, std::string_view name, std::string_view input_json);

void write_model(json_text::JsonWriter& w, const WireModel& m);

}  // namespace ploke::adapters::anthropic::detail
