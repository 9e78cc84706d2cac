// FedAvgSimulation and the MNIST partitions on a tiny synthetic MNIST: the simulated round's new
// global model must equal the sample-count-weighted mean of the clients' locally trained models
// computed by hand, and the partitions must have the paper's shape.
#include "pancaim/fedavg_bench/fedavg_simulation.h"

#include <memory>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "pancaim/fedavg_bench/mnist_partition.h"
#include "pancaim/tensorio/tensor_map.h"

namespace pancaim::fedavg_bench {
namespace {

// `per_digit` images of each digit; pixels random but brighter in a digit-dependent row band so
// the data is learnable.
scenarios::LabeledImages SyntheticMnist(int per_digit) {
  scenarios::LabeledImages images;
  images.count = 10 * per_digit;
  images.rows = images.cols = 28;
  std::mt19937 rng(7);
  for (int digit = 0; digit < 10; ++digit) {
    for (int k = 0; k < per_digit; ++k) {
      images.labels.push_back(static_cast<std::uint8_t>(digit));
      for (int y = 0; y < 28; ++y) {
        for (int x = 0; x < 28; ++x) {
          const bool band = y / 3 == digit;
          images.pixels.push_back(static_cast<std::uint8_t>(rng() % 64 + (band ? 190 : 0)));
        }
      }
    }
  }
  return images;
}

tensorio::TensorMap Decode(const coordinator::SafetensorsBuffer& buffer) {
  auto decoded = tensorio::DecodeSafetensors(std::make_shared<const std::string>(buffer.bytes()));
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  return decoded->tensors;
}

TEST(MnistPartitionTest, IidIsDisjointAndEqualSized) {
  auto parts = PartitionIid(103, 10, 1);
  ASSERT_TRUE(parts.ok());
  std::set<std::int64_t> seen;
  for (const auto& part : *parts) {
    EXPECT_EQ(part.size(), 10u);
    for (auto i : part) EXPECT_TRUE(seen.insert(i).second) << "index " << i << " twice";
  }
  EXPECT_FALSE(PartitionIid(5, 10, 1).ok());
}

TEST(MnistPartitionTest, PathologicalGivesEachClientTwoShardsOfSortedDigits) {
  const auto images = SyntheticMnist(/*per_digit=*/6);  // 60 images, 20 shards of 3
  auto parts = PartitionPathological(images.labels, 10, 2, 3);
  ASSERT_TRUE(parts.ok());
  std::set<std::int64_t> seen;
  for (const auto& part : *parts) {
    ASSERT_EQ(part.size(), 6u);
    std::set<int> digits;
    for (auto i : part) {
      EXPECT_TRUE(seen.insert(i).second);
      digits.insert(images.labels[i]);
    }
    EXPECT_LE(digits.size(), 2u);  // shards never straddle a digit here (6 per digit, shards of 3)
  }
  EXPECT_EQ(seen.size(), 60u);
  EXPECT_FALSE(PartitionPathological(images.labels, 40, 2, 3).ok());
  EXPECT_FALSE(ParsePartitionKind("dirichlet").ok());
}

TEST(FedAvgSimulationTest, SelectionIsSeededDistinctAndSized) {
  const auto samples = ToSamples(SyntheticMnist(2), "s-");
  ClientPartition partition;
  for (int c = 0; c < 20; ++c) partition.push_back({c});
  FedAvgOptions options;
  options.fraction = 0.25;
  auto sim = FedAvgSimulation::Create(options, samples, partition);
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  const auto a = (*sim)->SelectClients(3);
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(std::set<int>(a.begin(), a.end()).size(), 5u);
  EXPECT_EQ(a, (*sim)->SelectClients(3));
  EXPECT_NE(a, (*sim)->SelectClients(4));
}

TEST(FedAvgSimulationTest, RoundEqualsWeightedMeanOfLocallyTrainedModels) {
  const auto samples = ToSamples(SyntheticMnist(3), "s-");  // 30 samples
  // Unequal client sizes so that the weighting matters.
  ClientPartition partition = {{0, 3, 6, 9, 12, 15, 18}, {1, 4, 7, 10, 13, 16, 19, 21, 24, 27, 29, 2},
                               {5, 11, 17, 23, 28}};
  FedAvgOptions options;
  options.fraction = 1.0;
  options.epochs = 1;
  options.batch_size = 4;
  options.learning_rate = 0.05;
  options.threads = 1;
  auto created = FedAvgSimulation::Create(options, samples, partition);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  FedAvgSimulation& sim = **created;
  const tensorio::TensorMap initial = Decode(sim.global());

  auto outcome = sim.RunRound();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->round, 1);
  EXPECT_EQ(outcome->selected, (std::vector<int>{0, 1, 2}));
  const tensorio::TensorMap global = Decode(sim.global());

  // By hand: each client trains its own copy of the initial model; mean weighted by sample count.
  tensorio::TensorMap expected;
  double total = 0;
  for (int c = 0; c < 3; ++c) {
    auto model = zoo::CreateModel("mnist-cnn");
    ASSERT_TRUE(model.ok());
    ASSERT_TRUE(tensorio::LoadStateDict(*model->module, initial).ok());
    ASSERT_TRUE(zoo::Train(*model, sim.client_data(c), sim.ClientTrainOptions(1, c)).ok());
    const double weight = static_cast<double>(partition[c].size());
    total += weight;
    for (const auto& [name, tensor] : tensorio::StateDict(*model->module)) {
      torch::Tensor scaled = tensor.to(torch::kFloat64) * weight;
      expected[name] = expected.count(name) ? expected[name] + scaled : scaled;
    }
  }
  ASSERT_EQ(expected.size(), global.size());
  for (const auto& [name, sum] : expected) {
    const torch::Tensor mean = sum / total;
    const torch::Tensor got = global.at(name).to(torch::kFloat64);
    EXPECT_LT((got - mean).abs().max().item<double>(), 1e-6) << name;
    // The round changed the model (so the comparison is not trivially initial == initial).
    EXPECT_GT((got - initial.at(name).to(torch::kFloat64)).abs().max().item<double>(), 1e-6)
        << name;
  }

  // A second round and an evaluation run end to end.
  ASSERT_TRUE(sim.RunRound().ok());
  EXPECT_EQ(sim.rounds_done(), 2);
  zoo::InMemoryDataset test(ToSamples(SyntheticMnist(1), "t-"));
  auto accuracy = sim.Accuracy(test);
  ASSERT_TRUE(accuracy.ok()) << accuracy.status().ToString();
  EXPECT_GE(*accuracy, 0.0);
  EXPECT_LE(*accuracy, 1.0);
}

TEST(FedAvgSimulationTest, RefusesBadPartitionAndOptions) {
  const auto samples = ToSamples(SyntheticMnist(1), "s-");
  FedAvgOptions options;
  EXPECT_FALSE(FedAvgSimulation::Create(options, samples, {{0}, {}}).ok());
  EXPECT_FALSE(FedAvgSimulation::Create(options, samples, {{0}, {99}}).ok());
  options.fraction = 0;
  EXPECT_FALSE(FedAvgSimulation::Create(options, samples, {{0}}).ok());
}

}  // namespace
}  // namespace pancaim::fedavg_bench
