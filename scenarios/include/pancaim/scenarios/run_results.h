// The results of one simulated federated run: what `pancaim-sim run` writes to results.json and
// renders into report.html. One document holds every number the report shows, so the report can
// be re-rendered from results.json alone, and every number is also written as CSV.
//
// results.json (schema "pancaim-sim-results/1"):
//   scenario, task, metric ("auc", "c_index", "accuracy", "dice"), strategy, started_utc,
//   rounds:   [{round, metric, train_loss, sites_done, sites_selected, seconds}]
//   sites:    [{name, train, validation, test, positives, events, modalities{ct, mask, slide,
//               vcf}, local_metric, federated_metric}]   (metrics null when not measured)
//   baselines: {local_mean, centralized}                  (null when not run)
//   survival: null or {threshold, low_count, high_count, p_value, chi_square,
//               low: {time[], survival[]}, high: {time[], survival[]}}
//   events:   [{seconds, round, kind ("site_killed", "site_restarted", "straggler",
//               "coordinator_killed", "coordinator_resumed", "byzantine", "note"), detail}]
//   strategies: [{strategy, final_metric}]  (byzantine comparison; may be empty)
//
// Plain values; no shared state.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"

namespace pancaim::scenarios {

inline constexpr char kResultsFormat[] = "pancaim-sim-results/1";

struct RoundResult {
  int round = 0;                       // 1-based
  std::optional<double> metric;        // federated test metric after the round (if evaluated)
  std::optional<double> train_loss;    // sample-weighted mean of the sites' training loss
  int sites_done = 0;                  // accepted updates
  int sites_selected = 0;
  double seconds = 0;                  // wall time of the round
};

struct SiteModalities {
  int ct = 0, mask = 0, slide = 0, vcf = 0;  // patients having each item
};

struct SiteResult {
  std::string name;
  int train = 0, validation = 0, test = 0;  // patients per split
  int positives = 0;                        // PDAC patients (classification)
  int events = 0;                           // deaths (survival)
  SiteModalities modalities;
  std::optional<double> local_metric;       // model trained on this site alone, on its test set
  std::optional<double> federated_metric;   // final federated model on this site's test set
};

struct Baselines {
  std::optional<double> local_mean;   // mean of the sites' local_metric on the pooled test set
  std::optional<double> centralized;  // all training data pooled
};

// One Kaplan–Meier curve as steps: survival[i] holds from time[i] on; starts at (0, 1).
struct SurvivalCurve {
  std::vector<double> time;
  std::vector<double> survival;
};

// Test patients split at the median predicted risk, with the log-rank test between the groups.
struct SurvivalResult {
  double threshold = 0;
  int low_count = 0, high_count = 0;
  std::optional<double> p_value;     // absent when the test is undefined (no events, empty group)
  std::optional<double> chi_square;
  SurvivalCurve low, high;
};

struct RunEvent {
  double seconds = 0;  // since the run started
  int round = 0;       // 0: not tied to a round
  std::string kind;
  std::string detail;
};

struct StrategyResult {
  std::string strategy;
  std::optional<double> final_metric;
};

struct RunResults {
  std::string scenario;
  std::string task;
  std::string metric;    // name of the metric in RoundResult/SiteResult
  std::string strategy;
  std::string started_utc;
  std::vector<RoundResult> rounds;
  std::vector<SiteResult> sites;
  Baselines baselines;
  std::optional<SurvivalResult> survival;
  std::vector<RunEvent> events;
  std::vector<StrategyResult> strategies;
};

nlohmann::json ResultsToJson(const RunResults& results);

// Parses a results document. InvalidArgument naming the key when a field is missing, of the
// wrong type, or the format tag is not kResultsFormat; `source` prefixes the message.
StatusOr<RunResults> ResultsFromJson(const nlohmann::json& document, std::string_view source);

// Writes results.json and rounds.csv, sites.csv, baselines.csv, events.csv, strategies.csv and
// (with survival) km_curves.csv + log_rank.csv into `dir` (created). Errors name the file.
Status WriteResultFiles(const RunResults& results, const std::filesystem::path& dir);

// The current time as ISO 8601 UTC ("2026-11-28T15:41:29Z"), for a run's started_utc.
std::string UtcTimestampNow();

}  // namespace pancaim::scenarios
