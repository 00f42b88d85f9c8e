#include "ploke/core/stream_event_redactor.h"

#include <utility>

namespace ploke {

namespace {

// A logprob entry with its token strings redacted (registered values; a value split
// across tokens is not seen here). `bytes` follow the redacted token.
TokenLogprob redacted(const TokenLogprob& lp) {
  auto fix = [](std::string& token, std::optional<std::vector<uint8_t>>& bytes) {
    std::string r = redact_registered_secrets(token);
    if (r == token) return;
    token = std::move(r);
    if (bytes) bytes = std::vector<uint8_t>(token.begin(), token.end());
  };
  TokenLogprob out = lp;
  fix(out.token, out.bytes);
  for (TopLogprob& t : out.top_logprobs) fix(t.token, t.bytes);
  return out;
}

}  // namespace

// The logprobs held so far, for text that goes out. A registered value spelled across
// tokens becomes one entry: the redacted text, the tokens' summed logprob, no alternatives.
std::vector<TokenLogprob> StreamEventRedactor::take_logprobs() {
  std::vector<TokenLogprob> lps = std::move(logprobs_);
  logprobs_.clear();
  std::string spelled;
  for (const TokenLogprob& lp : lps) spelled += lp.token;
  std::string red = redact_registered_secrets(spelled);
  if (red == spelled) {
    for (TokenLogprob& lp : lps) lp = redacted(lp);
    return lps;
  }
  TokenLogprob one;
  for (const TokenLogprob& lp : lps) one.logprob += lp.logprob;
  one.bytes = std::vector<uint8_t>(red.begin(), red.end());
  one.token = std::move(red);
  return {std::move(one)};
}

// Text out now. With logprobs waiting, text and tokens go out together once nothing is
// held back, so a chunk's tokens spell its text (and a value split across deltas travels
// as one piece).
StreamEvent StreamEventRedactor::text_delta(std::string text) {
  if (logprobs_.empty() && released_.empty()) return StreamEvent::TextDelta(std::move(text));
  released_ += text;
  if (text_.pending() != 0) return StreamEvent::TextDelta({});
  StreamEvent e = StreamEvent::TextDelta(std::move(released_));
  released_.clear();
  e.logprobs = take_logprobs();
  return e;
}

std::vector<StreamEvent> StreamEventRedactor::apply(const StreamEvent& e) {
  std::vector<StreamEvent> out;
  if (!has_registered_secrets()) {
    out.push_back(e);
    return out;
  }
  switch (e.kind) {
    case StreamEvent::Kind::kTextDelta: {
      flush_reasoning(out);  // reasoning comes first: its held tail goes before the text
      std::string text = text_.feed(e.text);
      logprobs_.insert(logprobs_.end(), e.logprobs.begin(), e.logprobs.end());
      StreamEvent x = text_delta(std::move(text));
      if (!x.text.empty() || !x.logprobs.empty()) out.push_back(std::move(x));
      return out;
    }
    case StreamEvent::Kind::kToolCallDelta: {
      flush_reasoning(out);
      auto it = tools_.try_emplace(e.tool_index, StreamRedactor::Mode::kValuesOnly).first;
      StreamEvent x = e;
      x.arguments_fragment = it->second.feed(e.arguments_fragment);
      // A first fragment (id/name) goes out even when its arguments are held back.
      if (!x.arguments_fragment.empty() || !x.tool_call_id.empty() || !x.tool_name.empty()) {
        out.push_back(std::move(x));
      }
      return out;
    }
    case StreamEvent::Kind::kReasoningDelta: {
      StreamEvent x = e;
      x.text = reasoning_.feed(e.text);
      if (!e.signature.empty() || !e.redacted.empty()) {
        // A signature closes the block: the text (released part, then the held tail) goes
        // out first, the mark after it.
        if (!x.text.empty()) {
          StreamEvent t;
          t.kind = StreamEvent::Kind::kReasoningDelta;
          t.text = std::move(x.text);
          out.push_back(std::move(t));
        }
        flush_reasoning(out);
        x.text.clear();
        out.push_back(std::move(x));
      } else if (!x.text.empty()) {
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

void StreamEventRedactor::flush_reasoning(std::vector<StreamEvent>& out) {
  if (reasoning_.pending() == 0) return;
  StreamEvent x;
  x.kind = StreamEvent::Kind::kReasoningDelta;
  x.text = reasoning_.finish();
  if (!x.text.empty()) out.push_back(std::move(x));
}

bool StreamEventRedactor::holding() const {
  if (text_.pending() != 0 || !released_.empty() || reasoning_.pending() != 0) return true;
  for (const auto& [index, r] : tools_) {
    if (r.pending() != 0) return true;
  }
  return false;
}

std::vector<StreamEvent> StreamEventRedactor::flush() {
  std::vector<StreamEvent> out;
  flush_reasoning(out);
  if (std::string text = text_.finish(); !text.empty() || !logprobs_.empty()) out.push_back(text_delta(std::move(text)));
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
