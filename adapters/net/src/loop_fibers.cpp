// LoopFibers: see loop_fibers.h.
#include "ploke/net/loop_fibers.h"

#include <atomic>
#include <utility>

namespace ploke::net {

LoopFibers::LoopFibers(net::EventLoop& loop, Clock& clock, size_t stack_bytes)
    : loop_(loop), clock_(clock), core_(stack_bytes), post_(loop.poster()) {}

LoopFibers::~LoopFibers() {
  // The loop is closing: finish every fiber (runnable ones run; suspended ones are told
  // their wait gave up), so nothing is left on a stack and no Completion points here.
  for (;;) {
    run_runnable();
    if (!core_.give_up_oldest()) break;
  }
  alive_->store(false);
}

LoopFibers& LoopFibers::of(net::EventLoop& loop, Clock& clock, const void* key) {
  if (void* p = loop.get_local(key)) return *static_cast<LoopFibers*>(p);
  auto f = std::make_shared<LoopFibers>(loop, clock);
  LoopFibers& ref = *f;
  loop.set_local(key, std::move(f));
  return ref;
}

void LoopFibers::spawn(std::function<void()> task, void* user) {
  resume(core_.create(std::move(task), user));  // runs at once, ahead of the runnable queue
}

void LoopFibers::resume(void* fiber) {
  CooperativeScheduler* prev = set_current_cooperative_scheduler(this);
  core_.resume(fiber);
  set_current_cooperative_scheduler(prev);
}

void LoopFibers::run_runnable() {
  drain_scheduled_ = false;
  while (void* f = core_.pop_runnable()) resume(f);
}

void LoopFibers::wake(void* fiber) {
  if (!loop_.on_loop_thread()) {
    // A timer thread (RealClock) or another loop: hand it to this loop.
    post_([this, fiber, alive = alive_] {
      if (alive->load()) wake(fiber);
    });
    return;
  }
  if (!core_.wake(fiber)) return;
  if (loop_.closing()) return;  // the destructor's drain picks it up
  if (!drain_scheduled_) {
    drain_scheduled_ = true;
    loop_.defer([this, alive = alive_] {
      if (alive->load()) run_runnable();
    });
  }
}

}  // namespace ploke::net
