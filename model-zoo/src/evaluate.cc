#include "pancaim/model_zoo/evaluate.h"

#include <torch/torch.h>

#include "pancaim/model_zoo/device.h"
#include "pancaim/model_zoo/losses.h"

namespace pancaim::zoo {
namespace {

// Everything collected from a pass over the data, on the CPU.
struct Collected {
  double loss_sum = 0;  // classification/segmentation: sum of batch loss * batch size
  std::vector<std::int64_t> labels;
  std::vector<std::int64_t> predicted;
  std::vector<double> positive_probability;  // binary classification
  std::vector<double> risk;
  std::vector<double> time;
  std::vector<bool> event;
  std::vector<double> intersection, predicted_voxels, truth_voxels;  // per class (segmentation)
};

void CollectBatch(ZooModuleImpl& module, const Batch& batch, const ModelOutput& out,
                  Collected& c) {
  switch (module.task()) {
    case Task::kClassification: {
      c.loss_sum += module.Loss(out, batch).item<double>() * static_cast<double>(batch.size);
      torch::Tensor probs = torch::softmax(out.logits.to(torch::kFloat64), /*dim=*/1).cpu();
      torch::Tensor pred = probs.argmax(/*dim=*/1);
      torch::Tensor labels = batch.label.cpu();
      for (int64_t i = 0; i < batch.size; ++i) {
        c.labels.push_back(labels[i].item<int64_t>());
        c.predicted.push_back(pred[i].item<int64_t>());
        if (probs.size(1) == 2) c.positive_probability.push_back(probs[i][1].item<double>());
      }
      break;
    }
    case Task::kSegmentation: {
      c.loss_sum += module.Loss(out, batch).item<double>() * static_cast<double>(batch.size);
      const int64_t classes = out.seg_logits.size(1);
      torch::Tensor pred = out.seg_logits.argmax(/*dim=*/1);
      c.intersection.resize(static_cast<size_t>(classes), 0.0);
      c.predicted_voxels.resize(static_cast<size_t>(classes), 0.0);
      c.truth_voxels.resize(static_cast<size_t>(classes), 0.0);
      for (int64_t k = 0; k < classes; ++k) {
        torch::Tensor p = pred == k;
        torch::Tensor t = batch.ct_mask == k;
        c.intersection[static_cast<size_t>(k)] += (p & t).sum().item<double>();
        c.predicted_voxels[static_cast<size_t>(k)] += p.sum().item<double>();
        c.truth_voxels[static_cast<size_t>(k)] += t.sum().item<double>();
      }
      break;
    }
    case Task::kSurvival: {
      torch::Tensor risk = out.risk.to(torch::kFloat64).cpu();
      torch::Tensor time = batch.survival_time.cpu();
      torch::Tensor event = batch.event.cpu();
      for (int64_t i = 0; i < batch.size; ++i) {
        c.risk.push_back(risk[i].item<double>());
        c.time.push_back(time[i].item<double>());
        c.event.push_back(event[i].item<float>() > 0.5f);
      }
      break;
    }
  }
}

StatusOr<Collected> RunModel(ZooModel& model, const Dataset& data, const EvalOptions& options,
                             bool need_labels) {
  const int64_t n = data.Size();
  if (n <= 0) return FailedPreconditionError("evaluation dataset is empty");
  if (options.batch_size <= 0) return InvalidArgumentError("evaluation batch_size must be > 0");
  PANCAIM_ASSIGN_OR_RETURN(torch::Device device, ResolveDevice(options.device));
  ZooModuleImpl& module = *model.module;
  module.to(device);
  module.eval();
  struct BackToCpu {
    ZooModuleImpl& m;
    ~BackToCpu() { m.to(torch::kCPU); }
  } back_to_cpu{module};
  torch::NoGradGuard no_grad;
  Collected c;
  try {
    for (int64_t begin = 0; begin < n; begin += options.batch_size) {
      std::vector<Sample> samples;
      for (int64_t i = begin; i < std::min(n, begin + options.batch_size); ++i) {
        PANCAIM_ASSIGN_OR_RETURN(Sample s, data.Get(i));
        samples.push_back(std::move(s));
      }
      PANCAIM_ASSIGN_OR_RETURN(Batch batch, Collate(samples));
      PANCAIM_RETURN_IF_ERROR(module.CheckBatch(batch, need_labels));
      Batch on_device = batch.To(device);
      ModelOutput out = module.ForwardBatch(on_device);
      CollectBatch(module, on_device, out, c);
    }
  } catch (const c10::Error& e) {
    return InternalError(std::string("evaluation failed in LibTorch: ") + e.what_without_backtrace());
  }
  return c;
}

void ClassificationMetrics(const Collected& c, std::int64_t n, EvalReport& report) {
  report.metrics["loss"] = c.loss_sum / static_cast<double>(n);
  if (auto acc = Accuracy(c.predicted, c.labels); acc.ok()) report.metrics["accuracy"] = *acc;
  if (c.positive_probability.size() == c.labels.size()) {
    if (auto auc = RocAuc(c.positive_probability, c.labels); auc.ok()) report.metrics["auc"] = *auc;
    if (auto brier = BrierScore(c.positive_probability, c.labels); brier.ok()) {
      report.metrics["brier"] = *brier;
    }
  }
}

void SegmentationMetrics(const Collected& c, std::int64_t n, EvalReport& report) {
  report.metrics["loss"] = c.loss_sum / static_cast<double>(n);
  double sum = 0;
  for (size_t k = 1; k < c.intersection.size(); ++k) {
    const double dice = DiceFromCounts(c.intersection[k], c.predicted_voxels[k], c.truth_voxels[k]);
    report.metrics["dice_" + std::to_string(k)] = dice;
    sum += dice;
  }
  if (c.intersection.size() > 1) {
    report.metrics["dice_mean"] = sum / static_cast<double>(c.intersection.size() - 1);
  }
}

void SurvivalMetrics(const Collected& c, const EvalOptions& options, EvalReport& report) {
  std::vector<float> events(c.event.begin(), c.event.end());
  torch::Tensor loss = CoxPartialLikelihoodLoss(
      torch::tensor(c.risk, torch::kFloat64), torch::tensor(c.time, torch::kFloat64),
      torch::tensor(events, torch::kFloat32));
  report.metrics["loss"] = loss.item<double>();
  if (auto ci = HarrellCIndex(c.risk, c.time, c.event); ci.ok()) report.metrics["c_index"] = *ci;
  report.risk = c.risk;
  if (options.risk_threshold) {
    RiskGroups groups = SplitRiskGroups(c.risk, c.time, c.event, *options.risk_threshold);
    report.metrics["high_risk_count"] = static_cast<double>(groups.high_count);
    report.metrics["low_risk_count"] = static_cast<double>(groups.low_count);
    if (groups.log_rank) {
      report.metrics["logrank_chi2"] = groups.log_rank->chi_square;
      report.metrics["logrank_p"] = groups.log_rank->p_value;
    }
    report.risk_groups = std::move(groups);
  }
}

nlohmann::json CurveJson(const KaplanMeierCurve& curve) {
  return {{"time", curve.time}, {"survival", curve.survival}, {"at_risk", curve.at_risk},
          {"events", curve.events}};
}

}  // namespace

StatusOr<EvalReport> Evaluate(ZooModel& model, const Dataset& data, const EvalOptions& options) {
  PANCAIM_ASSIGN_OR_RETURN(Collected c, RunModel(model, data, options, /*need_labels=*/true));
  EvalReport report;
  report.task = model.module->task();
  report.samples = data.Size();
  switch (report.task) {
    case Task::kClassification:
      ClassificationMetrics(c, report.samples, report);
      break;
    case Task::kSegmentation:
      SegmentationMetrics(c, report.samples, report);
      break;
    case Task::kSurvival:
      SurvivalMetrics(c, options, report);
      break;
  }
  return report;
}

StatusOr<double> MedianRisk(ZooModel& model, const Dataset& data, const EvalOptions& options) {
  if (model.module->task() != Task::kSurvival) {
    return FailedPreconditionError("model '" + model.name + "' does not predict a risk score");
  }
  PANCAIM_ASSIGN_OR_RETURN(Collected c, RunModel(model, data, options, /*need_labels=*/false));
  return Median(c.risk);
}

nlohmann::json EvalReportToJson(const EvalReport& report) {
  nlohmann::json out = {{"task", std::string(TaskName(report.task))},
                        {"samples", report.samples},
                        {"metrics", report.metrics}};
  if (report.risk_groups) {
    const RiskGroups& g = *report.risk_groups;
    nlohmann::json groups = {{"threshold", g.threshold},
                             {"low_count", g.low_count},
                             {"high_count", g.high_count},
                             {"km_low", CurveJson(g.low)},
                             {"km_high", CurveJson(g.high)}};
    if (g.log_rank) {
      groups["log_rank"] = {{"chi_square", g.log_rank->chi_square},
                            {"p_value", g.log_rank->p_value},
                            {"observed", {g.log_rank->observed[0], g.log_rank->observed[1]}},
                            {"expected", {g.log_rank->expected[0], g.log_rank->expected[1]}}};
    }
    out["risk_groups"] = std::move(groups);
  }
  return out;
}

}  // namespace pancaim::zoo
