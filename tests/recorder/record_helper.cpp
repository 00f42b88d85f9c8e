// record_helper: runs cli/cmd_record.cpp's run_record() as a process, for the kill -9 and
// SIGTERM tests, until the lead wires `ploke-sim record` into cli/main.cpp.
// Usage: record_helper --upstream URL --cassette FILE [--mode M] [--port N] [--flush-ms N] [--quiet]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cmd_record.h"

int main(int argc, char** argv) {
  ploke::cli::RecordArgs a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) { std::fprintf(stderr, "record_helper: %s needs a value\n", k.c_str()); std::exit(2); }
      return argv[++i];
    };
    if (k == "--upstream") a.upstream = next();
    else if (k == "--cassette") a.cassette = next();
    else if (k == "--mode") a.mode = next();
    else if (k == "--port") a.port = std::atoi(next().c_str());
    else if (k == "--flush-ms") a.flush_ms = std::atoi(next().c_str());
    else if (k == "--quiet") a.quiet = true;
    else { std::fprintf(stderr, "record_helper: unknown argument %s\n", k.c_str()); return 2; }
  }
  return ploke::cli::run_record(a);
}
