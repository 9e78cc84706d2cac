// The simulation's own measurements, made in the pancaim-sim process: pancaim-sim plays the
// researcher who generated (and so owns) the synthetic cohort, so it may read every site's data —
// the federated arm never does (its patient data stays in the site processes; only weights and
// aggregate metrics cross the wire). On the same held-out test patients (every site's test
// split) it scores:
//   - the federated global model (exported safetensors loaded into zoo::CreateModel),
//   - local baselines: each site's model trained on its own training split alone,
//   - the centralized baseline: one model trained on all training splits pooled,
// with the same model, optimiser and total epochs as the federation (rounds × local epochs).
//
// Which patients and modalities a model reads (ModelDataFor) mirrors what the site agent loads
// for the same model, so both arms see the same inputs.
//
// Thread-safety: zoo::Train seeds LibTorch's process-wide generator; use from one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/model_zoo/evaluate.h"
#include "pancaim/model_zoo/registry.h"
#include "pancaim/model_zoo/trainer.h"
#include "pancaim/scenarios/run_results.h"
#include "pancaim/site_dataset/site_dataset.h"

namespace pancaim::scenarios {

// What a zoo model reads from a site and how it is scored.
struct ModelData {
  sitedataset::SiteDatasetOptions options;
  std::string metric;  // headline metric: "auc" (classification) or "c_index" (survival)
  std::string task;    // results.json task: "pdac_detection" | "survival"
};

// The site agent's rule (site_runtime::DatasetOptionsForModel) on the config completed with the
// model's defaults; AUC for classification, C-index for survival. Errors: the model zoo's for a
// bad name or config, the site runtime's for models without site data (mnist-cnn),
// InvalidArgument for segmentation models.
StatusOr<ModelData> ModelDataFor(const std::string& model, const nlohmann::json& config);

// One site's splits as the model reads them.
struct SiteSplits {
  std::string name;
  std::shared_ptr<sitedataset::SiteDataset> train;
  std::shared_ptr<sitedataset::SiteDataset> test;
};

// The cohort as the evaluation reads it.
struct SimulationData {
  std::string model;
  nlohmann::json model_config;  // feature counts set from the data
  ModelData data;
  std::vector<SiteSplits> sites;
  std::shared_ptr<const zoo::Dataset> pooled_train;
  std::shared_ptr<const zoo::Dataset> pooled_test;
};

// Opens the train and test splits of every site for `model`: `site_configs[i]` is site i's
// site.json document (absolute paths; the same data sections the site agent is given, so both
// arms read the same inputs). The config's genomics_features and
// clinical_features, when present and > 0, are set to the data's feature counts so the model
// fits the cohort. Errors: ModelDataFor's, the datasets' (naming the file), the model zoo's for
// a config that does not build. Empty splits are allowed here (scoring refuses them).
StatusOr<SimulationData> OpenSimulationData(const std::vector<std::string>& site_names,
                                            const std::vector<nlohmann::json>& site_configs,
                                            const std::string& model,
                                            const nlohmann::json& config);

// The model's metrics on `data` (zoo::Evaluate keys). Errors: Evaluate's.
StatusOr<std::map<std::string, double>> Score(zoo::ZooModel& model, const zoo::Dataset& data);

// The headline metric of `metrics`, absent when undefined (e.g. one class only).
std::optional<double> Headline(const std::map<std::string, double>& metrics,
                               const std::string& metric);

// A model of the simulation's architecture with the weights of a safetensors file (an exported
// global model). Errors name the file or the tensor that does not fit.
StatusOr<zoo::ZooModel> LoadModelFile(const SimulationData& data,
                                      const std::filesystem::path& safetensors);

// Trains a fresh model (initialised with `options.seed`) on `train`.
StatusOr<zoo::ZooModel> TrainFresh(const SimulationData& data, const zoo::Dataset& train,
                                   const zoo::TrainOptions& options);

// The local and centralized baselines, trained with `options` (epochs = the federation's total).
struct BaselineScores {
  std::vector<std::optional<double>> local_on_own_test;     // per site
  std::vector<std::optional<double>> local_on_pooled_test;  // per site
  std::optional<double> local_mean;                         // mean of local_on_pooled_test
  std::optional<double> centralized;                        // on the pooled test set
  double seconds = 0;
};
StatusOr<BaselineScores> RunBaselines(const SimulationData& data, const zoo::TrainOptions& options,
                                      bool progress);

// Kaplan–Meier curves of the risk groups of a survival model on the pooled test set, split at
// the median predicted risk on the pooled training set, with the log-rank test.
// FailedPrecondition for a non-survival model or a test set without two groups.
StatusOr<SurvivalResult> SurvivalOnTest(zoo::ZooModel& model, const SimulationData& data);

// Per-site data summary for the report (split sizes, PDAC cases, deaths, modality counts), read
// from the sites' manifests (site.json documents as for OpenSimulationData).
StatusOr<std::vector<SiteResult>> SummarizeSites(const std::vector<std::string>& site_names,
                                                 const std::vector<nlohmann::json>& site_configs);

}  // namespace pancaim::scenarios
