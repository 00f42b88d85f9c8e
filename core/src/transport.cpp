#include "ploke/core/transport.h"
#include "ploke/core/thread_annotations.h"

#include <condition_variable>
#include <mutex>

namespace ploke {

void Headers::set(std::string name, std::string value) {
  erase(name);
  add(std::move(name), std::move(value));
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (iequals(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

void Headers::erase(std::string_view name) {
  std::erase_if(items_, [&](const auto& kv) { return iequals(kv.first, name); });
}

namespace {
thread_local CooperativeScheduler* t_coop = nullptr;
}  // namespace

CooperativeScheduler* current_cooperative_scheduler() { return t_coop; }

CooperativeScheduler* set_current_cooperative_scheduler(CooperativeScheduler* s) {
  CooperativeScheduler* prev = t_coop;
  t_coop = s;
  return prev;
}

void Completion::notify() {
  CooperativeScheduler* coop = nullptr;
  void* fiber = nullptr;
  {
    MutexLock lock(mu_);
    done_ = true;
    coop = coop_;
    fiber = coop_fiber_;
    coop_ = nullptr;
    coop_fiber_ = nullptr;
    cv_.notify_all();
  }
  if (coop != nullptr) coop->wake(fiber);
}

bool Completion::done() const {
  MutexLock lock(mu_);
  return done_;
}

bool Completion::wait(Clock& clock) {
  if (CooperativeScheduler* coop = t_coop; coop != nullptr && coop->drives(clock)) {
    if (void* fiber = coop->current_fiber(); fiber != nullptr) {
      {
        MutexLock lock(mu_);
        if (done_) return true;
        coop_ = coop;
        coop_fiber_ = fiber;
      }
      const bool woken = coop->suspend();
      MutexLock lock(mu_);
      if (!woken && coop_fiber_ == fiber) {  // given up on: nothing can notify us any more
        coop_ = nullptr;
        coop_fiber_ = nullptr;
      }
      return done_;
    }
  }
  if (auto* sim = dynamic_cast<SimulatedClock*>(&clock)) {
    while (!done()) {
      if (sim->run_until_idle(1) == 0) return false;
    }
    return true;
  }
  MutexLock lock(mu_);
  while (!done_) lock.wait(cv_);
  return true;
}

void BufferingHandler::on_head(int status, const Headers& headers) {
  response_.status = status;
  response_.headers = headers;
}

bool BufferingHandler::on_body(std::string_view bytes) {
  response_.body.append(bytes);
  return true;
}

void BufferingHandler::on_complete(Status status) {
  final_ = std::move(status);
  completion_.notify();
}

Result<HttpResponse> BufferingHandler::take() {
  if (!final_.ok()) return final_;
  return std::move(response_);
}

Result<HttpResponse> send_and_wait(Transport& transport, Clock& clock, const HttpRequest& request,
                                   const CallOptions& options) {
  BufferingHandler handler;
  CallPtr call = transport.start(request, options, handler);
  if (!handler.completion().wait(clock)) {
    call->cancel();
    if (!handler.completion().wait(clock)) return InternalError("in-process call never completed");
  }
  return handler.take();
}

}  // namespace ploke
