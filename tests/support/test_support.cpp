#include "support/test_support.h"

namespace ploke::testing {

uint64_t test_seed() {
  const int s = ::testing::UnitTest::GetInstance()->random_seed();
  return s == 0 ? 20261124ULL : static_cast<uint64_t>(s);
}

}  // namespace ploke::testing
