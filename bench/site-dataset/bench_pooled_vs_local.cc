// bench-pooled-vs-local: does pooling sites help? Trains a zoo model on the training split of one
// small site alone (the baseline) and on the pooled training splits of all sites, with the same
// seeds and the same number of optimizer steps, through pancaim::site_dataset, and evaluates both
// on the same held-out test patients of all sites: ROC AUC for PDAC (genomics-mlp), Harrell's
// C-index for survival (fusion-survival over genomics and clinical embeddings). Prints each
// figure, the mean over seeds, and the ratio pooled / local.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "pancaim/common/log.h"
#include "pancaim/common/progress.h"
#include "pancaim/model_zoo/evaluate.h"
#include "pancaim/model_zoo/registry.h"
#include "pancaim/model_zoo/trainer.h"
#include "pancaim/scenarios/cohort_generator.h"
#include "pancaim/scenarios/scenario_config.h"
#include "pancaim/site_dataset/concat_dataset.h"
#include "pancaim/site_dataset/site_dataset.h"

namespace fs = std::filesystem;
using namespace pancaim;
using sitedataset::ConcatDataset;
using sitedataset::SiteDataset;
using sitedataset::SiteDatasetOptions;

namespace {

struct Site {
  std::string name;
  std::shared_ptr<SiteDataset> train;
  std::shared_ptr<SiteDataset> test;
};

struct Experiment {
  std::string model;
  std::string metric;
  SiteDatasetOptions data;
  nlohmann::json config;
};

StatusOr<std::vector<Site>> OpenSites(const fs::path& cohort, const SiteDatasetOptions& options) {
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(cohort)) {
    if (entry.is_directory() && fs::exists(entry.path() / "site.json")) folders.push_back(entry.path());
  }
  std::sort(folders.begin(), folders.end());
  if (folders.empty()) return NotFoundError(cohort.string() + ": no site folder with a site.json");
  std::vector<Site> sites;
  for (const fs::path& folder : folders) {
    Site site;
    site.name = folder.filename().string();
    PANCAIM_ASSIGN_OR_RETURN(auto train, SiteDataset::OpenFile(folder / "site.json",
                                                               sitedata::Split::kTrain, options));
    PANCAIM_ASSIGN_OR_RETURN(auto test, SiteDataset::OpenFile(folder / "site.json",
                                                              sitedata::Split::kTest, options));
    site.train = std::move(train);
    site.test = std::move(test);
    sites.push_back(std::move(site));
  }
  return sites;
}

StatusOr<double> TrainAndScore(const Experiment& experiment, const zoo::Dataset& train,
                               const zoo::Dataset& test, const zoo::TrainOptions& options) {
  PANCAIM_ASSIGN_OR_RETURN(zoo::ZooModel model,
                           zoo::CreateModel(experiment.model, experiment.config, options.seed));
  PANCAIM_ASSIGN_OR_RETURN(zoo::TrainResult result, zoo::Train(model, train, options));
  (void)result;
  zoo::EvalOptions eval;
  eval.device = options.device;
  eval.batch_size = 64;
  PANCAIM_ASSIGN_OR_RETURN(zoo::EvalReport report, zoo::Evaluate(model, test, eval));
  const auto it = report.metrics.find(experiment.metric);
  if (it == report.metrics.end()) {
    return FailedPreconditionError(experiment.metric + " undefined on the test patients");
  }
  return it->second;
}

double Mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

int Run(const fs::path& cohort, std::string small_site, const std::vector<std::string>& models,
        int seeds, const zoo::TrainOptions& base) {
  // Feature counts are set from the datasets once opened.
  nlohmann::json genomics_clinical = {{"genomics_features", 0}, {"clinical_features", 0}};
  std::vector<Experiment> experiments;
  for (const std::string& name : models) {
    Experiment experiment;
    experiment.model = name;
    experiment.data.modalities = {.genomics = true, .clinical = true};
    if (name == "genomics-mlp") {
      // Genomics only: in the synthetic cohorts stage is recorded for PDAC patients only, so the
      // clinical missing mask would reveal the label.
      experiment.metric = "auc";
      experiment.data.modalities = {.genomics = true};
      experiment.data.required = {.genomics = true};
      experiment.data.labels = sitedataset::LabelRequirement::kPdac;
      experiment.config = genomics_clinical;
      experiment.config["hidden"] = {32, 16};
      experiment.config["dropout"] = 0.1;
    } else if (name == "fusion-survival") {
      experiment.metric = "c_index";
      experiment.data.labels = sitedataset::LabelRequirement::kSurvival;
      experiment.config = genomics_clinical;
      experiment.config.update({{"use_ct", false}, {"use_tiles", false}, {"embed_dim", 16},
                                {"attention_dim", 8}, {"hidden", {32}}, {"dropout", 0.1}});
    } else {
      std::cerr << "error: unknown model '" << name << "' (genomics-mlp or fusion-survival)\n";
      return 2;
    }
    experiments.push_back(experiment);
  }

  nlohmann::json results = nlohmann::json::array();
  for (Experiment& experiment : experiments) {
    StatusOr<std::vector<Site>> sites = OpenSites(cohort, experiment.data);
    if (!sites.ok()) {
      std::cerr << "error: " << sites.status() << "\n";
      return 1;
    }
    std::vector<std::shared_ptr<const zoo::Dataset>> trains, tests;
    const Site* small = nullptr;
    for (const Site& site : *sites) {
      trains.push_back(site.train);
      tests.push_back(site.test);
      if (small_site.empty() ? (small == nullptr || site.train->Size() < small->train->Size())
                             : site.name == small_site) {
        small = &site;
      }
    }
    if (small == nullptr) {
      std::cerr << "error: no site named '" << small_site << "' in " << cohort << "\n";
      return 2;
    }
    experiment.config["genomics_features"] = small->train->genomics_names().size();
    experiment.config["clinical_features"] =
        experiment.data.modalities.clinical ? small->train->clinical_names().size() : 0;
    ConcatDataset pooled(trains);
    ConcatDataset test(tests);
    std::printf("%s (%s): local = %s, %lld training patients; pooled = %zu sites, %lld; test = %lld patients of all sites\n",
                experiment.model.c_str(), experiment.metric.c_str(), small->name.c_str(),
                static_cast<long long>(small->train->Size()), sites->size(),
                static_cast<long long>(pooled.Size()), static_cast<long long>(test.Size()));
    std::vector<double> local_scores, pooled_scores;
    ProgressDisplay progress(experiment.model, 2 * seeds);
    for (int s = 0; s < seeds; ++s) {
      zoo::TrainOptions options = base;
      options.seed = static_cast<std::uint64_t>(s + 1);
      StatusOr<double> local = TrainAndScore(experiment, *small->train, test, options);
      progress.Advance();
      StatusOr<double> all = TrainAndScore(experiment, pooled, test, options);
      progress.Advance();
      if (!local.ok() || !all.ok()) {
        std::cerr << "error: " << (local.ok() ? all.status() : local.status()) << "\n";
        return 1;
      }
      local_scores.push_back(*local);
      pooled_scores.push_back(*all);
    }
    progress.Finish();
    int wins = 0;
    for (int s = 0; s < seeds; ++s) {
      wins += pooled_scores[static_cast<std::size_t>(s)] > local_scores[static_cast<std::size_t>(s)];
      std::printf("  seed %d: local %.3f  pooled %.3f\n", s + 1, local_scores[static_cast<std::size_t>(s)],
                  pooled_scores[static_cast<std::size_t>(s)]);
    }
    const double local_mean = Mean(local_scores), pooled_mean = Mean(pooled_scores);
    std::printf("  mean %s: local (baseline) %.3f  pooled %.3f  ratio pooled/local %.2fx  pooled better in %d/%d seeds: %s\n",
                experiment.metric.c_str(), local_mean, pooled_mean, pooled_mean / local_mean, wins,
                seeds, pooled_mean > local_mean ? "POOLED BEATS LOCAL" : "pooled does not beat local");
    results.push_back({{"model", experiment.model},
                       {"metric", experiment.metric},
                       {"local_site", small->name},
                       {"local_train", small->train->Size()},
                       {"pooled_train", pooled.Size()},
                       {"test", test.Size()},
                       {"local", local_scores},
                       {"pooled", pooled_scores},
                       {"local_mean", local_mean},
                       {"pooled_mean", pooled_mean}});
  }
  std::printf("%s\n", results.dump().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Trains a model on one small site alone and on the pooled data of all sites, "
               "evaluates both on the same held-out test patients, and prints both figures."};
  fs::path cohort;
  fs::path scenario;
  std::string small_site;
  std::vector<std::string> models{"genomics-mlp", "fusion-survival"};
  int seeds = 3;
  zoo::TrainOptions options;
  options.max_steps = 300;
  options.batch_size = 16;
  options.optimizer = "adamw";
  options.learning_rate = 0.003;
  options.weight_decay = 0.01;
  options.device = "cpu";
  options.threads = 1;
  app.add_option("--cohort", cohort, "Cohort folder written by pancaim-sim generate")->required();
  app.add_option("--scenario", scenario,
                 "Generate the cohort from this scenario first when --cohort has none");
  app.add_option("--small-site", small_site, "Local site (default: fewest training patients)");
  app.add_option("--models", models, "genomics-mlp and/or fusion-survival");
  app.add_option("--seeds", seeds, "Seeds (model initialisation and data order)")->check(CLI::Range(1, 100));
  app.add_option("--steps", options.max_steps, "Optimizer steps per training (same for both)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--batch-size", options.batch_size, "Batch size")->check(CLI::Range(1, 4096));
  app.add_option("--lr", options.learning_rate, "AdamW learning rate");
  app.add_option("--threads", options.threads, "CPU threads (0 = LibTorch default)");
  app.add_option("--device", options.device, "cpu, cuda[:N] or auto");
  CLI11_PARSE(app, argc, argv);
  log::SetMinLevel(log::Level::kWarning);

  if (!scenario.empty() && !fs::exists(cohort / "scenario.json")) {
    auto config = scenarios::LoadScenarioConfig(scenario);
    if (!config.ok()) {
      std::cerr << "error: " << config.status() << "\n";
      return 1;
    }
    scenarios::GenerateOptions generate;
    generate.out_dir = cohort;
    generate.oracle_samples = 20000;
    auto summary = scenarios::GenerateCohort(*config, generate);
    if (!summary.ok()) {
      std::cerr << "error: " << summary.status() << "\n";
      return 1;
    }
    std::printf("%s", scenarios::FormatSummary(*summary).c_str());
  }
  return Run(cohort, small_site, models, seeds, options);
}
