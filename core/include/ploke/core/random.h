// File: ploke/core/random.h
//
// Random: a small, seeded, portable PRNG (xoshiro256**, seeded through splitmix64).
// We map to ranges ourselves instead of using std::*_distribution, whose outputs differ
// between standard libraries (FoundationDB's reason for its own generator), so a seed
// gives the same sequence with libstdc++ and libc++.
//
// Everything that needs randomness (jitter, fault dice, synthetic text, ids) takes a
// Random& from its owner; only the composition root (CLI, test fixture) picks a seed.
//
// Thread-safety: not thread-safe; give each thread its own stream (fork()).
#pragma once

#include <cstdint>
#include <string>

namespace ploke {

class Random {
 public:
  explicit Random(uint64_t seed);

  uint64_t seed() const { return seed_; }
  uint64_t next_u64();
  /// Uniform in [0, 1).
  double uniform01();
  /// Uniform integer in [0, n). REQUIRES: n > 0.
  uint64_t below(uint64_t n);
  /// Uniform integer in [lo, hi]. REQUIRES: lo <= hi.
  int64_t between(int64_t lo, int64_t hi);
  /// True with probability p (clamped to [0,1]).
  bool chance(double p);
  /// An independent stream derived from this one's seed and `stream_id`; does not
  /// disturb this stream's sequence.
  Random fork(uint64_t stream_id) const;
  /// `n` characters from [a-zA-Z0-9].
  std::string alnum(size_t n);

 private:
  uint64_t seed_;
  uint64_t s_[4];
};

}  // namespace ploke
