#include "ploke/core/stream_event_redactor.h"

#include <utility>

namespace ploke {

std::vector<StreamEvent> StreamEventRedactor::apply(const StreamEvent& e) {
  std::vector<StreamEvent> out;
  if (!has_registered_secrets()) {
    out.push_back(e);
    return out;
  }
  switch (e.kind) {
    case StreamEvent::Kind::kTextDelta: {
      std::string text = text_.feed(e.text);
      if (!text.empty()) out.push_back(StreamEvent::TextDelta(std::move(text)));
      return out;
    }
    case StreamEvent::Kind::kToolCallDelta: {
      auto it = tools_.try_emplace(e.tool_index, StreamRedactor::Mode::kValuesOnly).first;
      StreamEvent x = e;
      x.arguments_fragment = it->second.feed(e.arguments_fragment);
      // A first fragment (id/name) goes out even when its arguments are held back.
      if (!x.arguments_fragment.empty() || !x.tool_call_id.empty() || !x.tool_name.empty()) {
        out.push_back(std::move(x));
      }
      return out;
    }
    case StreamEvent::Kind::kStart:
      out.push_back(e);
      return out;
    default:
      out = flush();
      out.push_back(e);
      return out;
  }
}

bool StreamEventRedactor::holding() const {
  if (text_.pending() != 0) return true;
  for (const auto& [index, r] : tools_) {
    if (r.pending() != 0) return true;
  }
  return false;
}

std::vector<StreamEvent> StreamEventRedactor::flush() {
  std::vector<StreamEvent> out;
  if (std::string text = text_.finish(); !text.empty()) out.push_back(StreamEvent::TextDelta(std::move(text)));
  for (auto& [index, r] : tools_) {
    std::string rest = r.finish();
    if (rest.empty()) continue;
    StreamEvent x;
    x.kind = StreamEvent::Kind::kToolCallDelta;
    x.tool_index = index;
    x.arguments_fragment = std::move(rest);
    out.push_back(std::move(x));
  }
  return out;
}

}  // namespace ploke
