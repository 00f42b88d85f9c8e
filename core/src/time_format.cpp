// iso8601_utc() (ploke/core/clock.h).
#include <ctime>

#include "ploke/core/clock.h"

namespace ploke {

std::string iso8601_utc(SystemTime t) {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace ploke
