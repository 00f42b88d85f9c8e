// libFuzzer harness: the Responses API on every side. Byte 0 picks the part: a create body
// for the gateway's inbound parser and for the simulator's POST /v1/responses (then
// retrieved by id), a body for the openai-responses adapter's parser, or a stream for its
// decoder fed in 1..64-byte pieces (byte 1). Any input must give a value or an error, never
// a crash; a decoded stream's events must assemble (StreamAccumulator).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/adapters/openai/responses.h"
#include "ploke/adapters/openai/responses_adapter.h"
#include "ploke/core/clock.h"
#include "ploke/simulator/engine.h"

namespace {

void inbound_and_simulator(std::string_view body) {
  (void)ploke::adapters::openai::parse_openai_responses_request(body);
  static ploke::SimulatedClock clock;
  static std::unique_ptr<ploke::simulator::SimEngine> engine = [] {
    ploke::simulator::SimOptions o;
    o.latency = ploke::simulator::LatencyModel::Fast();
    return std::move(ploke::simulator::SimEngine::Create(o, clock)).value();
  }();
  ploke::HttpRequest r;
  r.method = "POST";
  r.path = "/v1/responses";
  r.body = std::string(body);
  const ploke::ScriptedResponse resp = engine->handle(r);
  if (resp.status == 0) std::abort();  // no fault plan: every request is answered
}

void client(std::string_view body, bool stream, size_t piece) {
  ploke::adapters::openai::OpenAiResponsesAdapter adapter;
  const ploke::Endpoint ep{"openai", "", ploke::Secret(), {}};
  if (!stream) {
    ploke::HttpResponse resp;
    resp.status = 200;
    resp.body = std::string(body);
    (void)adapter.parse_response(resp, ep);
    return;
  }
  auto dec = adapter.new_stream_decoder(ep);
  std::vector<ploke::StreamEvent> ev;
  ploke::Status st;
  for (size_t pos = 0; pos < body.size() && st.ok(); pos += piece) st = dec->feed(body.substr(pos, piece), ev);
  if (st.ok()) (void)dec->finish(ev);
  ploke::StreamAccumulator acc;
  for (const auto& e : ev) (void)acc.add(e);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);
  switch (data[0] % 3) {
    case 0: inbound_and_simulator(body); break;
    case 1: client(body, false, 0); break;
    default: client(body, true, 1 + data[1] % 64); break;
  }
  return 0;
}
