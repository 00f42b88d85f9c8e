// The access-log line of one request. See access_log_responder.h.
#include "access_log_responder.h"

namespace ploke::gateway::internal {

AccessLogResponder::AccessLogResponder(ResponderPtr inner, std::shared_ptr<Inflight> inflight, logging::Logger& log,
                                       Clock& clock)
    : inner_(std::move(inner)), inflight_(std::move(inflight)), log_(log), clock_(clock), t0_(clock.now()) {}

void AccessLogResponder::reply(int status, const Headers& headers, std::string body) {
  inflight_->access_.status = status;
  inner_->reply(status, headers, std::move(body));
  write_line();
}

void AccessLogResponder::begin(int status, const Headers& headers) {
  inflight_->access_.status = status;
  inner_->begin(status, headers);
}

void AccessLogResponder::finish() {
  inner_->finish();
  write_line();
}

void AccessLogResponder::write_line() {
  if (written_) return;
  written_ = true;
  logging::AccessRecord& r = inflight_->access_;
  r.latency_ms = std::chrono::duration<double, std::milli>(clock_.now() - t0_).count();
  log_.access(r, clock_.system_now());
}

}  // namespace ploke::gateway::internal
