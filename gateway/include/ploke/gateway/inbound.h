// File: ploke/gateway/inbound.h
//
// Inbound protocols: what the gateway speaks to its clients, registered by name behind one
// interface as adapters are (ploke/core/registry.h, ploke/adapters/register.h).
//
//   InboundProtocol   one wire protocol: its routes, how a request is told to speak it,
//                     its error shape and request-id header, its "busy" error, its model
//                     404 and model lists, and serve() for a request on one of its routes.
//   ChatSession       one chat request in a protocol's wire format (parse the body, render
//                     the answer or the stream); serve_chat() runs it through the gateway's
//                     steps (overrides, client keys, model names, façade call per choice,
//                     trace, ledger, reply) — what a chat protocol's serve() calls.
//   InboundRegistry   name → factory; register_builtin_inbound() adds "openai",
//                     "anthropic", "openrouter", "responses" and "embeddings".
//   InboundProtocols  the protocols one gateway serves (GatewayOptions::inbound; null = the
//                     built-ins): one instance each, their routes indexed, clashes and
//                     unknown names reported by Create().
//
// Adding a protocol: implement InboundProtocol (for chat, a ChatSession and
// `serve(x) { MySession s; serve_chat(x, s); }`), register it, hand the gateway the set
// (InboundProtocols::Create). The gateway's dispatch has no list of protocols.
//
// Defaults of the optional members are OpenAI's (most clients speak it).
// Thread-safety: protocols are shared by every request (const members, no state of their
// own); a ChatSession belongs to one request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/registry.h"
#include "ploke/gateway/gateway.h"

namespace ploke::gateway {

struct InboundRoute {
  std::string method;   ///< "POST", "GET", …
  std::string path;     ///< exact, or a prefix when `prefix`
  bool prefix = false;  ///< e.g. "/v1/responses/" + an id
  /// A façade call: refused while draining (the protocol's 503/529), counted in flight
  /// (wait_idle, cancel_all), its trace id and protocol name in the access log. Else a
  /// local answer (e.g. count_tokens).
  bool call = true;
};

class InboundProtocol;

/// One request on a protocol's route, as serve() gets it.
struct InboundExchange {
  Gateway& gateway;
  const InboundProtocol& protocol;
  const InboundRoute& route;
  const Request& request;
  Responder& out;
  Inflight& inflight;
  std::string trace_id;  ///< the request's (x-ploke-trace-id)
};

class InboundProtocol {
 public:
  virtual ~InboundProtocol() = default;
  /// Its registry name: the access log's `protocol`.
  virtual std::string_view name() const = 0;
  /// The routes it serves (no two protocols of a gateway may share one, nor take the
  /// gateway's own: /v1/models, /healthz, /readyz, /metrics, /__admin/…).
  virtual std::vector<InboundRoute> routes() const = 0;
  /// For a request on none of its routes (GET /v1/models, an unknown route, a refused
  /// key): 0 = not its, 1 = by a header, 2 = by the path. The strongest claim wins, none →
  /// the "openai" protocol (else the first).
  virtual int claims(const Request& request) const;
  /// `ploke_gateway_requests_total{protocol=…}` (protocols may share a label).
  virtual std::string_view metrics_label() const;
  /// The response header the client's SDK reads the request id from.
  virtual std::string_view request_id_header() const;
  /// `st` as this protocol's error reply (status, extra headers, body).
  virtual adapters::inbound::Reply render_error(const Status& st, const std::string& trace_id) const;
  /// The error for "too many requests in flight": kRateLimited (429) by default.
  virtual Status busy_error(std::string message) const;
  /// kNotFound for a model name that resolves to nothing, in the API's words.
  virtual Status unknown_model(const std::string& model) const;
  /// GET /v1/models and /v1/models/{id} in this protocol's shape.
  virtual std::string render_models(const std::vector<std::string>& ids, int64_t created) const;
  virtual std::string render_model(const std::string& id, int64_t created) const;
  /// Answers one request on one of its routes, on the calling thread (fiber).
  virtual void serve(InboundExchange& x) const = 0;
};

using InboundRegistry = Registry<InboundProtocol>;

/// Adds the built-in protocols; kInvalidRequest when a name is already registered.
Status register_builtin_inbound(InboundRegistry& registry);

/// One chat request in a protocol's wire format, made per request by its protocol.
/// Streams: open_stream() once at the first event (`start`: the upstream's start event, or
/// null), then begin_choice() / event() / finish_choice() per choice, then finish() or
/// stream_error().
class ChatSession {
 public:
  virtual ~ChatSession() = default;
  /// The body → the normalized request (n, include_usage and routing hints included).
  virtual Status parse(const InboundExchange& x, adapters::inbound::InboundRequest& in) = 0;
  /// The whole answer: the n choices (model filled in), their summed usage.
  virtual std::string render(const std::vector<ChatResponse>& choices, const std::optional<Usage>& usage) = 0;
  virtual void open_stream(const StreamEvent* start) = 0;
  virtual void begin_choice(uint32_t /*index*/) {}
  virtual std::string event(const StreamEvent& e) = 0;
  virtual std::string finish_choice(const ChatResponse& /*r*/) { return {}; }
  /// The stream's end: the first choice, with the summed usage.
  virtual std::string finish(const ChatResponse& r) = 0;
  /// The in-stream error event (once bytes went out).
  virtual std::string stream_error(const Status& st) = 0;
  /// The answer's content-type: JSON, or SSE for a stream.
  virtual std::string_view content_type(bool stream) const {
    return stream ? "text/event-stream; charset=utf-8" : "application/json";
  }
};

/// Runs one chat request with `session` (see the file comment); answers through x.out.
void serve_chat(InboundExchange& x, ChatSession& session);

/// The protocols one gateway serves. Immutable once made; share freely.
class InboundProtocols {
 public:
  /// One instance of each of `names` (empty = every registered name). kNotFound naming an
  /// unregistered name; kInvalidRequest naming both protocols when two serve one route
  /// (method and path, or prefix), or naming the protocol that takes a gateway route.
  static Result<std::shared_ptr<const InboundProtocols>> Create(const InboundRegistry& registry,
                                                                const std::vector<std::string>& names = {});
  /// The built-in protocols (made once).
  static std::shared_ptr<const InboundProtocols> builtin();

  struct Match {
    const InboundProtocol* protocol = nullptr;
    const InboundRoute* route = nullptr;
  };
  /// The protocol route `request` is on (exact paths first, then the longest prefix).
  std::optional<Match> route(const Request& request) const;
  /// The protocol `request` speaks: its route's, else the strongest claim, else the default.
  const InboundProtocol& speaks(const Request& request) const;
  /// By registry name; null when not served.
  const InboundProtocol* find(std::string_view name) const;
  /// The metrics labels: the default protocol's first, then the others' in name order.
  const std::vector<std::string>& labels() const { return labels_; }
  /// labels()[label_index(p)] is p's label (p: one of these protocols).
  size_t label_index(const InboundProtocol& p) const;

 private:
  struct Entry {
    std::unique_ptr<InboundProtocol> protocol;
    std::vector<InboundRoute> routes;
    size_t label = 0;
  };
  struct Keyed {
    std::string method, path;
    size_t entry = 0, route = 0;
  };
  InboundProtocols() = default;
  Status index();
  Match match_of(const Keyed& k) const;

  std::vector<Entry> entries_;  // by name
  std::vector<Keyed> exact_;    // sorted by path, method
  std::vector<Keyed> prefixes_;  // longest first
  std::vector<std::string> labels_;
  size_t default_ = 0;
};

}  // namespace ploke::gateway
