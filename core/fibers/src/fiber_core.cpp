// FiberCore: see fiber_core.h.
#include "ploke/fibers/fiber_core.h"

#include <boost/context/fiber.hpp>
#include <boost/context/pooled_fixedsize_stack.hpp>

#include <cassert>
#include <deque>
#include <map>
#include <utility>

namespace ploke::fibers {

namespace ctx = boost::context;

namespace {
struct Fiber {
  uint64_t id = 0;
  ctx::fiber context;  // the fiber's continuation while it is not running
  std::function<void()> task;
  void* user = nullptr;
  bool finished = false;
  bool suspended = false;  // waiting for wake()
  bool wake_result = true;
};
}  // namespace

struct FiberCore::Impl {
  explicit Impl(size_t stack_bytes) : stacks(stack_bytes, 64) {}
  ctx::pooled_fixedsize_stack stacks;
  std::deque<Fiber*> runnable;
  std::map<uint64_t, Fiber*> suspended;  // by id: oldest first when given up on
  Fiber* current = nullptr;
  ctx::fiber back;  // the resumer's continuation while a fiber runs
  uint64_t next_id = 1;

  void make_runnable(Fiber* f, bool result) {
    f->suspended = false;
    f->wake_result = result;
    suspended.erase(f->id);
    runnable.push_back(f);
  }
};

FiberCore::FiberCore(size_t stack_bytes) : impl_(std::make_unique<Impl>(stack_bytes)) {}

FiberCore::~FiberCore() {
  for (Fiber* f : impl_->runnable) {
    f->context = {};
    delete f;
  }
  for (auto& [id, f] : impl_->suspended) {
    f->context = {};
    delete f;
  }
}

void* FiberCore::create(std::function<void()> task, void* user) {
  auto* f = new Fiber;
  f->id = impl_->next_id++;
  f->task = std::move(task);
  f->user = user;
  Impl* impl = impl_.get();
  f->context = ctx::fiber(std::allocator_arg, impl->stacks, [impl, f](ctx::fiber&& back) {
    impl->back = std::move(back);
    f->task();
    f->task = nullptr;
    f->finished = true;
    return std::move(impl->back);
  });
  ++live_;
  ++created_;
  return f;
}

void FiberCore::schedule(void* fresh) { impl_->runnable.push_back(static_cast<Fiber*>(fresh)); }

void FiberCore::resume(void* fiber) {
  auto* f = static_cast<Fiber*>(fiber);
  assert(impl_->current == nullptr);
  impl_->current = f;
  f->context = std::move(f->context).resume();
  impl_->current = nullptr;
  if (f->finished) {
    delete f;
    --live_;
  }
}

void* FiberCore::pop_runnable() {
  if (impl_->runnable.empty()) return nullptr;
  Fiber* f = impl_->runnable.front();
  impl_->runnable.pop_front();
  return f;
}

size_t FiberCore::run_runnable() {
  size_t ran = 0;
  while (void* f = pop_runnable()) {
    resume(f);
    ++ran;
  }
  return ran;
}

bool FiberCore::suspend() {
  Fiber* f = impl_->current;
  assert(f != nullptr);
  f->suspended = true;
  impl_->suspended.emplace(f->id, f);
  impl_->back = std::move(impl_->back).resume();  // back to the resumer until woken
  return f->wake_result;
}

bool FiberCore::wake(void* fiber) {
  auto* f = static_cast<Fiber*>(fiber);
  if (f == nullptr || !f->suspended) return false;
  impl_->make_runnable(f, true);
  return true;
}

bool FiberCore::give_up_oldest() {
  if (impl_->suspended.empty()) return false;
  impl_->make_runnable(impl_->suspended.begin()->second, false);
  return true;
}

void* FiberCore::current() const { return impl_->current; }
void* FiberCore::current_user() const { return impl_->current ? impl_->current->user : nullptr; }
bool FiberCore::has_runnable() const { return !impl_->runnable.empty(); }
bool FiberCore::has_suspended() const { return !impl_->suspended.empty(); }

}  // namespace ploke::fibers
