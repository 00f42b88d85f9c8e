#include "ploke/codec/recording.h"

#include <algorithm>

#include "cassette_internal.h"
#include "ploke/codec/cassette_json.h"

namespace ploke::codec {

InteractionBuilder::InteractionBuilder(const HttpRequest& request, std::string id, std::string recorded_at) {
  interaction_.id = std::move(id);
  interaction_.recorded_at = std::move(recorded_at);
  interaction_.request = recorded_request_from_http(request);
}

void InteractionBuilder::on_head(Duration at, int status, const Headers& headers) {
  has_head_ = true;
  RecordedResponse& r = interaction_.response;
  r.status = status;
  r.first_byte_ms = to_ms(at);
  r.headers = Headers{};
  for (const auto& [k, v] : headers.items()) r.headers.add(internal::lower_header_name(k), v);
  const auto ct = headers.get("content-type");
  r.streamed = ct && ct->find("text/event-stream") != std::string_view::npos;
}

void InteractionBuilder::on_body(Duration at, std::string_view bytes) {
  RecordedResponse& r = interaction_.response;
  if (r.streamed) {
    // Offsets never go backwards, even if the caller's readings jitter.
    const double ms = r.chunks.empty() ? to_ms(at) : std::max(to_ms(at), r.chunks.back().offset_ms);
    r.chunks.push_back(RecordedChunk{ms, std::string(bytes)});
  } else {
    body_.append(bytes);
  }
}

Interaction InteractionBuilder::finish(Duration at, Ending ending, const RedactionRules& rules) && {
  PLOKE_ASSERT(has_head_);  // guaranteed by the caller: see REQUIRES
  RecordedResponse& r = interaction_.response;
  r.elapsed_ms = std::max(to_ms(at), r.first_byte_ms);
  r.ending = ending;
  if (!r.streamed) {
    const auto ct = r.headers.get("content-type");
    r.body = make_recorded_body(std::move(body_), ct ? *ct : std::string_view{});
  }
  return redact_interaction(std::move(interaction_), rules);
}

}  // namespace ploke::codec
