// Evaluation metrics on plain vectors, computed in double precision on the CPU: accuracy, ROC AUC,
// Dice, Harrell's C-index, Brier score, Kaplan-Meier estimates, the two-group log-rank test, and
// risk groups split at a threshold (the training median).
//
// Pure functions; thread-safe. Inputs of mismatched lengths are programmer errors (checked);
// metrics undefined for the data (one class only, no comparable pair) return FailedPrecondition.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "pancaim/common/status.h"

namespace pancaim::zoo {

// Fraction of equal entries. Empty input: FailedPrecondition.
StatusOr<double> Accuracy(const std::vector<std::int64_t>& predicted,
                          const std::vector<std::int64_t>& truth);

// Area under the ROC curve for binary labels (0/1) and scores (higher = positive): the
// Mann-Whitney probability that a random positive outscores a random negative, ties counting 1/2.
// FailedPrecondition unless both classes occur.
StatusOr<double> RocAuc(const std::vector<double>& scores, const std::vector<std::int64_t>& labels);

// Mean squared difference between the predicted probability of the positive class and the 0/1
// label (binary Brier score). Empty input: FailedPrecondition.
StatusOr<double> BrierScore(const std::vector<double>& probability,
                            const std::vector<std::int64_t>& labels);

// Dice coefficient 2|P and T| / (|P| + |T|) of class `label` between predicted and true label
// maps (flattened). Defined as 1 when the class is absent from both.
double Dice(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth,
            std::int64_t label);
// The same from voxel counts: |P and T|, |P|, |T| (1 when |P| + |T| = 0).
double DiceFromCounts(double intersection, double predicted, double truth);

// Harrell's concordance index of risk scores (higher = earlier event): over pairs (i, j) with
// time_i < time_j and event_i, the fraction with risk_i > risk_j, risk ties counting 1/2. Pairs with
// equal times are not comparable. FailedPrecondition when no pair is comparable.
StatusOr<double> HarrellCIndex(const std::vector<double>& risk, const std::vector<double>& time,
                               const std::vector<bool>& event);

// Kaplan-Meier product-limit estimate: one entry per distinct event time, ascending.
struct KaplanMeierCurve {
  std::vector<double> time;
  std::vector<double> survival;          // S(t) just after `time`
  std::vector<std::int64_t> at_risk;     // subjects with time >= t
  std::vector<std::int64_t> events;      // events at t
};
KaplanMeierCurve KaplanMeier(const std::vector<double>& time, const std::vector<bool>& event);

// Two-group log-rank (Mantel-Cox) test. `group` holds 0 or 1 per subject.
struct LogRankResult {
  double chi_square = 0;  // (O_1 - E_1)^2 / V, one degree of freedom
  double p_value = 1;     // upper tail of chi-square(1)
  double observed[2] = {0, 0};
  double expected[2] = {0, 0};
  double variance = 0;
};
// FailedPrecondition when a group is empty or no event occurs (the statistic is undefined).
StatusOr<LogRankResult> LogRankTest(const std::vector<double>& time, const std::vector<bool>& event,
                                    const std::vector<std::int64_t>& group);

// Upper-tail probability of the chi-square distribution with one degree of freedom.
double ChiSquare1Pvalue(double statistic);

// Median of `values` (mean of the two middle ones for an even count); `values` non-empty (checked).
double Median(std::vector<double> values);

// Patients split into low (risk <= threshold) and high (risk > threshold) risk groups, with a
// Kaplan-Meier curve per group and the log-rank test between them (absent when undefined).
struct RiskGroups {
  double threshold = 0;
  std::int64_t low_count = 0;
  std::int64_t high_count = 0;
  KaplanMeierCurve low;
  KaplanMeierCurve high;
  std::optional<LogRankResult> log_rank;
};
RiskGroups SplitRiskGroups(const std::vector<double>& risk, const std::vector<double>& time,
                           const std::vector<bool>& event, double threshold);

}  // namespace pancaim::zoo
