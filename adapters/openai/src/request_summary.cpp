// The plain Chat Completions request summary (request_summary.h): one JsonCursor pass.
#include "ploke/adapters/openai/request_summary.h"

#include <charconv>

#include "ploke/json/cursor.h"

namespace ploke::adapters::openai {
namespace {

using ploke::json::JsonCursor;

// Marks `bit` seen; a second occurrence of a known key declines.
bool once(JsonCursor& c, unsigned& seen, unsigned bit) {
  if ((seen & bit) != 0) return c.fail();
  seen |= bit;
  return true;
}

// An integer written without fraction or exponent.
bool read_int(JsonCursor& c, int64_t& v) {
  std::string_view t;
  if (!c.read_number_text(t)) return false;
  if (t.find_first_of(".eE") != std::string_view::npos) return c.fail();
  const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  return ec == std::errc() && p == t.data() + t.size() ? true : c.fail();
}

// null, or an integer in [lo, hi].
bool read_int_or_null(JsonCursor& c, int64_t lo, int64_t hi, std::optional<int64_t>& out) {
  if (c.consume_null()) return true;
  int64_t v = 0;
  if (!read_int(c, v) || v < lo || v > hi) return c.fail();
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
  unsigned seen = 0;
  bool first = true;
  std::string_view key;
  std::string role;
  while (c.next_member(first, key)) {
    if (key == "role") {
      if (!once(c, seen, 1) || !c.read_string(role)) return false;
      if (role != "user" && role != "system" && role != "assistant" && role != "developer") return c.fail();
    } else if (key == "content") {
      uint64_t bytes = 0;
      if (!once(c, seen, 2) || !c.read_string_size(bytes)) return false;
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
         key == "logprobs" || key == "top_logprobs" || key == "seed" || key == "parallel_tool_calls";
}

}  // namespace

bool read_plain_chat_request(std::string_view body, PlainChatRequest& out) {
  out = PlainChatRequest{};
  JsonCursor c(body);
  enum : unsigned { kModel = 1, kMessages = 2, kStream = 4, kN = 8, kMax = 16, kMaxCompletion = 32 };
  unsigned seen = 0;
  std::optional<int64_t> n, max_tokens, max_completion;
  bool first = true;
  std::string_view key;
  while (c.next_member(first, key)) {
    bool ok = true;
    if (key == "model") ok = once(c, seen, kModel) && c.read_string(out.model) && !out.model.empty();
    else if (key == "messages") ok = once(c, seen, kMessages) && read_messages(c, out.prompt_chars);
    else if (key == "stream") ok = once(c, seen, kStream) && read_stream(c, out.stream);
    else if (key == "n") ok = once(c, seen, kN) && read_int_or_null(c, 1, 128, n);
    else if (key == "max_tokens") ok = once(c, seen, kMax) && read_int_or_null(c, 1, INT64_MAX, max_tokens);
    else if (key == "max_completion_tokens") ok = once(c, seen, kMaxCompletion) && read_int_or_null(c, 1, INT64_MAX, max_completion);
    else if (key == "temperature" || key == "top_p") ok = read_unit_or_null(c, key == "temperature" ? 2.0 : 1.0);
    else if (declined_key(key)) ok = false;  // the DOM path reads these
    else ok = c.skip_value();
    if (!ok) return false;
  }
  if (c.failed() || !c.at_end() || (seen & (kModel | kMessages)) != (kModel | kMessages)) return false;
  if (n) out.n = static_cast<size_t>(*n);
  if (max_completion) out.max_tokens = static_cast<uint64_t>(*max_completion);
  else if (max_tokens) out.max_tokens = static_cast<uint64_t>(*max_tokens);
  return true;
}

}  // namespace ploke::adapters::openai
