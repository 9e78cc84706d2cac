// Results of the fedavg-mnist scenario (McMahan et al. 2017 reproduced in process, mnist_run.h)
// and the files written from them: results.json, rounds.csv (test accuracy per round and
// partition) and report.html (self-contained: the accuracy-per-round plot for every partition and
// the rounds to the target next to the paper's Table 2).
//
// Plain values and pure functions (apart from the file writer); thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"

namespace pancaim::scenarios {

// The paper's Table 2 (CNN, E=5, B=10, C=0.1): rounds to 99% test accuracy, 20 for `iid` and 229
// for `pathological` (its non-IID split). Absent for any other name.
std::optional<int> PaperRoundsTo99(std::string_view partition);

// One simulated round. `accuracy` is absent on rounds that were not evaluated.
struct MnistRound {
  std::int64_t round = 0;
  std::optional<double> accuracy;
  double train_loss = 0;         // sample-weighted mean of the clients' last-epoch losses
  double train_seconds = 0;      // local training of the selected clients
  double aggregate_seconds = 0;  // encoding and aggregating their updates
  double eval_seconds = 0;
  double elapsed_seconds = 0;    // since the partition's first round started
};

// One partition's simulation (iid or pathological), possibly still running.
struct MnistPartitionRun {
  std::string partition;
  int clients = 0;
  std::int64_t samples_per_client = 0;  // of client 0 (all equal for the shipped partitions)
  int clients_per_round = 0;
  std::int64_t max_rounds = 0;
  std::optional<std::int64_t> rounds_to_target;  // first evaluated round at or above the target
  bool finished = false;  // reached the target or max_rounds (false while running or stopped)
  std::vector<MnistRound> rounds;

  std::optional<double> BestAccuracy() const;
};

// The whole scenario's results.
struct MnistResults {
  std::string scenario;
  std::string started_utc;
  std::string model;
  double target_accuracy = 0.99;
  double fraction = 0.1;  // C
  std::int64_t local_epochs = 5;
  std::int64_t batch_size = 10;
  double learning_rate = 0.1;
  std::uint64_t seed = 0;
  std::int64_t threads = 1;
  std::int64_t train_images = 0;
  std::int64_t test_images = 0;
  std::vector<MnistPartitionRun> partitions;
};

// results.json (`"kind": "fedavg-mnist"`); absent values are null.
nlohmann::json MnistResultsToJson(const MnistResults& results);

// The inverse of MnistResultsToJson, for `pancaim-sim report`. InvalidArgument naming `source`
// and what is missing or of the wrong type.
StatusOr<MnistResults> MnistResultsFromJson(const nlohmann::json& document,
                                            std::string_view source);

// rounds.csv: partition,round,accuracy,train_loss,train_seconds,aggregate_seconds,eval_seconds,
// elapsed_seconds (absent accuracy: empty field).
std::string MnistRoundsCsv(const MnistResults& results);

// One line per partition: "iid: 99% test accuracy in round 23 (paper: 20)" or "... not reached
// within 300 rounds (best 0.9871; paper: 20)"; "so far" while the run is not finished.
std::string RoundsToTargetLine(const MnistResults& results, const MnistPartitionRun& run);

// The page: summary, rounds to target next to the paper, accuracy per round (SVG, one line per
// partition, the target as a reference line), then the per-round table.
std::string RenderMnistReportHtml(const MnistResults& results);

// Writes results.json, rounds.csv and report.html into `dir` (created), each atomically. Errors
// name the file.
Status WriteMnistReport(const MnistResults& results, const std::filesystem::path& dir);

}  // namespace pancaim::scenarios
