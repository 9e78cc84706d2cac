#include "pancaim/fedavg_bench/fedavg_simulation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <utility>

#include <torch/torch.h>

#include "pancaim/coordinator/aggregation_round.h"
#include "pancaim/coordinator/strategy_spec.h"
#include "pancaim/model_zoo/evaluate.h"
#include "pancaim/tensorio/tensor_map.h"

namespace pancaim::fedavg_bench {
namespace {

// Mixes seed parts into one seed (splitmix64 finaliser), so nearby rounds and clients get
// unrelated streams.
std::uint64_t MixSeed(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0) {
  std::uint64_t x = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xBF58476D1CE4E5B9ull ^
                    (c + 0x94D049BB133111EBull) * 0x94D049BB133111EBull;
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

StatusOr<std::shared_ptr<const coordinator::SafetensorsBuffer>> EncodeModel(
    const zoo::ZooModel& model, std::string_view source) {
  PANCAIM_ASSIGN_OR_RETURN(std::string bytes,
                           tensorio::EncodeSafetensors(tensorio::StateDict(*model.module)));
  PANCAIM_ASSIGN_OR_RETURN(coordinator::SafetensorsBuffer buffer,
                           coordinator::SafetensorsBuffer::FromBytes(std::move(bytes), source));
  return std::make_shared<const coordinator::SafetensorsBuffer>(std::move(buffer));
}

}  // namespace

FedAvgSimulation::FedAvgSimulation(FedAvgOptions options, zoo::ZooModel model,
                                   std::vector<zoo::InMemoryDataset> clients,
                                   std::unique_ptr<coordinator::Aggregator> aggregator,
                                   std::shared_ptr<const coordinator::SafetensorsBuffer> global)
    : options_(std::move(options)),
      model_(std::move(model)),
      clients_(std::move(clients)),
      aggregator_(std::move(aggregator)),
      global_(std::move(global)) {}

StatusOr<std::unique_ptr<FedAvgSimulation>> FedAvgSimulation::Create(
    const FedAvgOptions& options, const std::vector<zoo::Sample>& train,
    const ClientPartition& partition) {
  if (partition.empty()) return InvalidArgumentError("fedavg: no clients");
  if (!(options.fraction > 0 && options.fraction <= 1)) {
    return InvalidArgumentError("fedavg: fraction must be in (0, 1], got " +
                                std::to_string(options.fraction));
  }
  if (options.epochs < 1 || options.batch_size < 1 || options.threads < 1 ||
      options.eval_batch_size < 1 || !(options.learning_rate > 0)) {
    return InvalidArgumentError(
        "fedavg: epochs, batch size, threads, eval batch size and learning rate must be positive");
  }
  std::vector<zoo::InMemoryDataset> clients;
  clients.reserve(partition.size());
  for (std::size_t c = 0; c < partition.size(); ++c) {
    if (partition[c].empty()) {
      return InvalidArgumentError("fedavg: client " + std::to_string(c) + " has no samples");
    }
    std::vector<zoo::Sample> samples;
    samples.reserve(partition[c].size());
    for (std::int64_t index : partition[c]) {
      if (index < 0 || index >= static_cast<std::int64_t>(train.size())) {
        return InvalidArgumentError("fedavg: client " + std::to_string(c) + " has sample index " +
                                    std::to_string(index) + " outside the training set");
      }
      samples.push_back(train[index]);  // shares the image tensor
    }
    clients.emplace_back(std::move(samples));
  }
  torch::set_num_threads(static_cast<int>(options.threads));
  PANCAIM_ASSIGN_OR_RETURN(zoo::ZooModel model,
                           zoo::CreateModel(options.model, nlohmann::json::object(), options.seed));
  PANCAIM_ASSIGN_OR_RETURN(coordinator::StrategySpec spec,
                           coordinator::ParseStrategySpec("fedavg", nlohmann::json::object()));
  PANCAIM_ASSIGN_OR_RETURN(std::unique_ptr<coordinator::Aggregator> aggregator,
                           coordinator::Aggregator::Create(spec));
  PANCAIM_ASSIGN_OR_RETURN(auto global, EncodeModel(model, "initial global model"));
  return std::unique_ptr<FedAvgSimulation>(new FedAvgSimulation(
      options, std::move(model), std::move(clients), std::move(aggregator), std::move(global)));
}

std::vector<int> FedAvgSimulation::SelectClients(std::int64_t round) const {
  const int n = clients();
  const int m = std::clamp(static_cast<int>(std::lround(options_.fraction * n)), 1, n);
  std::vector<int> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(MixSeed(options_.seed, static_cast<std::uint64_t>(round)));
  for (int i = 0; i < m; ++i) {  // partial Fisher-Yates: the first m are a uniform sample
    const int j = i + static_cast<int>(rng() % static_cast<std::uint64_t>(n - i));
    std::swap(order[i], order[j]);
  }
  order.resize(static_cast<std::size_t>(m));
  std::sort(order.begin(), order.end());
  return order;
}

zoo::TrainOptions FedAvgSimulation::ClientTrainOptions(std::int64_t round, int client) const {
  zoo::TrainOptions o;
  o.epochs = options_.epochs;
  o.batch_size = options_.batch_size;
  o.shuffle = true;
  o.optimizer = "sgd";
  o.learning_rate = options_.learning_rate;
  o.momentum = 0.0;  // the paper's ClientUpdate is plain SGD
  o.seed = MixSeed(options_.seed, static_cast<std::uint64_t>(round),
                   static_cast<std::uint64_t>(client) + 1);
  o.device = "cpu";
  o.threads = options_.threads;
  return o;
}

std::string FedAvgSimulation::ClientName(int client) {
  char name[32];
  std::snprintf(name, sizeof(name), "client-%03d", client);
  return name;
}

Status FedAvgSimulation::LoadGlobalIntoModel() {
  auto bytes = std::make_shared<const std::string>(global_->bytes());
  PANCAIM_ASSIGN_OR_RETURN(tensorio::DecodedTensors decoded,
                           tensorio::DecodeSafetensors(std::move(bytes)));
  return tensorio::LoadStateDict(*model_.module, decoded.tensors);
}

StatusOr<RoundOutcome> FedAvgSimulation::RunRound() {
  RoundOutcome outcome;
  outcome.round = rounds_done_ + 1;
  outcome.selected = SelectClients(outcome.round);

  coordinator::AggregationRoundOptions round_options;
  for (int c : outcome.selected) round_options.selected_sites.insert(ClientName(c));
  coordinator::RoundKey key{options_.run_id, outcome.round, global_->Sha256()};
  PANCAIM_ASSIGN_OR_RETURN(
      std::unique_ptr<coordinator::AggregationRound> round,
      coordinator::AggregationRound::Open(key, global_, aggregator_.get(), round_options));

  double loss_sum = 0, weight_sum = 0;
  for (int c : outcome.selected) {
    if (options_.should_stop && options_.should_stop()) {
      return CancelledError("fedavg: stopped before round " + std::to_string(outcome.round) +
                            " finished");
    }
    const std::string name = ClientName(c);
    auto start = std::chrono::steady_clock::now();
    PANCAIM_RETURN_IF_ERROR(LoadGlobalIntoModel());
    auto trained = zoo::Train(model_, clients_[c], ClientTrainOptions(outcome.round, c));
    if (!trained.ok()) return trained.status().WithContext(name + " round " +
                                                           std::to_string(outcome.round));
    outcome.train_seconds += SecondsSince(start);
    start = std::chrono::steady_clock::now();
    PANCAIM_ASSIGN_OR_RETURN(std::string payload,
                             tensorio::EncodeSafetensors(tensorio::StateDict(*model_.module)));
    coordinator::UpdateEnvelope envelope;
    envelope.site_id = name;
    envelope.run_id = options_.run_id;
    envelope.round = outcome.round;
    envelope.base_model_sha256 = key.base_model_sha256;
    envelope.sample_count = static_cast<double>(clients_[c].Size());
    envelope.payload = payload;
    PANCAIM_RETURN_IF_ERROR(round->Submit(envelope).status());
    outcome.aggregate_seconds += SecondsSince(start);
    loss_sum += trained->final_loss * envelope.sample_count;
    weight_sum += envelope.sample_count;
  }
  const auto start = std::chrono::steady_clock::now();
  PANCAIM_ASSIGN_OR_RETURN(coordinator::SafetensorsBuffer next, round->Close());
  global_ = std::make_shared<const coordinator::SafetensorsBuffer>(std::move(next));
  outcome.aggregate_seconds += SecondsSince(start);
  outcome.mean_train_loss = loss_sum / weight_sum;
  rounds_done_ = outcome.round;
  return outcome;
}

Status FedAvgSimulation::Restore(std::string global_model, std::int64_t rounds_done) {
  if (rounds_done < 1) {
    return InvalidArgumentError("fedavg: restored rounds_done must be >= 1, got " +
                                std::to_string(rounds_done));
  }
  PANCAIM_ASSIGN_OR_RETURN(coordinator::SafetensorsBuffer buffer,
                           coordinator::SafetensorsBuffer::FromBytes(std::move(global_model),
                                                                     "restored global model"));
  auto restored = std::make_shared<const coordinator::SafetensorsBuffer>(std::move(buffer));
  std::swap(global_, restored);
  if (Status loaded = LoadGlobalIntoModel(); !loaded.ok()) {
    std::swap(global_, restored);
    return loaded.WithContext("restored global model");
  }
  rounds_done_ = rounds_done;
  return Status::Ok();
}

StatusOr<double> FedAvgSimulation::Accuracy(const zoo::Dataset& test) {
  PANCAIM_RETURN_IF_ERROR(LoadGlobalIntoModel());
  zoo::EvalOptions eval;
  eval.batch_size = options_.eval_batch_size;
  eval.device = "cpu";
  PANCAIM_ASSIGN_OR_RETURN(zoo::EvalReport report, zoo::Evaluate(model_, test, eval));
  const auto it = report.metrics.find("accuracy");
  if (it == report.metrics.end()) {
    return FailedPreconditionError("fedavg: evaluation of " + options_.model +
                                   " reported no accuracy");
  }
  return it->second;
}

}  // namespace pancaim::fedavg_bench
