#include "pancaim/scenarios/random.h"

#include <cmath>

#include <gtest/gtest.h>

namespace pancaim::scenarios {
namespace {

TEST(RandomTest, SameSeedSameSequence) {
  Rng a(42), b(42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.NextU64(), b.NextU64());
}

TEST(RandomTest, StreamsDifferByLabel) {
  EXPECT_NE(StreamSeed(1, {1, 2, 3}), StreamSeed(1, {1, 2, 4}));
  EXPECT_NE(StreamSeed(1, {1, 2}), StreamSeed(1, {2, 1}));
  EXPECT_NE(StreamSeed(1, {5}), StreamSeed(2, {5}));
  EXPECT_EQ(StreamSeed(7, {9, 9}), StreamSeed(7, {9, 9}));
}

TEST(RandomTest, KnownFirstValuesStayStable) {
  // Cohorts must stay byte-identical across releases: a change here changes every file.
  Rng rng(StreamSeed(2026, {1}));
  const double u = rng.Uniform();
  Rng again(StreamSeed(2026, {1}));
  EXPECT_DOUBLE_EQ(again.Uniform(), u);
  EXPECT_GE(u, 0.0);
  EXPECT_LT(u, 1.0);
}

TEST(RandomTest, DistributionMoments) {
  Rng rng(3);
  constexpr int kDraws = 200000;
  double sum = 0, sum_sq = 0, exp_sum = 0, poisson_sum = 0, binomial_sum = 0;
  for (int i = 0; i < kDraws; ++i) {
    double z = rng.Normal();
    sum += z;
    sum_sq += z * z;
    exp_sum += rng.Exponential(2.0);
    poisson_sum += static_cast<double>(rng.Poisson(4.5));
    binomial_sum += static_cast<double>(rng.Binomial(20, 0.3));
  }
  EXPECT_NEAR(sum / kDraws, 0.0, 0.01);
  EXPECT_NEAR(sum_sq / kDraws, 1.0, 0.02);
  EXPECT_NEAR(exp_sum / kDraws, 0.5, 0.01);
  EXPECT_NEAR(poisson_sum / kDraws, 4.5, 0.03);
  EXPECT_NEAR(binomial_sum / kDraws, 6.0, 0.03);
}

TEST(RandomTest, UniformIntCoversRangeWithoutBias) {
  Rng rng(11);
  int counts[6] = {};
  for (int i = 0; i < 60000; ++i) ++counts[rng.UniformInt(6)];
  for (int count : counts) EXPECT_NEAR(count, 10000, 400);
}

}  // namespace
}  // namespace pancaim::scenarios
