// Signal handling shared by the long-running commands (serve, record).
#include <csignal>

#include "commands.h"

namespace ploke::cli {

sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace ploke::cli
