#include "ploke/scenarios/fibers.h"

#include <boost/context/fiber.hpp>
#include <boost/context/pooled_fixedsize_stack.hpp>

#include <cassert>
#include <deque>
#include <map>
#include <utility>

namespace ploke::scenarios {

namespace ctx = boost::context;

struct Fiber {
  uint64_t id = 0;
  ctx::fiber context;                // the fiber's continuation while it is not running
  std::function<void()> task;
  void* user = nullptr;
  bool finished = false;
  bool suspended = false;            // waiting for wake()
  bool wake_result = true;
};

struct FiberScheduler::Impl {
  explicit Impl(size_t stack_bytes) : stacks(stack_bytes, 64) {}
  ctx::pooled_fixedsize_stack stacks;
  std::deque<Fiber*> runnable;
  std::map<uint64_t, Fiber*> suspended;  // by id: oldest first when given up on
  Fiber* current = nullptr;
  ctx::fiber loop;                   // the scheduler loop's continuation while a fiber runs
  uint64_t next_id = 1;
};

FiberScheduler::FiberScheduler(SimulatedClock& clock, size_t stack_bytes)
    : clock_(clock), impl_(std::make_unique<Impl>(stack_bytes)) {}

FiberScheduler::~FiberScheduler() {
  // Fibers never started or still suspended: unwinding them is not possible safely from
  // here without running them; their contexts are destroyed (boost unwinds a suspended
  // fiber by throwing forced_unwind into it on destruction).
  for (Fiber* f : impl_->runnable) {
    f->context = {};
    delete f;
  }
  for (auto& [id, f] : impl_->suspended) {
    f->context = {};
    delete f;
  }
}

void FiberScheduler::spawn(std::function<void()> task, void* user) {
  auto* f = new Fiber;
  f->user = user;
  f->id = impl_->next_id++;
  f->task = std::move(task);
  Impl* impl = impl_.get();
  f->context = ctx::fiber(std::allocator_arg, impl->stacks, [impl, f](ctx::fiber&& loop) {
    impl->loop = std::move(loop);
    f->task();
    f->task = nullptr;
    f->finished = true;
    return std::move(impl->loop);
  });
  impl_->runnable.push_back(f);
  ++live_;
  ++spawned_;
}

void* FiberScheduler::current_fiber() { return impl_->current; }

void* FiberScheduler::current_user() const { return impl_->current ? impl_->current->user : nullptr; }

bool FiberScheduler::suspend() {
  Fiber* f = impl_->current;
  assert(f != nullptr);
  f->suspended = true;
  impl_->suspended.emplace(f->id, f);
  impl_->loop = std::move(impl_->loop).resume();  // back to the loop until woken
  return f->wake_result;
}

void FiberScheduler::wake(void* fiber) {
  auto* f = static_cast<Fiber*>(fiber);
  if (f == nullptr || !f->suspended) return;
  f->suspended = false;
  f->wake_result = true;
  impl_->suspended.erase(f->id);
  impl_->runnable.push_back(f);
}

uint64_t FiberScheduler::run(std::optional<TimePoint> until) {
  CooperativeScheduler* prev = set_current_cooperative_scheduler(this);
  uint64_t fired = 0;
  for (;;) {
    while (!impl_->runnable.empty()) {
      Fiber* f = impl_->runnable.front();
      impl_->runnable.pop_front();
      impl_->current = f;
      f->context = std::move(f->context).resume();
      impl_->current = nullptr;
      if (f->finished) {
        delete f;
        --live_;
      }
    }
    std::optional<TimePoint> next = clock_.next_wakeup();
    if (next) {
      if (until && *next > *until) {
        clock_.advance_to(*until);
        break;
      }
      fired += clock_.run_until_idle(1);
      continue;
    }
    if (impl_->suspended.empty()) break;
    // Nothing can wake the suspended fibers any more: give up on the oldest one.
    Fiber* f = impl_->suspended.begin()->second;
    impl_->suspended.erase(impl_->suspended.begin());
    f->suspended = false;
    f->wake_result = false;
    ++abandoned_;
    impl_->runnable.push_back(f);
  }
  set_current_cooperative_scheduler(prev);
  return fired;
}

}  // namespace ploke::scenarios
