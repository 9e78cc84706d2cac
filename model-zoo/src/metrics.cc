#include "pancaim/model_zoo/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace pancaim::zoo {

StatusOr<double> Accuracy(const std::vector<std::int64_t>& predicted,
                          const std::vector<std::int64_t>& truth) {
  PANCAIM_CHECK(predicted.size() == truth.size()) << "Accuracy: length mismatch";
  if (truth.empty()) return FailedPreconditionError("accuracy of no samples");
  std::size_t correct = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) correct += predicted[i] == truth[i] ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(truth.size());
}

StatusOr<double> RocAuc(const std::vector<double>& scores, const std::vector<std::int64_t>& labels) {
  PANCAIM_CHECK(scores.size() == labels.size()) << "RocAuc: length mismatch";
  // Rank-sum form of the Mann-Whitney statistic, average ranks for ties: O(n log n).
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double positive_rank_sum = 0;
  double positives = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double average_rank = (static_cast<double>(i) + static_cast<double>(j - 1)) / 2.0 + 1.0;
    for (std::size_t k = i; k < j; ++k) {
      if (labels[order[k]] == 1) {
        positive_rank_sum += average_rank;
        positives += 1;
      }
    }
    i = j;
  }
  const double negatives = static_cast<double>(labels.size()) - positives;
  if (positives == 0 || negatives == 0) {
    return FailedPreconditionError("ROC AUC needs both classes, got " +
                                   std::to_string(static_cast<int64_t>(positives)) +
                                   " positives and " +
                                   std::to_string(static_cast<int64_t>(negatives)) + " negatives");
  }
  return (positive_rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives);
}

StatusOr<double> BrierScore(const std::vector<double>& probability,
                            const std::vector<std::int64_t>& labels) {
  PANCAIM_CHECK(probability.size() == labels.size()) << "BrierScore: length mismatch";
  if (labels.empty()) return FailedPreconditionError("Brier score of no samples");
  double sum = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const double d = probability[i] - static_cast<double>(labels[i]);
    sum += d * d;
  }
  return sum / static_cast<double>(labels.size());
}

double Dice(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth,
            std::int64_t label) {
  PANCAIM_CHECK(predicted.size() == truth.size()) << "Dice: length mismatch";
  double both = 0, p = 0, t = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const bool in_p = predicted[i] == label;
    const bool in_t = truth[i] == label;
    both += (in_p && in_t) ? 1 : 0;
    p += in_p ? 1 : 0;
    t += in_t ? 1 : 0;
  }
  return DiceFromCounts(both, p, t);
}

double DiceFromCounts(double intersection, double predicted, double truth) {
  return (predicted + truth) == 0 ? 1.0 : 2.0 * intersection / (predicted + truth);
}

StatusOr<double> HarrellCIndex(const std::vector<double>& risk, const std::vector<double>& time,
                               const std::vector<bool>& event) {
  PANCAIM_CHECK(risk.size() == time.size() && time.size() == event.size())
      << "HarrellCIndex: length mismatch";
  double concordant = 0;
  double comparable = 0;
  for (std::size_t i = 0; i < risk.size(); ++i) {
    if (!event[i]) continue;
    for (std::size_t j = 0; j < risk.size(); ++j) {
      if (!(time[i] < time[j])) continue;
      comparable += 1;
      if (risk[i] > risk[j]) {
        concordant += 1;
      } else if (risk[i] == risk[j]) {
        concordant += 0.5;
      }
    }
  }
  if (comparable == 0) return FailedPreconditionError("C-index: no comparable pair of patients");
  return concordant / comparable;
}

KaplanMeierCurve KaplanMeier(const std::vector<double>& time, const std::vector<bool>& event) {
  PANCAIM_CHECK(time.size() == event.size()) << "KaplanMeier: length mismatch";
  std::vector<std::size_t> order(time.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return time[a] < time[b]; });
  KaplanMeierCurve curve;
  double survival = 1.0;
  std::int64_t at_risk = static_cast<std::int64_t>(time.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    std::int64_t deaths = 0;
    while (j < order.size() && time[order[j]] == time[order[i]]) {
      deaths += event[order[j]] ? 1 : 0;
      ++j;
    }
    if (deaths > 0) {
      survival *= 1.0 - static_cast<double>(deaths) / static_cast<double>(at_risk);
      curve.time.push_back(time[order[i]]);
      curve.survival.push_back(survival);
      curve.at_risk.push_back(at_risk);
      curve.events.push_back(deaths);
    }
    at_risk -= static_cast<std::int64_t>(j - i);
    i = j;
  }
  return curve;
}

double ChiSquare1Pvalue(double statistic) {
  if (statistic <= 0) return 1.0;
  return std::erfc(std::sqrt(statistic / 2.0));
}

StatusOr<LogRankResult> LogRankTest(const std::vector<double>& time, const std::vector<bool>& event,
                                    const std::vector<std::int64_t>& group) {
  PANCAIM_CHECK(time.size() == event.size() && time.size() == group.size())
      << "LogRankTest: length mismatch";
  std::vector<double> times;
  double n[2] = {0, 0};
  for (std::size_t i = 0; i < time.size(); ++i) {
    PANCAIM_CHECK(group[i] == 0 || group[i] == 1) << "LogRankTest: group must be 0 or 1";
    n[group[i]] += 1;
    if (event[i]) times.push_back(time[i]);
  }
  if (n[0] == 0 || n[1] == 0) return FailedPreconditionError("log-rank test: a group is empty");
  if (times.empty()) return FailedPreconditionError("log-rank test: no event observed");
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  LogRankResult result;
  for (double t : times) {
    double at_risk[2] = {0, 0};
    double deaths[2] = {0, 0};
    for (std::size_t i = 0; i < time.size(); ++i) {
      if (time[i] >= t) at_risk[group[i]] += 1;
      if (time[i] == t && event[i]) deaths[group[i]] += 1;
    }
    const double total = at_risk[0] + at_risk[1];
    const double d = deaths[0] + deaths[1];
    for (int g = 0; g < 2; ++g) {
      result.observed[g] += deaths[g];
      result.expected[g] += d * at_risk[g] / total;
    }
    if (total > 1) {
      result.variance += at_risk[0] * at_risk[1] * d * (total - d) / (total * total * (total - 1));
    }
  }
  if (result.variance <= 0) return FailedPreconditionError("log-rank test: zero variance");
  const double diff = result.observed[1] - result.expected[1];
  result.chi_square = diff * diff / result.variance;
  result.p_value = ChiSquare1Pvalue(result.chi_square);
  return result;
}

double Median(std::vector<double> values) {
  PANCAIM_CHECK(!values.empty()) << "Median of no values";
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2.0;
}

RiskGroups SplitRiskGroups(const std::vector<double>& risk, const std::vector<double>& time,
                           const std::vector<bool>& event, double threshold) {
  PANCAIM_CHECK(risk.size() == time.size() && time.size() == event.size())
      << "SplitRiskGroups: length mismatch";
  RiskGroups groups;
  groups.threshold = threshold;
  std::vector<double> time_low, time_high;
  std::vector<bool> event_low, event_high;
  std::vector<std::int64_t> group(risk.size());
  for (std::size_t i = 0; i < risk.size(); ++i) {
    const bool high = risk[i] > threshold;
    group[i] = high ? 1 : 0;
    (high ? time_high : time_low).push_back(time[i]);
    (high ? event_high : event_low).push_back(event[i]);
  }
  groups.low_count = static_cast<std::int64_t>(time_low.size());
  groups.high_count = static_cast<std::int64_t>(time_high.size());
  groups.low = KaplanMeier(time_low, event_low);
  groups.high = KaplanMeier(time_high, event_high);
  StatusOr<LogRankResult> test = LogRankTest(time, event, group);
  if (test.ok()) groups.log_rank = *test;
  return groups;
}

}  // namespace pancaim::zoo
