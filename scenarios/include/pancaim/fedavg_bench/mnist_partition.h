// MNIST for the FedAvg reproduction (McMahan et al. 2017, section 3): conversion of the IDX images
// into zoo samples, and the paper's two ways of splitting the 60,000 training images over clients:
// IID (a seeded shuffle dealt out in equal parts) and pathological non-IID (the images sorted by
// digit, cut into clients x shards_per_client equal shards, each client given shards_per_client
// shards drawn at random, so most clients see only two digits).
//
// Plain functions on values; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/model_zoo/sample.h"
#include "pancaim/scenarios/idx_reader.h"

namespace pancaim::fedavg_bench {

// Indices into the training set, one list per client.
using ClientPartition = std::vector<std::vector<std::int64_t>>;

enum class PartitionKind { kIid, kPathological };

// "iid" or "pathological"; InvalidArgument naming the value otherwise.
StatusOr<PartitionKind> ParsePartitionKind(std::string_view name);

// Shuffles 0..n-1 with `seed` and deals it into `clients` parts of n / clients samples each (the
// remainder is left out, as in the paper's 600 per client). InvalidArgument when clients < 1 or
// n < clients.
StatusOr<ClientPartition> PartitionIid(std::int64_t n, int clients, std::uint64_t seed);

// Sorts the indices by label (stable), cuts them into clients * shards_per_client shards of equal
// size (remainder left out) and gives each client shards_per_client shards chosen by a seeded
// shuffle. InvalidArgument when a count is < 1 or there are fewer samples than shards.
StatusOr<ClientPartition> PartitionPathological(const std::vector<std::uint8_t>& labels,
                                                int clients, int shards_per_client,
                                                std::uint64_t seed);

// The first `limit` images (all when limit <= 0) as zoo samples: image float32 [1, rows, cols] with
// pixels scaled to [0, 1], label the digit, patient_id `prefix` + index.
std::vector<zoo::Sample> ToSamples(const scenarios::LabeledImages& images, std::string_view prefix,
                                   std::int64_t limit = 0);

}  // namespace pancaim::fedavg_bench
