// The plain Chat Completions request summary (request_summary.h): one JsonCursor pass.
#include "ploke/adapters/openai/request_summary.h"


#include "ploke/json/cursor.h"

namespace ploke::adapters::openai {
namespace {

using ploke::json::JsonCursor;

// null, or an integer in [lo, hi].
bool read_int_or_null(JsonCursor& c, int64_t lo, int64_t hi, std::optional<int64_t>& out) {
  if (c.consume_null()) return true;
  int64_t v = 0;
  if (!c.read_integer(v) || v < lo || v > hi) return c.fail();
  out = v;
  return true;
}

// null, or a number in [0, hi] (temperature, top_p).
bool read_unit_or_null(JsonCursor& c, double hi) {
  if (c.consume_null()) return true;
  double v = 0;
  return c.read_double(v) && v >= 0.0 && v <= hi ? true : c.fail();
}

bool read_stream(JsonCursor& c, bool& stream) {
  if (c.consume_null()) return true;
  return c.read_bool(stream);
}

// One message: a known role other than "tool", string content (or none), no tool_calls.
bool read_message(JsonCursor& c, uint64_t& prompt_chars) {
  uint64_t seen = 0;
  bool first = true;
  std::string_view key;
  std::string role;
  while (c.next_member(first, key)) {
    if (key == "role") {
      if (!c.once(seen, 0) || !c.read_string(role)) return false;
      if (role != "user" && role != "system" && role != "assistant" && role != "developer") return c.fail();
    } else if (key == "content") {
      uint64_t bytes = 0;
      if (!c.once(seen, 1) || !c.read_string_size(bytes)) return false;
      prompt_chars += bytes;
    } else if (key == "tool_calls" || !c.skip_value()) {
      return c.fail();
    }
  }
  return !c.failed() && (seen & 1) != 0;
}

bool read_messages(JsonCursor& c, uint64_t& prompt_chars) {
  if (c.peek() != '[') return c.fail();
  bool first = true;
  size_t count = 0;
  while (c.next_element(first)) {
    if (!read_message(c, prompt_chars)) return false;
    ++count;
  }
  return !c.failed() && count > 0;
}

bool declined_key(std::string_view key) {
  return key == "tools" || key == "tool_choice" || key == "stream_options" || key == "response_format" ||
         key == "logprobs" || key == "top_logprobs" || key == "seed" || key == "parallel_tool_calls" ||
         key == "reasoning_effort";
}

}  // namespace

bool read_plain_chat_request(std::string_view body, PlainChatRequest& out) {
  out = PlainChatRequest{};
  JsonCursor c(body);
  enum : int { kModel, kMessages, kStream, kN, kMax, kMaxCompletion };  // bits of `seen`
  uint64_t seen = 0;
  std::optional<int64_t> n, max_tokens, max_completion;
  bool first = true;
  std::string_view key;
  while (c.next_member(first, key)) {
    bool ok = true;
    if (key == "model") ok = c.once(seen, kModel) && c.read_string(out.model) && !out.model.empty();
    else if (key == "messages") ok = c.once(seen, kMessages) && read_messages(c, out.prompt_chars);
    else if (key == "stream") ok = c.once(seen, kStream) && read_stream(c, out.stream);
    else if (key == "n") ok = c.once(seen, kN) && read_int_or_null(c, 1, 128, n);
    else if (key == "max_tokens") ok = c.once(seen, kMax) && read_int_or_null(c, 1, INT64_MAX, max_tokens);
    else if (key == "max_completion_tokens") ok = c.once(seen, kMaxCompletion) && read_int_or_null(c, 1, INT64_MAX, max_completion);
    else if (key == "temperature" || key == "top_p") ok = read_unit_or_null(c, key == "temperature" ? 2.0 : 1.0);
    else if (declined_key(key)) ok = false;  // the DOM path reads these
    else ok = c.skip_value();
    if (!ok) return false;
  }
  if (c.failed() || !c.at_end() || (seen & ((1u << kModel) | (1u << kMessages))) != ((1u << kModel) | (1u << kMessages))) return false;
  if (n) out.n = static_cast<size_t>(*n);
  if (max_completion) out.max_tokens = static_cast<uint64_t>(*max_completion);
  else if (max_tokens) out.max_tokens = static_cast<uint64_t>(*max_tokens);
  return true;
}

}  // namespace ploke::adapters::openai
