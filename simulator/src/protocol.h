// File: simulator/src/protocol.h (internal)
//
// The engine's protocol registry. Every protocol the engine speaks is a `Protocol`: the
// built-ins (OpenAI with its Responses, legacy completions, embeddings and models routes;
// Anthropic Messages; OpenRouter under /api/v1/) implement it directly, with access to the
// engine's internals (the DOM-free plain-request readers, the parsed body, their own state:
// the Responses store, the prompt cache, the OpenRouter catalog); a `ploke::SimProtocol`
// added through SimOptions::protocols (an adapter plugin's) is wrapped by
// make_added_protocol(). The engine routes by ProtocolRegistry::find() and answers with the
// protocol it found; replayed cassettes are not a protocol (the engine answers them first).
//
// Lookup order: anthropic, openrouter, the added protocols in order, openai (the catch-all).
//
// Thread-safety: the registry and its protocols are immutable after construction, except
// the protocols' own state, each behind its own lock.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "anthropic_wire.h"
#include "openai_wire.h"
#include "fault_apply.h"
#include "ploke/core/sim_protocol.h"
#include "ploke/simulator/engine.h"

namespace ploke::simulator::detail {

class Protocol;

// Where a request goes: its effective path, method, and the protocol answering it.
struct Routing {
  std::string path;
  std::string_view method;          ///< as sent (the request outlives its Routing)
  bool is_post = false, is_get = false, is_delete = false;
  bool from_cassette = false;       ///< replay mode: answered from the cassettes
  bool is_inference = false;        ///< what faults without match.path hit
  const Protocol* protocol = nullptr;  ///< null when from_cassette
  std::string cassette;             ///< per-test replay: the cassette the request names
};

// The request body, read once; faults match on model and stream.
struct ParsedRequest {
  Json body;
  bool body_ok = false;
  std::string model;
  bool stream = false;
  // The common plain requests are read without a DOM by the packages' request summaries
  // (anything unusual is declined and parsed, so errors and tool handling are unchanged).
  PlainChat plain_chat;
  bool is_plain_chat = false;
  anthropic::PlainMessage plain_message;
  bool is_plain_message = false;
  const Json* json() const { return body_ok ? &body : nullptr; }
};

/// Everything a protocol needs to answer one request.
struct ProtocolCall {
  const HttpRequest& request;
  const Routing& rt;
  const ParsedRequest& p;
  const Fault* fault;  ///< the fault to apply (null: none)
  const RequestContext& ctx;
  const SimOptions& opts;
  Random& rng;
  TimePoint arrival;
};

class ProtocolRegistry;

class Protocol {
 public:
  virtual ~Protocol() = default;
  virtual std::string_view name() const = 0;
  /// Whether this protocol answers the request (rt.path and the methods are set).
  virtual bool answers(const HttpRequest& request, const Routing& rt) const = 0;
  virtual bool is_inference(const Routing& rt) const = 0;
  /// Reads the body (model, stream; a plain request without a DOM where the protocol can).
  virtual void read(const HttpRequest& request, const Routing& rt, const SimOptions& opts, ParsedRequest& p) const;
  /// The answer, the call's fault applied (an http_error fault: the protocol's error
  /// response, without producing an answer — SimCall::error_as() relies on it).
  virtual ScriptedResponse respond(const ProtocolCall& call) const = 0;
  /// Whether the engine adds openai-processing-ms to its answers.
  virtual bool adds_processing_ms() const { return false; }
};

/// The body read every protocol starts from: the DOM of an inference POST (all POSTs when
/// `all_posts`), model and stream from it; the id of GET /v1/models/{id}.
void read_body(const HttpRequest& request, const Routing& rt, bool all_posts, ParsedRequest& p);

/// "http://host:port/v1" + "/chat/completions" (query dropped) -> "/v1/chat/completions".
std::string effective_path(const HttpRequest& request);
/// Path and methods of `request` (protocol, cassette and inference not set).
Routing basic_routing(const HttpRequest& request);

/// The OpenAI shapes of the faults that write bytes (the OpenAI protocol's, OpenRouter's
/// before it adapts them, and replayed cassettes').
std::unique_ptr<FaultShapes> openai_fault_shapes(const RequestContext& ctx, const SimOptions& opts,
                                                 std::string_view model, std::string_view path);
/// The engine's SimError for fault `f` answered with HTTP `status`.
SimError sim_error_of(const Fault& f, int status);

class ProtocolRegistry {
 public:
  /// The built-ins (state built from `opts`), `added` between them and the catch-all.
  /// kInvalidRequest for an added protocol that is null, unnamed or whose name is taken.
  static Result<std::unique_ptr<ProtocolRegistry>> Create(const SimOptions& opts, Clock& clock);
  /// The protocol answering `rt` (the OpenAI catch-all when no other claims it).
  const Protocol& find(const HttpRequest& request, const Routing& rt) const;
  /// The protocol named `name`, or null.
  const Protocol* by_name(std::string_view name) const;
  /// The OpenAI catch-all.
  const Protocol& fallback() const { return *ordered_.back(); }
  /// The built-in protocol named `name` (not an added one), or null.
  const Protocol* builtin(std::string_view name) const;
  /// Fault-free answer of `protocol` to `request` (SimCall::answer_as()).
  ScriptedResponse answer_as(const Protocol& protocol, const HttpRequest& request, const RequestContext& ctx,
                             const SimOptions& opts, Random& rng, TimePoint arrival) const;

 private:
  std::vector<std::unique_ptr<Protocol>> ordered_;  // lookup order; the last one is the catch-all
  std::vector<const Protocol*> builtins_;
};

/// The built-in protocols, in lookup order (the catch-all "openai" last).
std::unique_ptr<Protocol> make_anthropic_protocol();
std::unique_ptr<Protocol> make_openrouter_protocol(const SimOptions& opts, Clock& clock);
std::unique_ptr<Protocol> make_openai_protocol(const SimOptions& opts);
/// An added protocol, answering through `registry` for SimCall::answer_as().
std::unique_ptr<Protocol> make_added_protocol(SimProtocolPtr protocol, const ProtocolRegistry& registry);

}  // namespace ploke::simulator::detail
