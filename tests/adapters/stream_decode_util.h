// Test helpers shared by the protocol stream-decoder tests: feed a stream to a decoder in
// pieces, assemble the events, describe them as one string for EXPECT_EQ.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ploke/core/adapter.h"
#include "support/test_support.h"

namespace ploke::testing_support {

struct Decoded {
  Status status;
  Status finish;
  std::vector<StreamEvent> events;
  bool terminated = false;
};

/// Feeds `stream` to `dec`, split at the offsets in `cuts` (ascending), then finishes it.
inline Decoded decode_with(StreamDecoder& dec, std::string_view stream, const std::vector<size_t>& cuts) {
  Decoded d;
  size_t prev = 0;
  for (size_t c : cuts) {
    d.status = dec.feed(stream.substr(prev, c - prev), d.events);
    prev = c;
    if (!d.status.ok()) return d;
  }
  d.status = dec.feed(stream.substr(prev), d.events);
  if (d.status.ok()) d.finish = dec.finish(d.events);
  d.terminated = dec.terminated();
  return d;
}

/// The response the events add up to (every event must be accepted).
inline ChatResponse assemble(const std::vector<StreamEvent>& events) {
  StreamAccumulator acc;
  for (const auto& e : events) EXPECT_OK(acc.add(e));
  return std::move(acc).take();
}

/// kind(text,tool ids,fragments,finish reason,id) per event; with `counts`, also
/// #tool_index/prompt_tokens/completion_tokens.
inline std::string describe(const std::vector<StreamEvent>& events, bool counts = false) {
  std::string s;
  for (const auto& e : events) {
    s += std::string(stream_event_kind_name(e.kind)) + "(" + e.text + e.tool_call_id + e.tool_name +
         e.arguments_fragment + e.native_finish_reason + e.id;
    if (counts) {
      s += "#" + std::to_string(e.tool_index) + "/" + std::to_string(e.usage.prompt_tokens) + "/" +
           std::to_string(e.usage.completion_tokens);
    }
    s += ")";
  }
  return s;
}

}  // namespace ploke::testing_support
