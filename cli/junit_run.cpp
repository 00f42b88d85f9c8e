// junit_run_here(): the JunitRun (timestamp, host) of the JUnit reports this process writes
// (scenario run --junit, contract --junit). See commands.h.
#include <unistd.h>

#include <climits>

#include "commands.h"
#include "ploke/core/clock.h"

namespace ploke::cli {

JunitRun junit_run_here() {
  JunitRun run;
  run.timestamp = junit_timestamp(RealClock().system_now());
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') run.hostname = host;
  return run;
}

}  // namespace ploke::cli
