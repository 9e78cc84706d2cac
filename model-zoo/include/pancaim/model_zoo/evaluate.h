// Evaluation of a zoo model on a Dataset: the task's loss and metrics, and for survival models the
// risk groups (split at a threshold, normally the median risk on the training data) with
// Kaplan-Meier curves and the log-rank test.
//
// Metric keys: classification "loss", "accuracy", "auc" and "brier" (binary only; AUC absent when a
// class is missing); segmentation "loss", "dice_<c>" for classes c >= 1 and "dice_mean"; survival
// "loss" (Cox over the whole set), "c_index", and with a threshold "logrank_chi2", "logrank_p",
// "high_risk_count", "low_risk_count". Thread-safety as Train().
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/model_zoo/metrics.h"
#include "pancaim/model_zoo/registry.h"
#include "pancaim/model_zoo/sample.h"

namespace pancaim::zoo {

struct EvalOptions {
  std::int64_t batch_size = 8;
  std::string device = "auto";
  std::optional<double> risk_threshold;  // survival: split risk groups here (training median)
};

struct EvalReport {
  Task task = Task::kClassification;
  std::int64_t samples = 0;
  std::map<std::string, double> metrics;
  std::vector<double> risk;               // survival: per-sample risk, dataset order
  std::optional<RiskGroups> risk_groups;  // survival with a threshold
};

// Runs the model in eval mode without gradients over `data` (labels required) and computes the
// metrics. Errors: those of Dataset::Get and CheckBatch, an unavailable device, an empty dataset.
// The module ends on the CPU in eval mode (Train() switches it back to training mode).
StatusOr<EvalReport> Evaluate(ZooModel& model, const Dataset& data, const EvalOptions& options = {});

// Median predicted risk of a survival model over `data` (the threshold for risk groups; compute it
// on the training data). FailedPrecondition for a non-survival model.
StatusOr<double> MedianRisk(ZooModel& model, const Dataset& data, const EvalOptions& options = {});

// The report as JSON: {"task", "samples", "metrics": {...}, "risk_groups": {threshold, counts,
// log_rank, km_low: {time, survival, at_risk, events}, km_high: {...}}}.
nlohmann::json EvalReportToJson(const EvalReport& report);

}  // namespace pancaim::zoo
