#include "pancaim/fedavg_bench/mnist_partition.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <string>

#include <torch/torch.h>

namespace pancaim::fedavg_bench {
namespace {

// Fisher-Yates with an explicit generator so that the result is the same on every standard
// library (std::shuffle's use of the generator is implementation-defined).
template <typename T>
void SeededShuffle(std::vector<T>& values, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (std::size_t i = values.size(); i > 1; --i) {
    const std::size_t j = rng() % i;
    std::swap(values[i - 1], values[j]);
  }
}

}  // namespace

StatusOr<PartitionKind> ParsePartitionKind(std::string_view name) {
  if (name == "iid") return PartitionKind::kIid;
  if (name == "pathological") return PartitionKind::kPathological;
  return InvalidArgumentError("partition: '" + std::string(name) +
                              "' is not one of iid, pathological");
}

StatusOr<ClientPartition> PartitionIid(std::int64_t n, int clients, std::uint64_t seed) {
  if (clients < 1 || n < clients) {
    return InvalidArgumentError("iid partition: cannot split " + std::to_string(n) +
                                " samples over " + std::to_string(clients) + " clients");
  }
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  SeededShuffle(order, seed);
  const std::int64_t per_client = n / clients;
  ClientPartition parts(static_cast<std::size_t>(clients));
  for (int c = 0; c < clients; ++c) {
    const auto begin = order.begin() + c * per_client;
    parts[c].assign(begin, begin + per_client);
  }
  return parts;
}

StatusOr<ClientPartition> PartitionPathological(const std::vector<std::uint8_t>& labels,
                                                int clients, int shards_per_client,
                                                std::uint64_t seed) {
  const std::int64_t n = static_cast<std::int64_t>(labels.size());
  const std::int64_t shards = static_cast<std::int64_t>(clients) * shards_per_client;
  if (clients < 1 || shards_per_client < 1 || n < shards) {
    return InvalidArgumentError("pathological partition: cannot cut " + std::to_string(n) +
                                " samples into " + std::to_string(clients) + " clients x " +
                                std::to_string(shards_per_client) + " shards");
  }
  std::vector<std::int64_t> sorted(static_cast<std::size_t>(n));
  std::iota(sorted.begin(), sorted.end(), std::int64_t{0});
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](std::int64_t a, std::int64_t b) { return labels[a] < labels[b]; });
  std::vector<std::int64_t> shard_ids(static_cast<std::size_t>(shards));
  std::iota(shard_ids.begin(), shard_ids.end(), std::int64_t{0});
  SeededShuffle(shard_ids, seed);
  const std::int64_t shard_size = n / shards;
  ClientPartition parts(static_cast<std::size_t>(clients));
  for (std::int64_t s = 0; s < shards; ++s) {
    auto& part = parts[s / shards_per_client];
    const auto begin = sorted.begin() + shard_ids[s] * shard_size;
    part.insert(part.end(), begin, begin + shard_size);
  }
  return parts;
}

std::vector<zoo::Sample> ToSamples(const scenarios::LabeledImages& images, std::string_view prefix,
                                   std::int64_t limit) {
  std::int64_t count = images.count;
  if (limit > 0) count = std::min(count, limit);
  const std::int64_t rows = images.rows, cols = images.cols;
  // One contiguous float tensor; each sample views its slice (tensors are reference-counted).
  torch::Tensor all =
      torch::from_blob(const_cast<std::uint8_t*>(images.pixels.data()), {count, 1, rows, cols},
                       torch::kUInt8)
          .to(torch::kFloat32)
          .div_(255.0);
  std::vector<zoo::Sample> samples(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    samples[i].patient_id = std::string(prefix) + std::to_string(i);
    samples[i].image = all[i];
    samples[i].labels.label = images.labels[i];
  }
  return samples;
}

}  // namespace pancaim::fedavg_bench
