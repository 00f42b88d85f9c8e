// Golden-transcript check shared by the byte-pinning tests: a transcript of "### entry"
// sections compared with a file in the repository.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace ploke::testing {

/// Fails naming the first differing byte, its "### " entry and 200 bytes of each side when
/// `got` is not the content of `golden`; with PLOKE_UPDATE_GOLDEN set, writes `got` to
/// `golden` instead and skips the test.
inline void expect_golden(const std::string& golden, const std::string& got) {
  if (std::getenv("PLOKE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << got;
    GTEST_SKIP() << "wrote " << golden;
  }
  std::ifstream in(golden, std::ios::binary);
  ASSERT_TRUE(in) << "missing " << golden;
  std::stringstream want_buf;
  want_buf << in.rdbuf();
  const std::string want = want_buf.str();
  if (got == want) return;
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  const size_t head = got.rfind("### ", i);
  ADD_FAILURE() << "first difference at byte " << i << " in entry "
                << got.substr(head, got.find('\n', head) - head) << "\n got: " << got.substr(i, 200)
                << "\nwant: " << want.substr(i, 200);
}

}  // namespace ploke::testing
