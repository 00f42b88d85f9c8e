// File: ploke/core/sim_protocol.h
//
// SimProtocol: a wire protocol the provider simulator (ploke::simulator::SimEngine) speaks,
// as an interface any layer can implement — the simulator's own protocols are built in, and
// an adapter plugin (ploke/sdk/plugin.h, PluginRegistrar::add_sim_protocol) can add one for
// its provider's wire format, so `ploke-sim serve` and the contract runner answer it. The
// engine keeps everything that is not the protocol's: routing by registry lookup, the fault
// plan (which fault fires, cuts, resets, hangs, delays), the journal, seeded randomness. A
// protocol says which requests it answers, answers them (synthetic content, streamed or
// not), and renders injected errors in its own shape.
//
// A protocol that is a dialect of a built-in one (OpenAI-compatible with quirks) rewrites
// the request, lets SimCall::answer_as() answer it as the built-in, and rewrites the answer.
//
// Lookup order in the engine: cassette replay first (when on), then the built-in protocols
// with their own routes (anthropic, openrouter), then the added protocols in registration
// order, then the built-in OpenAI protocol, which answers everything else (404 Invalid URL
// included). An added protocol therefore owns only routes it claims in answers().
//
// Thread-safety: a SimProtocol is immutable after construction; the engine calls it from
// any number of threads at once. Determinism: draw randomness only from SimCall::rng().
// No clock, no sleeping: a response's timing is the offsets of its ScriptedResponse.
//
// Example (a dialect of OpenAI under /acme/, docs/examples/acme-adapter/acme_sim_protocol.cpp):
//   bool answers(std::string_view, std::string_view path, const Headers&) const override {
//     return path.substr(0, 6) == "/acme/";
//   }
//   ScriptedResponse respond(const SimCall& call) const override {
//     HttpRequest r = call.request();
//     r.base_url.clear();
//     r.path = std::string(call.path().substr(5));              // "/acme/v1/…" -> "/v1/…"
//     return call.answer_as("openai", r);
//   }
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ploke/core/clock.h"
#include "ploke/core/random.h"
#include "ploke/core/scripted_response.h"
#include "ploke/core/transport.h"

namespace ploke {

/// An injected error the simulator asks a protocol to render (an `http_error` fault, or the
/// error a `mid_stream_error` fault writes). Empty strings: the protocol's own default text.
struct SimError {
  int status = 500;
  std::string message;  ///< the fault's `message`
  std::string type;     ///< the fault's `error_type`
  std::string code;     ///< the fault's `error_code`
  std::optional<Duration> retry_after;     ///< send as retry-after (whole seconds, rounded up)
  std::optional<Duration> retry_after_ms;  ///< send as retry-after-ms
  std::optional<bool> should_retry;        ///< send as x-should-retry
};

/// One request, as the engine hands it to a protocol. Valid only during the call.
class SimCall {
 public:
  virtual const HttpRequest& request() const = 0;
  /// The effective path: the base URL's path prefix joined with the request path, no query.
  virtual std::string_view path() const = 0;
  /// The request id the engine drew for this request (journal and headers), "req_…".
  virtual std::string_view request_id() const = 0;
  /// This request's Random (the engine seed forked by arrival number).
  virtual Random& rng() const = 0;
  /// A slow_stream fault's factor (else 1): answer_as() applies it; a protocol generating
  /// its own timing multiplies its offsets by it.
  virtual double slow_factor() const = 0;
  /// The fault-free answer built-in protocol `protocol` ("openai", "anthropic",
  /// "openrouter") gives `request` (its path is taken as the effective path when its
  /// base_url is empty), drawn from rng(). An unknown protocol: a 500.
  virtual ScriptedResponse answer_as(std::string_view protocol, const HttpRequest& request) const = 0;
  /// The response built-in `protocol` gives for an injected `error`.
  virtual ScriptedResponse error_as(std::string_view protocol, const SimError& error) const = 0;

 protected:
  ~SimCall() = default;
};

class SimProtocol {
 public:
  virtual ~SimProtocol() = default;
  /// The registry name ("acme"): unique among the engine's protocols.
  virtual std::string_view name() const = 0;
  /// Whether this protocol answers `method` (in capitals: "POST") `path` (the effective path,
  /// no query).
  virtual bool answers(std::string_view method, std::string_view path, const Headers& headers) const = 0;
  /// Whether the request is an inference request: what faults without `match.path` hit.
  virtual bool is_inference(std::string_view method, std::string_view path) const = 0;
  /// The synthetic answer (streamed when the request asks; one SSE event per chunk, so a
  /// stream fault's `after_events` counts events). Bad requests get the protocol's errors.
  virtual ScriptedResponse respond(const SimCall& call) const = 0;
  /// An injected error as this protocol answers it: status, headers (retry-after …), body.
  virtual ScriptedResponse error_response(const SimCall& call, const SimError& error) const = 0;
  /// The error of a mid_stream_error fault as one SSE event. Default: `data: <body>` of
  /// error_response().
  virtual std::string stream_error_event(const SimCall& call, const SimError& error) const {
    return "data: " + error_response(call, error).body() + "\n\n";
  }
  /// A malformed_json fault on a stream: an event whose JSON is cut short.
  virtual std::string_view malformed_event() const { return "data: {\"id\":\"cut\n\n"; }
};

/// Protocols are shared by the engines that speak them (immutable, thread-safe).
using SimProtocolPtr = std::shared_ptr<const SimProtocol>;

}  // namespace ploke
