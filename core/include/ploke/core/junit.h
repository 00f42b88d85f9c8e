// File: ploke/core/junit.h
//
// The JUnit XML envelope every ploke-sim report shares (scenario run --junit, contract
// --junit), in the shape of the Apache Ant JUnit schema that CI systems read (Jenkins;
// GitLab and GitHub Actions reporters read the same files):
//
//   <?xml …?>
//   <testsuites>                      no attributes (the Ant schema allows none)
//     <testsuite name package id timestamp hostname tests failures errors skipped time>
//       <properties>…</properties>   always present, possibly empty
//       <testcase classname name time> [<failure type message>text</failure>] </testcase>
//       <system-out/> <system-err/>   always present, empty
//     </testsuite>
//   </testsuites>
//
// `id` counts suites from 0; `timestamp` is UTC "YYYY-MM-DDTHH:MM:SS" without a zone (the
// schema's pattern); times are decimals in seconds (never an exponent). All text goes
// through markup_escape() (secrets redacted, then escaped). The caller supplies the run's
// timestamp and host (JunitRun): nothing here reads a clock. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "ploke/core/clock.h"

namespace ploke {

/// When and where the reported run happened (the composition root reads the clock).
struct JunitRun {
  std::string timestamp = "1970-01-01T00:00:00";  ///< see junit_timestamp()
  std::string hostname = "localhost";             ///< "localhost" when unknown
};

/// UTC "YYYY-MM-DDTHH:MM:SS" (no zone, no fraction), as the Ant schema requires.
std::string junit_timestamp(SystemTime t);

/// An xs:decimal with millisecond precision ("1.500"); negative or non-finite values are "0".
std::string junit_seconds(double seconds);

struct JunitSuite {
  std::string name;     ///< empty → "unnamed"
  std::string package;  ///< empty → "ploke-sim"
  size_t id = 0;        ///< 0 for the first suite of the document, then 1, 2, …
  size_t tests = 0, failures = 0;
  double seconds = 0;
  std::vector<std::pair<std::string, std::string>> properties;  ///< name (non-empty) → value
  size_t skipped = 0;
};

/// "<?xml …?>\n<testsuites>\n".
std::string junit_document_open();
/// "</testsuites>\n".
std::string junit_document_close();
/// The <testsuite …> start tag and its <properties>.
std::string junit_suite_open(const JunitSuite& suite, const JunitRun& run);
/// <system-out/>, <system-err/> and the end tag.
std::string junit_suite_close();

/// One <testcase>; a non-empty failure_type makes it failed (<failure type message>text);
/// otherwise `skipped` makes it skipped (<skipped message/>: nothing to judge).
struct JunitCase {
  std::string classname, name;
  double seconds = 0;
  std::string failure_type, failure_message, failure_text;
  bool skipped = false;
  std::string skipped_message;
};
std::string junit_testcase(const JunitCase& c);

}  // namespace ploke
