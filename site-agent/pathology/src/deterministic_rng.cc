#include "pancaim/pathology/deterministic_rng.h"

#include "pancaim/common/check.h"

namespace pancaim::pathology {
namespace {

std::uint64_t SplitMix64Finalize(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::uint64_t MixSeed(std::uint64_t a, std::uint64_t b) {
  return SplitMix64Finalize(SplitMix64Finalize(a + 0x9e3779b97f4a7c15ULL) ^ b);
}

std::uint64_t HashKey(std::string_view key) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : key) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::uint64_t DeterministicRng::Next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return SplitMix64Finalize(state_);
}

double DeterministicRng::Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

std::uint64_t DeterministicRng::Below(std::uint64_t bound) {
  PANCAIM_CHECK(bound > 0) << "Below(0)";
  // Reject the top partial block so every residue is equally likely.
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
  std::uint64_t value;
  do {
    value = Next();
  } while (value >= limit);
  return value % bound;
}

}  // namespace pancaim::pathology
