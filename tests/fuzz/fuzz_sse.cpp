// libFuzzer harness: SseParser (the SSE decoder of every streamed provider response).
// Input: byte 0 picks a split point, the rest is the stream. The stream is parsed whole and
// again in three feeds split around that point; the header promises the same events for
// every split, so any difference (or a crash) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "ploke/adapters/sse.h"

namespace {

struct Run {
  std::vector<ploke::adapters::SseEvent> events;
  bool ok = true;
};

Run parse(std::string_view in, size_t a, size_t b) {
  ploke::adapters::SseParser::Options opt;
  opt.max_event_bytes = 4096;  // exercise the bound as well
  ploke::adapters::SseParser parser(opt);
  Run r;
  auto cb = [&](const ploke::adapters::SseEvent& e) {
    r.events.push_back(e);
    return e.data != "[DONE]";
  };
  r.ok = parser.feed(in.substr(0, a), cb).ok() && r.ok;
  r.ok = parser.feed(in.substr(a, b - a), cb).ok() && r.ok;
  r.ok = parser.feed(in.substr(b), cb).ok() && r.ok;
  r.ok = parser.finish(cb).ok() && r.ok;
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t a = data[0] % (in.size() + 1);
  const size_t b = a + (in.size() - a) / 2;
  const Run whole = parse(in, in.size(), in.size());
  const Run split = parse(in, a, b);
  if (whole.events != split.events || whole.ok != split.ok) std::abort();
  return 0;
}
