#include "pancaim/scenarios/simulation_evaluation.h"

#include <chrono>
#include <cmath>

#include "pancaim/common/progress.h"
#include "pancaim/scenarios/risk_group_survival.h"
#include "pancaim/site_dataset/concat_dataset.h"
#include "pancaim/site_runtime/dataset_for_model.h"
#include "pancaim/tensorio/tensor_map.h"

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using sitedataset::SiteDataset;

int IntOr(const json& config, const char* key, int fallback) {
  return config.is_object() && config.contains(key) && config[key].is_number_integer()
             ? config[key].get<int>()
             : fallback;
}

}  // namespace

StatusOr<ModelData> ModelDataFor(const std::string& model, const json& config) {
  // The site agent's own rule, applied to the config completed with the model's defaults, so
  // the researcher's arms read exactly what the federated sites read.
  PANCAIM_ASSIGN_OR_RETURN(zoo::ZooModel built,
                           zoo::CreateModel(model, config.is_object() ? config : json::object()));
  ModelData out;
  PANCAIM_ASSIGN_OR_RETURN(out.options, site_runtime::DatasetOptionsForModel(model, built.config));
  switch (built.module->task()) {
    case zoo::Task::kSurvival:
      out.metric = "c_index";
      out.task = "survival";
      break;
    case zoo::Task::kClassification:
      out.metric = "auc";
      out.task = "pdac_detection";
      break;
    case zoo::Task::kSegmentation:
      return InvalidArgumentError("model '" + model +
                                  "': segmentation is not simulated over the cohort yet");
  }
  return out;
}

StatusOr<SimulationData> OpenSimulationData(const std::vector<std::string>& site_names,
                                            const std::vector<json>& site_configs,
                                            const std::string& model, const json& config) {
  PANCAIM_CHECK(site_names.size() == site_configs.size());
  SimulationData out;
  out.model = model;
  out.model_config = config.is_object() ? config : json::object();
  PANCAIM_ASSIGN_OR_RETURN(out.data, ModelDataFor(model, out.model_config));
  std::vector<std::shared_ptr<const zoo::Dataset>> trains, tests;
  for (std::size_t i = 0; i < site_names.size(); ++i) {
    SiteSplits site;
    site.name = site_names[i];
    auto train = SiteDataset::Open(site_configs[i], fs::current_path(), sitedata::Split::kTrain,
                                   out.data.options);
    if (!train.ok()) return train.status().WithContext("site " + site.name);
    auto test = SiteDataset::Open(site_configs[i], fs::current_path(), sitedata::Split::kTest,
                                  out.data.options);
    if (!test.ok()) return test.status().WithContext("site " + site.name);
    site.train = std::move(train).value();
    site.test = std::move(test).value();
    trains.push_back(site.train);
    tests.push_back(site.test);
    out.sites.push_back(std::move(site));
  }
  if (!out.sites.empty()) {
    const SiteDataset& first = *out.sites.front().train;
    if (IntOr(out.model_config, "genomics_features", 0) > 0 ||
        (!out.model_config.contains("genomics_features") && out.data.options.modalities.genomics)) {
      out.model_config["genomics_features"] = first.genomics_names().size();
    }
    if (IntOr(out.model_config, "clinical_features", 0) > 0 ||
        (!out.model_config.contains("clinical_features") && out.data.options.modalities.clinical)) {
      out.model_config["clinical_features"] = first.clinical_names().size();
    }
  }
  out.pooled_train = std::make_shared<sitedataset::ConcatDataset>(trains);
  out.pooled_test = std::make_shared<sitedataset::ConcatDataset>(tests);
  // Fail early, naming the model option, when the config does not build.
  PANCAIM_RETURN_IF_ERROR(zoo::CreateModel(model, out.model_config).status());
  return out;
}

StatusOr<std::map<std::string, double>> Score(zoo::ZooModel& model, const zoo::Dataset& data) {
  zoo::EvalOptions options;
  options.device = "cpu";
  options.batch_size = 16;
  PANCAIM_ASSIGN_OR_RETURN(zoo::EvalReport report, zoo::Evaluate(model, data, options));
  return report.metrics;
}

std::optional<double> Headline(const std::map<std::string, double>& metrics,
                               const std::string& metric) {
  const auto it = metrics.find(metric);
  if (it == metrics.end() || !std::isfinite(it->second)) return std::nullopt;
  return it->second;
}

StatusOr<zoo::ZooModel> LoadModelFile(const SimulationData& data, const fs::path& safetensors) {
  PANCAIM_ASSIGN_OR_RETURN(zoo::ZooModel model, zoo::CreateModel(data.model, data.model_config));
  PANCAIM_ASSIGN_OR_RETURN(tensorio::DecodedTensors tensors,
                           tensorio::LoadSafetensorsFile(safetensors.string()));
  Status loaded = tensorio::LoadStateDict(*model.module, tensors.tensors);
  if (!loaded.ok()) return loaded.WithContext(safetensors.string());
  return model;
}

StatusOr<zoo::ZooModel> TrainFresh(const SimulationData& data, const zoo::Dataset& train,
                                   const zoo::TrainOptions& options) {
  PANCAIM_ASSIGN_OR_RETURN(zoo::ZooModel model,
                           zoo::CreateModel(data.model, data.model_config, options.seed));
  if (train.Size() == 0) {
    return FailedPreconditionError("no training patient with the labels and modalities " +
                                   data.model + " needs");
  }
  PANCAIM_RETURN_IF_ERROR(zoo::Train(model, train, options).status());
  return model;
}

StatusOr<BaselineScores> RunBaselines(const SimulationData& data, const zoo::TrainOptions& options,
                                      bool progress) {
  const auto start = std::chrono::steady_clock::now();
  BaselineScores out;
  ProgressDisplay display("baselines", static_cast<std::int64_t>(data.sites.size()) + 1);
  if (!progress) display.set_plain(true);
  double sum = 0;
  int counted = 0;
  for (const SiteSplits& site : data.sites) {
    std::optional<double> own, pooled;
    if (site.train->Size() > 0) {
      auto model = TrainFresh(data, *site.train, options);
      if (!model.ok()) return model.status().WithContext("local baseline of " + site.name);
      if (site.test->Size() > 0) {
        PANCAIM_ASSIGN_OR_RETURN(auto metrics, Score(*model, *site.test));
        own = Headline(metrics, data.data.metric);
      }
      PANCAIM_ASSIGN_OR_RETURN(auto metrics, Score(*model, *data.pooled_test));
      pooled = Headline(metrics, data.data.metric);
    }
    if (pooled) {
      sum += *pooled;
      ++counted;
    }
    out.local_on_own_test.push_back(own);
    out.local_on_pooled_test.push_back(pooled);
    display.Advance(1, "local " + site.name);
  }
  if (counted > 0) out.local_mean = sum / counted;
  auto central = TrainFresh(data, *data.pooled_train, options);
  if (!central.ok()) return central.status().WithContext("centralized baseline");
  PANCAIM_ASSIGN_OR_RETURN(auto metrics, Score(*central, *data.pooled_test));
  out.centralized = Headline(metrics, data.data.metric);
  display.Finish("centralized");
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

StatusOr<SurvivalResult> SurvivalOnTest(zoo::ZooModel& model, const SimulationData& data) {
  if (data.data.task != "survival") {
    return FailedPreconditionError("risk groups need a survival model, not " + data.model);
  }
  zoo::EvalOptions options;
  options.device = "cpu";
  options.batch_size = 16;
  PANCAIM_ASSIGN_OR_RETURN(double threshold, zoo::MedianRisk(model, *data.pooled_train, options));
  options.risk_threshold = threshold;
  PANCAIM_ASSIGN_OR_RETURN(zoo::EvalReport report, zoo::Evaluate(model, *data.pooled_test, options));
  if (!report.risk_groups) {
    return FailedPreconditionError("the evaluation returned no risk groups");
  }
  return SurvivalFromRiskGroups(*report.risk_groups);
}

StatusOr<std::vector<SiteResult>> SummarizeSites(const std::vector<std::string>& site_names,
                                                 const std::vector<json>& site_configs) {
  PANCAIM_CHECK(site_names.size() == site_configs.size());
  std::vector<SiteResult> out;
  sitedataset::SiteDatasetOptions options;
  options.modalities = sitedataset::ModalitySet::None();
  for (std::size_t i = 0; i < site_names.size(); ++i) {
    SiteResult site;
    site.name = site_names[i];
    for (sitedata::Split split :
         {sitedata::Split::kTrain, sitedata::Split::kValidation, sitedata::Split::kTest}) {
      auto opened = SiteDataset::Open(site_configs[i], fs::current_path(), split, options);
      if (!opened.ok()) return opened.status().WithContext("site " + site.name);
      const auto& dataset = opened.value();
      const sitedataset::DatasetSummary summary = dataset->summary();
      site.positives += static_cast<int>(summary.pdac_positive);
      site.events += static_cast<int>(summary.events);
      const int size = static_cast<int>(dataset->Size());
      if (split == sitedata::Split::kTrain) site.train = size;
      if (split == sitedata::Split::kValidation) site.validation = size;
      if (split == sitedata::Split::kTest) site.test = size;
      if (split == sitedata::Split::kTrain) {
        auto count = [&](const char* key) {
          const auto it = summary.declared.find(key);
          return it == summary.declared.end() ? 0 : static_cast<int>(it->second);
        };
        site.modalities = {count("ct"), count("mask"), count("slides"), count("genomics")};
      }
    }
    out.push_back(std::move(site));
  }
  return out;
}

}  // namespace pancaim::scenarios
