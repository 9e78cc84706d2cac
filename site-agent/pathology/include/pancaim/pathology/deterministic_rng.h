// DeterministicRng: a small seeded generator (SplitMix64) whose output, and every draw derived from
// it here, is the same on every platform and standard library. std::uniform_*_distribution is not
// (its algorithm is implementation-defined), and tile sampling must be reproducible across sites.
#pragma once

#include <cstdint>
#include <string_view>

namespace pancaim::pathology {

// Mixes values into one 64-bit seed; order matters. Stateless, thread-safe.
std::uint64_t MixSeed(std::uint64_t a, std::uint64_t b);

// FNV-1a hash of a string, used to give each slide its own stream from a textual key.
std::uint64_t HashKey(std::string_view key);

// A value type; not synchronized: one owner draws from it.
class DeterministicRng {
 public:
  explicit DeterministicRng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t Next();
  // Uniform in [0, 1), 53 random bits.
  double Unit();
  // Uniform in [low, high).
  double Uniform(double low, double high) { return low + (high - low) * Unit(); }
  // Uniform integer in [0, bound); bound must be > 0 (checked). Unbiased (rejection sampling).
  std::uint64_t Below(std::uint64_t bound);

 private:
  std::uint64_t state_;
};

}  // namespace pancaim::pathology
