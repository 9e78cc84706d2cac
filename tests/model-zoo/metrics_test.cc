#include "pancaim/model_zoo/metrics.h"

#include <gtest/gtest.h>

namespace pancaim::zoo {
namespace {

TEST(MetricsTest, ClassificationMetricsMatchHandValues) {
  EXPECT_DOUBLE_EQ(*Accuracy({1, 0, 1, 1}, {1, 1, 1, 0}), 0.5);
  EXPECT_FALSE(Accuracy({}, {}).ok());
  // Positives {0.35, 0.8} vs negatives {0.1, 0.4}: 3 of 4 pairs ordered correctly.
  EXPECT_DOUBLE_EQ(*RocAuc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 0.75);
  // A tied positive/negative pair counts 1/2: (0.5 + 1 + 1 + 1) / 4.
  EXPECT_DOUBLE_EQ(*RocAuc({0.5, 0.5, 0.2, 0.9}, {1, 0, 0, 1}), 0.875);
  EXPECT_EQ(RocAuc({0.1, 0.2}, {1, 1}).status().code(), StatusCode::kFailedPrecondition);
  // (0.1^2 + 0.2^2 + 0.6^2) / 3
  EXPECT_NEAR(*BrierScore({0.9, 0.2, 0.6}, {1, 0, 0}), 0.41 / 3, 1e-12);
  // Class 1: P = {1, 2}, T = {1, 5} -> 2*1/4; class 2: P = {3, 4}, T = {2, 3, 4} -> 2*2/5.
  const std::vector<std::int64_t> pred = {0, 1, 1, 2, 2, 0};
  const std::vector<std::int64_t> truth = {0, 1, 2, 2, 2, 1};
  EXPECT_DOUBLE_EQ(Dice(pred, truth, 1), 0.5);
  EXPECT_DOUBLE_EQ(Dice(pred, truth, 2), 0.8);
  EXPECT_DOUBLE_EQ(Dice(pred, truth, 3), 1.0);
}

TEST(MetricsTest, HarrellCIndexMatchesHandCount) {
  // Comparable pairs (i has the event and the shorter time): (0,1) (0,2) (0,3) (1,2) (1,3).
  // Risks 3,2,1,4: concordant (0,1) (0,2) (1,2) -> 3/5.
  EXPECT_DOUBLE_EQ(*HarrellCIndex({3, 2, 1, 4}, {1, 2, 3, 4}, {true, true, false, true}), 0.6);
  // Risk tie between 1 and 2 counts 1/2: (2 + 0.5) / 5.
  EXPECT_DOUBLE_EQ(*HarrellCIndex({3, 2, 2, 4}, {1, 2, 3, 4}, {true, true, false, true}), 0.5);
  // Tied times are not comparable: only (0,2) remains.
  EXPECT_DOUBLE_EQ(*HarrellCIndex({1, 5, 0}, {1, 1, 2}, {true, true, false}), 1.0);
  EXPECT_FALSE(HarrellCIndex({1, 2}, {1, 2}, {false, false}).ok());
}

TEST(MetricsTest, KaplanMeierAndLogRankMatchHandComputation) {
  // Group 0: 1 (event), 3 (event), 5 (censored); group 1: 2, 4, 6 (all events).
  const std::vector<double> time = {1, 3, 5, 2, 4, 6};
  const std::vector<bool> event = {true, true, false, true, true, true};
  const std::vector<std::int64_t> group = {0, 0, 0, 1, 1, 1};
  KaplanMeierCurve km = KaplanMeier({1, 3, 5}, {true, true, false});
  ASSERT_EQ(km.time, (std::vector<double>{1, 3}));
  EXPECT_DOUBLE_EQ(km.survival[0], 2.0 / 3);
  EXPECT_DOUBLE_EQ(km.survival[1], 1.0 / 3);
  EXPECT_EQ(km.at_risk, (std::vector<std::int64_t>{3, 2}));

  // Event times 1,2,3,4,6 with at-risk (n0, n1) = (3,3) (2,3) (2,2) (1,2) (0,1):
  // E1 = 3/6 + 3/5 + 2/4 + 2/3 + 1/1; V = 9*5/(36*5) + 6*4/(25*4) + 4*3/(16*3) + 2*2/(9*2) + 0.
  StatusOr<LogRankResult> test = LogRankTest(time, event, group);
  ASSERT_TRUE(test.ok()) << test.status();
  const double e1 = 0.5 + 0.6 + 0.5 + 2.0 / 3 + 1.0;
  const double v = 0.25 + 0.24 + 0.25 + 2.0 / 9;
  EXPECT_NEAR(test->expected[1], e1, 1e-12);
  EXPECT_DOUBLE_EQ(test->observed[1], 3);
  EXPECT_NEAR(test->variance, v, 1e-12);
  EXPECT_NEAR(test->chi_square, (3 - e1) * (3 - e1) / v, 1e-12);
  EXPECT_NEAR(test->chi_square, 0.0739030023094688, 1e-12);
  EXPECT_NEAR(test->p_value, 0.7857365379599129, 1e-9);
  EXPECT_NEAR(ChiSquare1Pvalue(3.841458820694124), 0.05, 1e-9);  // the textbook 5% point

  EXPECT_FALSE(LogRankTest({1, 2}, {true, true}, {0, 0}).ok());
  EXPECT_DOUBLE_EQ(Median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(Median({4, 1, 2, 3}), 2.5);

  RiskGroups groups = SplitRiskGroups({0.1, 0.2, 0.3, 0.9, 0.8, 0.7}, time, event, 0.5);
  EXPECT_EQ(groups.low_count, 3);
  EXPECT_EQ(groups.high_count, 3);
  ASSERT_TRUE(groups.log_rank.has_value());
  EXPECT_NEAR(groups.log_rank->chi_square, 0.0739030023094688, 1e-12);
  EXPECT_EQ(groups.low.survival, km.survival);
}

}  // namespace
}  // namespace pancaim::zoo
