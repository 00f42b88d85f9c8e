// File: ploke/core/thread_annotations.h
//
// Clang thread-safety annotations and an annotated mutex. The clang build compiles with
// -Wthread-safety -Werror=thread-safety, so a member marked PLOKE_GUARDED_BY(mu_) that is
// read or written without holding mu_ fails the build. With other compilers the macros
// expand to nothing. libstdc++'s std::mutex carries no annotations, so guarded state uses
// ploke::Mutex and ploke::MutexLock (std::mutex / std::unique_lock underneath).
//
// Waiting on a condition variable keeps the lock in the analysis' view: write the wait as
// a loop in the locked scope, not as a predicate lambda (the analysis cannot see that a
// lambda runs under the lock):
//   ploke::MutexLock lock(mu_);
//   while (queue_.empty() && !stopping_) lock.wait(cv_);
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define PLOKE_TSA(x) __attribute__((x))
#else
#define PLOKE_TSA(x)
#endif

#define PLOKE_CAPABILITY(x) PLOKE_TSA(capability(x))
#define PLOKE_SCOPED_CAPABILITY PLOKE_TSA(scoped_lockable)
#define PLOKE_GUARDED_BY(x) PLOKE_TSA(guarded_by(x))
#define PLOKE_PT_GUARDED_BY(x) PLOKE_TSA(pt_guarded_by(x))
#define PLOKE_ACQUIRED_BEFORE(...) PLOKE_TSA(acquired_before(__VA_ARGS__))
#define PLOKE_ACQUIRED_AFTER(...) PLOKE_TSA(acquired_after(__VA_ARGS__))
#define PLOKE_REQUIRES(...) PLOKE_TSA(requires_capability(__VA_ARGS__))
#define PLOKE_ACQUIRE(...) PLOKE_TSA(acquire_capability(__VA_ARGS__))
#define PLOKE_RELEASE(...) PLOKE_TSA(release_capability(__VA_ARGS__))
#define PLOKE_TRY_ACQUIRE(...) PLOKE_TSA(try_acquire_capability(__VA_ARGS__))
#define PLOKE_EXCLUDES(...) PLOKE_TSA(locks_excluded(__VA_ARGS__))
#define PLOKE_ASSERT_CAPABILITY(x) PLOKE_TSA(assert_capability(x))
#define PLOKE_RETURN_CAPABILITY(x) PLOKE_TSA(lock_returned(x))
#define PLOKE_NO_THREAD_SAFETY_ANALYSIS PLOKE_TSA(no_thread_safety_analysis)

namespace ploke {

namespace detail {
/// Takes `l`'s mutex, trying for a few hundred cycles before blocking: the sections these
/// mutexes guard are short, and a holder running on another core is usually out of one
/// before a thread that blocked (a futex wait, a context switch) would be back. As glibc's
/// adaptive mutexes do, with std::mutex.
template <class Lock>
inline void spin_then_lock(Lock& l) {
  for (int i = 0; i < 64; ++i) {
    if (l.try_lock()) return;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  l.lock();
}
}  // namespace detail

/// std::mutex with capability annotations; lock() spins briefly before blocking.
class PLOKE_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() PLOKE_ACQUIRE() { detail::spin_then_lock(mu_); }
  void unlock() PLOKE_RELEASE() { mu_.unlock(); }
  bool try_lock() PLOKE_TRY_ACQUIRE(true) { return mu_.try_lock(); }
  /// Tells the analysis the calling code holds this mutex (no run-time check). For code the
  /// analysis cannot follow, e.g. a callback that its caller invokes under the lock.
  void assert_held() const PLOKE_ASSERT_CAPABILITY(this) {}

 private:
  friend class MutexLock;
  std::mutex mu_;
};

/// Scoped lock of a Mutex, with condition-variable waits that keep the lock held in the
/// analysis' view (the wait releases and re-acquires it, as std::condition_variable does).
/// unlock()/lock() release and re-take it early inside the scope.
class PLOKE_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) PLOKE_ACQUIRE(mu) : lock_(mu.mu_, std::defer_lock) { detail::spin_then_lock(lock_); }
  ~MutexLock() PLOKE_RELEASE() = default;
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void unlock() PLOKE_RELEASE() { lock_.unlock(); }
  void lock() PLOKE_ACQUIRE() { detail::spin_then_lock(lock_); }

  void wait(std::condition_variable& cv) { cv.wait(lock_); }
  /// With a predicate: the predicate runs under the lock, but the analysis cannot see that
  /// a lambda does; start it with `mu.assert_held();`.
  template <class Pred>
  void wait(std::condition_variable& cv, Pred pred) { cv.wait(lock_, pred); }
  template <class Rep, class Period, class Pred>
  bool wait_for(std::condition_variable& cv, const std::chrono::duration<Rep, Period>& d, Pred pred) {
    return cv.wait_for(lock_, d, pred);
  }
  template <class Clock, class Dur>
  std::cv_status wait_until(std::condition_variable& cv,
                            const std::chrono::time_point<Clock, Dur>& deadline) {
    return cv.wait_until(lock_, deadline);
  }
  template <class Rep, class Period>
  std::cv_status wait_for(std::condition_variable& cv,
                          const std::chrono::duration<Rep, Period>& d) {
    return cv.wait_for(lock_, d);
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace ploke
