#include "pancaim/scenarios/risk_group_survival.h"

#include "pancaim/common/check.h"
#include "pancaim/model_zoo/metrics.h"

namespace pancaim::scenarios {
namespace {

SurvivalCurve StepsFrom(const zoo::KaplanMeierCurve& curve) {
  SurvivalCurve out{{0.0}, {1.0}};
  for (std::size_t i = 0; i < curve.time.size(); ++i) {
    out.time.push_back(curve.time[i]);
    out.survival.push_back(curve.survival[i]);
  }
  return out;
}

}  // namespace

StatusOr<SurvivalResult> SurvivalFromPredictions(const std::vector<double>& risk,
                                                 const std::vector<double>& time,
                                                 const std::vector<bool>& event) {
  PANCAIM_CHECK(risk.size() == time.size() && risk.size() == event.size())
      << "SurvivalFromPredictions: " << risk.size() << " risks, " << time.size() << " times, "
      << event.size() << " events";
  if (risk.size() < 2) {
    return FailedPreconditionError("survival curves need at least two test patients, got " +
                                   std::to_string(risk.size()));
  }
  return SurvivalFromRiskGroups(zoo::SplitRiskGroups(risk, time, event, zoo::Median(risk)));
}

SurvivalResult SurvivalFromRiskGroups(const zoo::RiskGroups& groups) {
  SurvivalResult out;
  out.threshold = groups.threshold;
  out.low_count = static_cast<int>(groups.low_count);
  out.high_count = static_cast<int>(groups.high_count);
  if (groups.log_rank) {
    out.p_value = groups.log_rank->p_value;
    out.chi_square = groups.log_rank->chi_square;
  }
  out.low = StepsFrom(groups.low);
  out.high = StepsFrom(groups.high);
  return out;
}

}  // namespace pancaim::scenarios
