// LoopFibers: see loop_fibers.h.
#include "loop_fibers.h"

#include <boost/context/fiber.hpp>
#include <boost/context/pooled_fixedsize_stack.hpp>

#include <cassert>
#include <deque>
#include <map>
#include <utility>

namespace ploke::gateway {

namespace ctx = boost::context;

namespace {
struct Fiber {
  uint64_t id = 0;
  ctx::fiber context;  // the fiber's continuation while it is not running
  std::function<void()> task;
  bool finished = false;
  bool suspended = false;
  bool wake_result = true;
};
}  // namespace

struct LoopFibers::Impl {
  explicit Impl(size_t stack_bytes) : stacks(stack_bytes, 64) {}
  ctx::pooled_fixedsize_stack stacks;
  std::deque<Fiber*> runnable;
  std::map<uint64_t, Fiber*> suspended;  // by id (oldest first)
  Fiber* current = nullptr;
  ctx::fiber back;  // the loop's continuation while a fiber runs
  uint64_t next_id = 1;
  bool drain_scheduled = false;
  // Shared with wakes from other threads: false once the scheduler is gone.
  std::shared_ptr<std::atomic<bool>> alive = std::make_shared<std::atomic<bool>>(true);
};

LoopFibers::LoopFibers(net::EventLoop& loop, Clock& clock, size_t stack_bytes)
    : loop_(loop), clock_(clock), impl_(std::make_unique<Impl>(stack_bytes)), post_(loop.poster()) {}

LoopFibers::~LoopFibers() {
  // The loop is closing: finish every fiber (runnable ones run; suspended ones are told
  // their wait gave up), so nothing is left on a stack and no Completion points here.
  for (;;) {
    run_runnable();
    if (impl_->suspended.empty()) break;
    Fiber* f = impl_->suspended.begin()->second;
    impl_->suspended.erase(impl_->suspended.begin());
    f->suspended = false;
    f->wake_result = false;
    impl_->runnable.push_back(f);
  }
  impl_->alive->store(false);
}

LoopFibers& LoopFibers::of(net::EventLoop& loop, Clock& clock, const void* key) {
  if (void* p = loop.get_local(key)) return *static_cast<LoopFibers*>(p);
  auto f = std::make_shared<LoopFibers>(loop, clock);
  LoopFibers& ref = *f;
  loop.set_local(key, std::move(f));
  return ref;
}

void LoopFibers::spawn(std::function<void()> task) {
  auto* f = new Fiber;
  f->id = impl_->next_id++;
  f->task = std::move(task);
  Impl* impl = impl_.get();
  f->context = ctx::fiber(std::allocator_arg, impl->stacks, [impl, f](ctx::fiber&& back) {
    impl->back = std::move(back);
    f->task();
    f->task = nullptr;
    f->finished = true;
    return std::move(impl->back);
  });
  ++live_;
  resume(f);
}

void LoopFibers::resume(void* fiber) {
  auto* f = static_cast<Fiber*>(fiber);
  Fiber* const outer = impl_->current;  // nullptr: resumed from the loop
  assert(outer == nullptr);
  CooperativeScheduler* prev = set_current_cooperative_scheduler(this);
  impl_->current = f;
  f->context = std::move(f->context).resume();
  impl_->current = outer;
  set_current_cooperative_scheduler(prev);
  if (f->finished) {
    delete f;
    --live_;
  }
}

void LoopFibers::run_runnable() {
  impl_->drain_scheduled = false;
  while (!impl_->runnable.empty()) {
    Fiber* f = impl_->runnable.front();
    impl_->runnable.pop_front();
    resume(f);
  }
}

void* LoopFibers::current_fiber() { return impl_->current; }

bool LoopFibers::suspend() {
  Fiber* f = impl_->current;
  assert(f != nullptr);
  f->suspended = true;
  impl_->suspended.emplace(f->id, f);
  impl_->back = std::move(impl_->back).resume();  // back to the loop until woken
  return f->wake_result;
}

void LoopFibers::wake(void* fiber) {
  if (!loop_.on_loop_thread()) {
    // A timer thread (RealClock) or another loop: hand it to this loop.
    post_([this, fiber, alive = impl_->alive] {
      if (alive->load()) wake(fiber);
    });
    return;
  }
  auto* f = static_cast<Fiber*>(fiber);
  if (f == nullptr || !f->suspended) return;
  f->suspended = false;
  f->wake_result = true;
  impl_->suspended.erase(f->id);
  impl_->runnable.push_back(f);
  if (loop_.closing()) return;  // the destructor's drain picks it up
  if (!impl_->drain_scheduled) {
    impl_->drain_scheduled = true;
    loop_.defer([this, alive = impl_->alive] {
      if (alive->load()) run_runnable();
    });
  }
}

}  // namespace ploke::gateway
