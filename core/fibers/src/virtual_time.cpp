// VirtualTimeFibers: see virtual_time.h.
#include "ploke/fibers/virtual_time.h"

namespace ploke::fibers {

uint64_t VirtualTimeFibers::run(std::optional<TimePoint> until) {
  CooperativeScheduler* prev = set_current_cooperative_scheduler(this);
  uint64_t fired = 0;
  for (;;) {
    core_.run_runnable();
    std::optional<TimePoint> next = clock_.next_wakeup();
    if (next) {
      if (until && *next > *until) {
        clock_.advance_to(*until);
        break;
      }
      fired += clock_.run_until_idle(1);
      continue;
    }
    // Nothing can wake the suspended fibers any more: give up on the oldest one.
    if (!core_.give_up_oldest()) break;
    ++abandoned_;
  }
  set_current_cooperative_scheduler(prev);
  return fired;
}

}  // namespace ploke::fibers
