// See service_notify.h.
#include "service_notify.h"

#include <string>

#if PLOKE_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace ploke::cli {

void notify_service_manager(std::string_view state) {
#if PLOKE_HAVE_SYSTEMD
  const std::string s(state);
  (void)sd_notify(0, s.c_str());  // < 0 on a send error, 0 without $NOTIFY_SOCKET: nothing to do
#else
  (void)state;
#endif
}

bool service_notify_supported() { return PLOKE_HAVE_SYSTEMD != 0; }

}  // namespace ploke::cli
