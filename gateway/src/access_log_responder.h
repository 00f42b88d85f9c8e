// Internal: a Responder that writes the request's access-log line (ploke/logging/logger.h)
// when its last byte goes out: the status it sent, the latency since arrival, and what the
// request's steps wrote into Inflight::access_ (trace id, protocol, model, provider,
// attempts, tokens, cost, error).
//
// Thread-safety: as the wrapped Responder (one request's calls come from one thread at a time).
#pragma once

#include "ploke/gateway/gateway.h"

namespace ploke::gateway::internal {

class AccessLogResponder final : public Responder {
 public:
  AccessLogResponder(ResponderPtr inner, std::shared_ptr<Inflight> inflight, logging::Logger& log, Clock& clock);
  void reply(int status, const Headers& headers, std::string body) override;
  void begin(int status, const Headers& headers) override;
  void chunk(std::string data) override { inner_->chunk(std::move(data)); }
  void finish() override;

 private:
  void write_line();

  ResponderPtr inner_;
  std::shared_ptr<Inflight> inflight_;
  logging::Logger& log_;
  Clock& clock_;
  const TimePoint t0_;
  bool written_ = false;
};

}  // namespace ploke::gateway::internal
