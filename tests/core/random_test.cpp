#include "ploke/core/random.h"

#include <gtest/gtest.h>

#include <set>

namespace ploke {
namespace {

TEST(RandomTest, SameSeedSameSequence) {
  Random a(42), b(42);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next_u64(), b.next_u64());
}

TEST(RandomTest, DifferentSeedsDiffer) {
  Random a(1), b(2);
  EXPECT_NE(a.next_u64(), b.next_u64());
}

TEST(RandomTest, SequenceIsPinnedAcrossPlatforms) {
  // xoshiro256** seeded by splitmix64(0): a fixed value, so a change of algorithm (which
  // would silently change every scenario's outcome) fails here.
  Random r(0);
  const uint64_t first = r.next_u64();
  Random again(0);
  EXPECT_EQ(again.next_u64(), first);
  EXPECT_EQ(first, 11091344671253066420ULL);
}

TEST(RandomTest, RangesStayInBounds) {
  Random r(7);
  for (int i = 0; i < 10000; ++i) {
    const double u = r.uniform01();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    const int64_t v = r.between(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
    ASSERT_LT(r.below(10), 10u);
  }
}

TEST(RandomTest, BelowCoversEveryValue) {
  Random r(9);
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(r.below(6));
  EXPECT_EQ(seen.size(), 6u);
}

TEST(RandomTest, ChanceExtremes) {
  Random r(3);
  for (int i = 0; i < 100; ++i) {
    ASSERT_FALSE(r.chance(0.0));
    ASSERT_TRUE(r.chance(1.0));
  }
}

TEST(RandomTest, ForkIsIndependentAndDoesNotDisturbParent) {
  Random a(5), b(5);
  Random child = a.fork(1);
  (void)child.next_u64();
  EXPECT_EQ(a.next_u64(), b.next_u64());
  EXPECT_NE(a.fork(1).next_u64(), a.fork(2).next_u64());
}

TEST(RandomTest, AlnumHasRequestedLength) {
  Random r(11);
  const std::string s = r.alnum(24);
  EXPECT_EQ(s.size(), 24u);
  for (char c : s) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
}

}  // namespace
}  // namespace ploke
