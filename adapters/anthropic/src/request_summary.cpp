// The plain Messages request summary (request_summary.h): one JsonCursor pass.
#include "ploke/adapters/anthropic/request_summary.h"


#include "ploke/json/cursor.h"

namespace ploke::adapters::anthropic {
namespace {

using ploke::json::JsonCursor;

// An integer ≥ 1 written without fraction or exponent.
bool read_positive(JsonCursor& c, uint64_t& v) {
  int64_t i = 0;
  if (!c.read_integer(i)) return false;
  if (i < 1) return c.fail();
  v = static_cast<uint64_t>(i);
  return true;
}

// A string's decoded byte count; with `keep`, the decoded text too.
bool read_text(JsonCursor& c, uint64_t& bytes, std::string* keep) {
  if (keep == nullptr) return c.read_string_size(bytes);
  if (!c.read_string(*keep)) return false;
  bytes = keep->size();
  return true;
}

// One message {role, content}: the role this turn must have, non-empty string content.
// With `text`, the content is kept and any other member declines.
bool read_message(JsonCursor& c, std::string_view want_role, uint64_t& text_chars, PlainMessagesText* text) {
  uint64_t seen = 0;
  bool first = true;
  std::string_view key;
  std::string role;
  std::string* keep = nullptr;
  if (text != nullptr) keep = &text->turns.emplace_back();
  if (c.peek() != '{') return c.fail();
  while (c.next_member(first, key)) {
    if (key == "role") {
      if (!c.once(seen, 0) || !c.read_string(role)) return false;
      if (role != want_role) return c.fail();
    } else if (key == "content") {
      uint64_t bytes = 0;
      if (!c.once(seen, 1) || !read_text(c, bytes, keep) || bytes == 0) return c.fail();
      text_chars += bytes;
    } else if (text != nullptr || !c.skip_value()) {
      return c.fail();
    }
  }
  return !c.failed() && seen == 3;
}

bool read_messages(JsonCursor& c, uint64_t& text_chars, PlainMessagesText* text) {
  if (c.peek() != '[') return c.fail();
  bool first = true;
  bool user_turn = true;  // the role the next message must have
  size_t count = 0;
  while (c.next_element(first)) {
    if (!read_message(c, user_turn ? "user" : "assistant", text_chars, text)) return false;
    user_turn = !user_turn;
    ++count;
  }
  return !c.failed() && count > 0;
}

bool read_system(JsonCursor& c, uint64_t& text_chars, PlainMessagesText* text) {
  if (c.consume_null()) return true;
  uint64_t bytes = 0;
  if (!read_text(c, bytes, text != nullptr ? &text->system.emplace() : nullptr)) return false;
  text_chars += bytes;
  return true;
}

bool read_stream(JsonCursor& c, bool& stream) {
  if (c.consume_null()) return true;
  return c.read_bool(stream);
}

bool declined_key(std::string_view key) {
  return key == "tools" || key == "tool_choice" || key == "stop_sequences" || key == "temperature" ||
         key == "top_p" || key == "top_k" || key == "output_config" || key == "thinking" || key == "cache_control";
}

bool read_plain(std::string_view body, PlainMessagesRequest& out, PlainMessagesText* text) {
  out = PlainMessagesRequest{};
  JsonCursor c(body);
  enum : int { kModel, kMax, kMessages, kSystem, kStream };  // bits of `seen`
  uint64_t seen = 0;
  bool first = true;
  std::string_view key;
  while (c.next_member(first, key)) {
    bool ok = true;
    if (key == "model") ok = c.once(seen, kModel) && c.read_string(out.model);
    else if (key == "max_tokens") ok = c.once(seen, kMax) && read_positive(c, out.max_tokens);
    else if (key == "system") ok = c.once(seen, kSystem) && read_system(c, out.text_chars, text);
    else if (key == "stream") ok = c.once(seen, kStream) && read_stream(c, out.stream);
    else if (key == "messages") ok = c.once(seen, kMessages) && read_messages(c, out.text_chars, text);
    else if (text != nullptr || declined_key(key)) ok = false;  // the DOM path reads these
    else ok = c.skip_value();
    if (!ok) return false;
  }
  const uint64_t required = (1u << kModel) | (1u << kMax) | (1u << kMessages);
  return !c.failed() && c.at_end() && (seen & required) == required;
}

}  // namespace

bool read_plain_messages_request(std::string_view body, PlainMessagesRequest& out) { return read_plain(body, out, nullptr); }

bool read_plain_messages_request(std::string_view body, PlainMessagesRequest& out, PlainMessagesText& text) {
  text = PlainMessagesText{};
  return read_plain(body, out, &text);
}

}  // namespace ploke::adapters::anthropic
