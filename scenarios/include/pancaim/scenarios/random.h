// Deterministic random numbers for synthetic cohorts.
//
// The standard library's distributions differ between implementations, so the same seed could give
// different cohorts on different machines. Rng implements xoshiro256** and its own distributions,
// so a seed gives byte-identical output everywhere. Each patient and each modality draws from its
// own stream (StreamSeed), so generation order and thread count never change the result, and
// changing one modality's settings never changes another modality's files.
//
// An Rng is a small value; not synchronized (one owner per stream).
#pragma once

#include <cstdint>
#include <initializer_list>

namespace pancaim::scenarios {

// Mixes a seed with any number of stream labels (site index, patient index, modality tag) into the
// seed of an independent stream.
std::uint64_t StreamSeed(std::uint64_t seed, std::initializer_list<std::uint64_t> labels);

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  std::uint64_t NextU64();
  // Uniform in [0, 1).
  double Uniform();
  // Uniform in [low, high).
  double Uniform(double low, double high) { return low + (high - low) * Uniform(); }
  // Uniform integer in [0, n); n > 0.
  std::uint64_t UniformInt(std::uint64_t n);
  double Normal();
  double Normal(double mean, double sd) { return mean + sd * Normal(); }
  // Exponential with the given rate (> 0).
  double Exponential(double rate);
  bool Bernoulli(double p) { return Uniform() < p; }
  // Poisson with mean `mean` (exact for mean < 30, rounded normal approximation above).
  std::int64_t Poisson(double mean);
  // Binomial(n, p) by summing Bernoulli draws for small n, normal approximation for large n.
  std::int64_t Binomial(std::int64_t n, double p);

 private:
  std::uint64_t state_[4];
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

// Stream tags, so every consumer of randomness uses a distinct, documented stream.
enum class Stream : std::uint64_t {
  kPatient = 1,   // hidden risk and every clinical/label value
  kCt = 2,        // CT phantom anatomy and noise
  kSlide = 3,     // slide texture
  kGenomics = 4,  // VCF positions, depths, background variants
  kMissing = 5,   // which modalities are missing
  kSplit = 6,     // train/validation/test assignment
  kOracle = 7,    // Monte Carlo estimate of the best achievable metrics
};

}  // namespace pancaim::scenarios
