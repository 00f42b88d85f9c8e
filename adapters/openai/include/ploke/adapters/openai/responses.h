// File: ploke/adapters/openai/responses.h
//
// The server half of OpenAI's Responses API (`POST /v1/responses`, `GET /v1/responses/{id}`)
// for a server that makes up its own answers (the simulator):
//
// * read_served_responses_request() (responses_served.h): the API's validation of a create body (JSON object,
//   `model`, `input` a string or an array of input items, `instructions`, ranges —
//   temperature 0–2, top_p 0–1, max_output_tokens ≥ 16 —, `tools` as flat function tools,
//   `tool_choice`, `text.format`), worded, typed and param-pathed as the API does; then
//   what a generator reads, as a ServedChatRequest (the Chat Completions generator plans
//   the content) plus the Responses-only values and the request values a Response echoes.
// * render_response() / render_response_stream(): the Response object and its typed
//   stream (`event: <type>` + `data: {…,"sequence_number":N}`; created, in_progress,
//   output_item.added, content_part.added, output_text.delta, function_call_arguments
//   .delta/.done, …, then response.completed or response.incomplete; no `[DONE]`), in the
//   field order of OpenAI's published OpenAPI spec (Response, ResponseStreamEvent).
// * response_error_event(): the stream's `event: error` (ResponseErrorEvent).
// * The gateway's side: parse_openai_responses_request() (a create body as the normalized
//   request, after the same validation), render_openai_response() and ResponsesSseWriter
//   (a normalized answer, whole or streamed, as a Response and its typed events).
//
// Ids, text and timing are the caller's: nothing here draws randomness or reads a clock.
// The request reader for a server that makes up answers takes a DOM and lives in
// responses_served.h (in-tree only, not installed).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/adapters/inbound.h"
#include "ploke/adapters/openai/render.h"
#include "ploke/core/chat.h"
#include "ploke/core/status.h"

namespace ploke::adapters::openai {

/// The request values a Response repeats, as compact JSON texts (`null` when absent).
struct ResponseEcho {
  std::string instructions = "null";
  std::string max_output_tokens = "null";
  bool parallel_tool_calls = true;
  std::string previous_response_id = "null";
  bool store = true;
  std::string temperature = "1.0";
  std::string text = R"({"format":{"type":"text"},"verbosity":"medium"})";
  std::string tool_choice = R"("auto")";
  std::string tools = "[]";
  std::string top_p = "1.0";
  std::string metadata = "{}";
  std::string user = "null";
  std::string reasoning = R"({"effort":null,"summary":null})";  ///< the effective `reasoning`
};

/// One output item: an assistant message (text `tokens`, one delta each), a function call,
/// or a reasoning item (its summary text as `tokens`; none: an empty summary).
struct WireOutputItem {
  bool is_call = false;
  bool is_reasoning = false;
  std::string id;  ///< msg_… / fc_… / rs_…
  std::vector<std::string> tokens;
  std::string encrypted_content;  ///< reasoning: "" = absent (asked by `include`)
  std::string call_id;  ///< call_…
  std::string name;
  std::string arguments;
  std::vector<std::string> fragments;  ///< streamed argument deltas (their concatenation)
};

/// A Response a server made up.
struct WireResponse {
  std::string id;  ///< resp_…
  std::string model;
  int64_t created_at = 0;  ///< Unix seconds
  bool incomplete = false;  ///< max_output_tokens reached: status "incomplete"
  std::vector<WireOutputItem> output;
  uint64_t input_tokens = 0;      ///< cached and cache-written tokens included
  uint64_t cached_tokens = 0;
  uint64_t cache_write_tokens = 0;
  uint64_t output_tokens = 0;     ///< reasoning tokens included
  uint64_t reasoning_tokens = 0;
  ResponseEcho echo;
};

/// The Response object as the create call (non-stream) and `GET /v1/responses/{id}` answer it.
std::string render_response(const WireResponse& r);

/// One event of a Responses stream (`event: …\ndata: {…}\n\n`). `delta`: a text or
/// argument delta (a server paces these by its token rate; the others go with their neighbours).
struct ResponseStreamEvent {
  std::string bytes;
  bool delta = false;
};
/// The whole stream, sequence numbers from 0.
std::vector<ResponseStreamEvent> render_response_stream(const WireResponse& r);

/// `event: error` with `data: {"type":"error","code":…,"message":…,"param":…,"sequence_number":N}`.
std::string response_error_event(const WireError& e, uint64_t sequence_number);

// ---- the gateway's side: normalized requests and answers ----

/// A create body as the normalized request, and what its Response echoes.
struct InboundResponsesRequest {
  inbound::InboundRequest inbound;
  ResponseEcho echo;
  /// The stored response this one continues; the server that keeps responses prepends its
  /// conversation (`instructions` are not carried over, as the API does).
  std::optional<std::string> previous_response_id;
  bool store = true;
  /// 1 when `inbound.request.messages` begins with `instructions` as a system message.
  size_t instruction_messages = 0;
  std::vector<std::string> call_ids;    ///< `call_id` of every function_call input item
  std::vector<std::string> output_ids;  ///< `call_id` of every function_call_output input item
};

/// The API's validation (read_served_responses_request(): its 400s as kInvalidRequest
/// "param: message"), then `instructions` as a system message, `input` as messages
/// (function_call items join the assistant message before them; function_call_output items
/// become tool messages; reasoning items are dropped), flat function tools, tool_choice,
/// parallel_tool_calls, `text.format`, temperature, top_p, max_output_tokens, stream, user.
/// `previous_response_id`, `store` and the input's call ids are returned for the server that
/// keeps responses to check and expand. Refused as kInvalidRequest naming the field:
/// `item_reference` items, file and audio parts, built-in tool types.
Result<InboundResponsesRequest> parse_openai_responses_request(std::string_view body);

/// The answer to `DELETE /v1/responses/{id}`: {"id":…,"object":"response","deleted":true}.
std::string render_response_deleted(std::string_view id);

/// The id of a Response the server names itself: "resp_" + `local_id` (the gateway's trace id).
std::string response_id(std::string_view local_id);

/// A normalized answer as a Response: its text as one message item, each tool call as a
/// function_call item; `r.finish_reason` kLength → status "incomplete" (max_output_tokens).
std::string render_openai_response(const ChatResponse& r, const std::optional<Usage>& usage, int64_t created,
                                   std::string_view local_id, const ResponseEcho& echo);

/// The façade's stream events as a Responses stream. Usage:
///   ResponsesSseWriter w(local_id, model, created, echo);
///   out += w.event(e);          … for each StreamEvent (the first adds created, in_progress)
///   out += w.finish(final);     // closes the open items, then response.completed / .incomplete
///   or out += w.error(status);  // `event: error` (OpenAI's client wording, no upstream text)
class ResponsesSseWriter {
 public:
  ResponsesSseWriter(std::string local_id, std::string model, int64_t created, ResponseEcho echo);
  std::string event(const StreamEvent& e);
  std::string finish(const ChatResponse& final_response);
  std::string error(const Status& st);
  bool started() const { return seq_ > 0; }

 private:
  struct Item {
    WireOutputItem wire;
    uint32_t tool_index = 0;
    bool open = true;
  };
  void start(std::string& out);
  void add(std::string& out, std::string_view type, const std::string& members);
  Item& text_item(std::string& out);
  Item& call_item(std::string& out, const StreamEvent& e);
  Item& reasoning_item(std::string& out);
  void close(std::string& out, Item& item);
  std::string local_id_;
  WireResponse response_;
  std::vector<Item> items_;
  uint64_t seq_ = 0;
};

/// A Responses stream event cut inside its JSON (a corrupted stream), ended as an SSE event.
inline constexpr std::string_view kMalformedResponseEvent =
    "event: response.output_text.delta\n"
    "data: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_malformed\",\"delta\":\"tru\n\n";

}  // namespace ploke::adapters::openai
