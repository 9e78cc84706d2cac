// FedAvgSimulation: FedAvg (McMahan et al. 2017, Algorithm 1) run in one process over simulated
// clients, with the production pieces: local training is zoo::Train (as the site agent runs it),
// each client's result is encoded as safetensors (tensorio) and submitted to the coordinator's
// AggregationRound over its Aggregator (strategy "fedavg": sample-count-weighted mean), exactly as
// the coordinator's round state machine does with updates that arrive over the network. Only the
// transport is left out.
//
// Each round selects max(1, round(fraction * clients)) distinct clients with a generator seeded by
// (seed, round); client c in round r trains from the current global model with plain SGD (no
// momentum, as in the paper) for `epochs` epochs of batches of `batch_size`, seeded by
// (seed, round, c). With a fixed thread count a run is reproducible bit for bit.
//
// Owns the model, the client datasets and the aggregator. Not thread-safe; zoo::Train uses
// LibTorch's process-wide generator, so run one simulation per process at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/coordinator/aggregator.h"
#include "pancaim/coordinator/safetensors_buffer.h"
#include "pancaim/fedavg_bench/mnist_partition.h"
#include "pancaim/model_zoo/registry.h"
#include "pancaim/model_zoo/sample.h"
#include "pancaim/model_zoo/trainer.h"

namespace pancaim::fedavg_bench {

struct FedAvgOptions {
  std::string model = "mnist-cnn";
  double fraction = 0.1;  // C: fraction of clients selected per round
  std::int64_t epochs = 5;      // E
  std::int64_t batch_size = 10;  // B
  double learning_rate = 0.1;
  std::uint64_t seed = 2017;  // model init, client selection, local shuffling
  std::int64_t threads = 1;   // LibTorch intra-op threads for training and evaluation
  std::int64_t eval_batch_size = 1000;
  std::string run_id = "fedavg-mnist";
  // Asked before each client's local training; when it returns true the round stops with
  // Cancelled (Ctrl-C in `pancaim-sim run`). Empty: never stops.
  std::function<bool()> should_stop;
};

// What one round did.
struct RoundOutcome {
  std::int64_t round = 0;            // 1-based
  std::vector<int> selected;         // client indices, ascending
  double mean_train_loss = 0;        // sample-weighted mean of the clients' last-epoch losses
  double train_seconds = 0;          // local training of all selected clients
  double aggregate_seconds = 0;      // encoding, validation, folding and closing the round
};

class FedAvgSimulation {
 public:
  // `train` holds the training samples; `partition` lists each client's indices into it (every
  // client non-empty, indices in range). The global model is created from `options.model` with
  // init seed `options.seed`. Errors: InvalidArgument for a bad partition or option, and those of
  // CreateModel, ParseStrategySpec and Aggregator::Create.
  static StatusOr<std::unique_ptr<FedAvgSimulation>> Create(const FedAvgOptions& options,
                                                            const std::vector<zoo::Sample>& train,
                                                            const ClientPartition& partition);

  // The clients selected for `round` (1-based): deterministic in (seed, round), ascending.
  std::vector<int> SelectClients(std::int64_t round) const;

  // The local training options of `client` in `round`.
  zoo::TrainOptions ClientTrainOptions(std::int64_t round, int client) const;

  // Runs the next round: selected clients train from the global model and their updates are
  // aggregated into the next global model. Errors from training or from the aggregation round
  // (naming the client), and Cancelled from `should_stop`, leave the global model unchanged.
  StatusOr<RoundOutcome> RunRound();

  // Continues a run from a checkpoint: `global_model` (safetensors bytes, as global().bytes()
  // after round `rounds_done`) becomes the global model and the next RunRound is round
  // rounds_done + 1. Because selection and local training are derived from (seed, round, client)
  // and "fedavg" aggregation keeps no state between rounds, a simulation created with the same
  // options and partition then continues bit for bit as if it had run those rounds itself
  // (fedavg_checkpoint.h). Errors: InvalidArgument for rounds_done < 1; those of parsing the
  // bytes and of loading them into the model (a tensor missing or of another shape), which leave
  // the simulation unchanged.
  Status Restore(std::string global_model, std::int64_t rounds_done);

  // Accuracy of the current global model on `test` (labels required).
  StatusOr<double> Accuracy(const zoo::Dataset& test);

  // The current global model as the coordinator holds it (safetensors bytes).
  const coordinator::SafetensorsBuffer& global() const { return *global_; }
  const zoo::InMemoryDataset& client_data(int client) const { return clients_[client]; }
  int clients() const { return static_cast<int>(clients_.size()); }
  std::int64_t rounds_done() const { return rounds_done_; }
  const FedAvgOptions& options() const { return options_; }

 private:
  FedAvgSimulation(FedAvgOptions options, zoo::ZooModel model,
                   std::vector<zoo::InMemoryDataset> clients,
                   std::unique_ptr<coordinator::Aggregator> aggregator,
                   std::shared_ptr<const coordinator::SafetensorsBuffer> global);
  Status LoadGlobalIntoModel();
  static std::string ClientName(int client);

  FedAvgOptions options_;
  zoo::ZooModel model_;  // scratch model: each client's local copy in turn, and the evaluator
  std::vector<zoo::InMemoryDataset> clients_;
  std::unique_ptr<coordinator::Aggregator> aggregator_;
  std::shared_ptr<const coordinator::SafetensorsBuffer> global_;
  std::int64_t rounds_done_ = 0;
};

}  // namespace pancaim::fedavg_bench
