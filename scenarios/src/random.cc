#include "pancaim/scenarios/random.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "pancaim/common/check.h"

namespace pancaim::scenarios {
namespace {

std::uint64_t SplitMix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

std::uint64_t StreamSeed(std::uint64_t seed, std::initializer_list<std::uint64_t> labels) {
  std::uint64_t state = seed;
  std::uint64_t mixed = SplitMix64(state);
  for (std::uint64_t label : labels) {
    state ^= label + 0x632be59bd9b4e019ULL + (mixed << 6) + (mixed >> 2);
    mixed = SplitMix64(state);
  }
  return mixed;
}

Rng::Rng(std::uint64_t seed) {
  std::uint64_t x = seed;
  for (auto& word : state_) word = SplitMix64(x);
}

std::uint64_t Rng::NextU64() {
  const std::uint64_t result = Rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = Rotl(state_[3], 45);
  return result;
}

double Rng::Uniform() {
  // 53 random bits into the mantissa: exactly representable, in [0, 1).
  return static_cast<double>(NextU64() >> 11) * 0x1.0p-53;
}

std::uint64_t Rng::UniformInt(std::uint64_t n) {
  PANCAIM_CHECK(n > 0) << "UniformInt(0)";
  // Rejection sampling removes modulo bias.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t value;
  do {
    value = NextU64();
  } while (value >= limit);
  return value % n;
}

double Rng::Normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  // Box-Muller; 1 - U avoids log(0).
  const double u1 = 1.0 - Uniform();
  const double u2 = Uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  spare_normal_ = radius * std::sin(angle);
  has_spare_normal_ = true;
  return radius * std::cos(angle);
}

double Rng::Exponential(double rate) {
  PANCAIM_CHECK(rate > 0) << "Exponential rate " << rate;
  return -std::log(1.0 - Uniform()) / rate;
}

std::int64_t Rng::Poisson(double mean) {
  PANCAIM_CHECK(mean >= 0) << "Poisson mean " << mean;
  if (mean >= 30.0) {
    return std::max<std::int64_t>(0, std::llround(Normal(mean, std::sqrt(mean))));
  }
  const double limit = std::exp(-mean);
  std::int64_t count = 0;
  double product = Uniform();
  while (product > limit) {
    ++count;
    product *= Uniform();
  }
  return count;
}

std::int64_t Rng::Binomial(std::int64_t n, double p) {
  PANCAIM_CHECK(n >= 0 && p >= 0 && p <= 1) << "Binomial(" << n << ", " << p << ")";
  if (n <= 64) {
    std::int64_t count = 0;
    for (std::int64_t i = 0; i < n; ++i) count += Bernoulli(p) ? 1 : 0;
    return count;
  }
  const double mean = static_cast<double>(n) * p;
  const double sd = std::sqrt(mean * (1.0 - p));
  return std::clamp<std::int64_t>(std::llround(Normal(mean, sd)), 0, n);
}

}  // namespace pancaim::scenarios
