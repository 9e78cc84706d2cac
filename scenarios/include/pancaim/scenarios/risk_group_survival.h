// Kaplan–Meier curves of predicted risk groups for the report, computed with the model zoo's
// estimators (SplitRiskGroups, log-rank test). A separate library (pancaim::scenarios_survival)
// because it links the model zoo and, through it, LibTorch. Pure function; thread-safe.
#pragma once

#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/model_zoo/metrics.h"
#include "pancaim/scenarios/run_results.h"

namespace pancaim::scenarios {

// Test patients split at the median predicted risk: a step curve per group starting at (0, 1)
// and the log-rank test between them (absent when undefined). The three vectors have one entry
// per patient (checked). FailedPrecondition when there are fewer than two patients.
StatusOr<SurvivalResult> SurvivalFromPredictions(const std::vector<double>& risk,
                                                 const std::vector<double>& time,
                                                 const std::vector<bool>& event);

// The same from risk groups the model zoo already split (zoo::Evaluate with a risk threshold).
SurvivalResult SurvivalFromRiskGroups(const zoo::RiskGroups& groups);

}  // namespace pancaim::scenarios
