// FedAvg checkpoints on a tiny synthetic MNIST: 3 rounds straight and 2 rounds + checkpoint +
// a new simulation resumed for 1 round give bit-identical global models and identical accuracies;
// differing settings, a torn state file, a missing or altered model file are refused with errors
// naming the field or file.
#include "pancaim/fedavg_bench/fedavg_checkpoint.h"

#include <filesystem>
#include <random>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "pancaim/common/files.h"
#include "pancaim/fedavg_bench/fedavg_simulation.h"
#include "pancaim/fedavg_bench/mnist_partition.h"

namespace pancaim::fedavg_bench {
namespace {

namespace fs = std::filesystem;

// `per_digit` images of each digit, brighter in a digit-dependent row band (learnable).
scenarios::LabeledImages SyntheticMnist(int per_digit, unsigned seed) {
  scenarios::LabeledImages images;
  images.count = 10 * per_digit;
  images.rows = images.cols = 28;
  std::mt19937 rng(seed);
  for (int digit = 0; digit < 10; ++digit) {
    for (int k = 0; k < per_digit; ++k) {
      images.labels.push_back(static_cast<std::uint8_t>(digit));
      for (int i = 0; i < 28 * 28; ++i) {
        const bool band = i / 28 / 3 == digit;
        images.pixels.push_back(static_cast<std::uint8_t>(rng() % 64 + (band ? 190 : 0)));
      }
    }
  }
  return images;
}

class FedAvgCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fedavg_checkpoint_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    const auto train_images = SyntheticMnist(4, 7);  // 40 images
    train_ = ToSamples(train_images, "s-");
    auto parts = PartitionPathological(train_images.labels, 5, 2, 3);
    ASSERT_TRUE(parts.ok()) << parts.status().ToString();
    partition_ = *parts;
    options_.fraction = 0.4;  // 2 of 5 clients per round
    options_.epochs = 1;
    options_.batch_size = 4;
    options_.learning_rate = 0.05;
    options_.threads = 1;
    options_.seed = 11;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<FedAvgSimulation> NewSimulation() {
    auto sim = FedAvgSimulation::Create(options_, train_, partition_);
    EXPECT_TRUE(sim.ok()) << sim.status().ToString();
    return sim.ok() ? std::move(*sim) : nullptr;
  }
  nlohmann::json Settings() const {
    return {{"partition", "pathological"}, {"clients", 5}, {"fraction", options_.fraction},
            {"epochs", options_.epochs},   {"batch_size", options_.batch_size},
            {"lr", options_.learning_rate}, {"seed", options_.seed}};
  }

  fs::path dir_;
  std::vector<zoo::Sample> train_;
  ClientPartition partition_;
  FedAvgOptions options_;
  zoo::InMemoryDataset test_{ToSamples(SyntheticMnist(2, 99), "t-")};
};

TEST_F(FedAvgCheckpointTest, ResumedRunIsBitIdenticalToUninterruptedRun) {
  // Uninterrupted: 3 rounds.
  auto straight = NewSimulation();
  ASSERT_NE(straight, nullptr);
  std::vector<double> straight_accuracy;
  for (int r = 0; r < 3; ++r) {
    ASSERT_TRUE(straight->RunRound().ok());
    auto accuracy = straight->Accuracy(test_);
    ASSERT_TRUE(accuracy.ok()) << accuracy.status().ToString();
    straight_accuracy.push_back(*accuracy);
  }

  // Interrupted: 2 rounds, a checkpoint after each, then a new simulation continues.
  nlohmann::json rounds = nlohmann::json::array();
  {
    auto first = NewSimulation();
    ASSERT_NE(first, nullptr);
    for (int r = 0; r < 2; ++r) {
      ASSERT_TRUE(first->RunRound().ok());
      auto accuracy = first->Accuracy(test_);
      ASSERT_TRUE(accuracy.ok());
      rounds.push_back({{"round", r + 1}, {"accuracy", *accuracy}});
      FedAvgCheckpoint checkpoint{Settings(), first->rounds_done(), rounds,
                                  first->global().bytes()};
      ASSERT_TRUE(WriteFedAvgCheckpoint(dir_, checkpoint).ok());
    }
  }
  // Only the latest model file is kept.
  EXPECT_TRUE(fs::exists(dir_ / "global-round-000002.safetensors"));
  EXPECT_FALSE(fs::exists(dir_ / "global-round-000001.safetensors"));

  auto read = ReadFedAvgCheckpoint(dir_);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_TRUE(CheckSameSettings(read->settings, Settings(), "state.json").ok());
  EXPECT_EQ(read->rounds_done, 2);
  ASSERT_EQ(read->rounds.size(), 2u);
  auto resumed = NewSimulation();
  ASSERT_NE(resumed, nullptr);
  ASSERT_TRUE(resumed->Restore(read->global_model, read->rounds_done).ok());
  auto outcome = resumed->RunRound();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->round, 3);
  auto accuracy = resumed->Accuracy(test_);
  ASSERT_TRUE(accuracy.ok());

  // Accuracies read back from JSON are the same doubles, and the final models the same bytes.
  EXPECT_EQ(read->rounds[0]["accuracy"].get<double>(), straight_accuracy[0]);
  EXPECT_EQ(read->rounds[1]["accuracy"].get<double>(), straight_accuracy[1]);
  EXPECT_EQ(*accuracy, straight_accuracy[2]);
  EXPECT_EQ(resumed->global().bytes(), straight->global().bytes());
  // The check is not trivial: the rounds changed the model.
  auto fresh = NewSimulation();
  EXPECT_NE(fresh->global().bytes(), straight->global().bytes());
}

TEST_F(FedAvgCheckpointTest, DifferentSettingsAreRefusedNamingTheField) {
  nlohmann::json now = Settings();
  now["lr"] = 0.1;
  const Status status = CheckSameSettings(Settings(), now, "ckpt/state.json");
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("'lr'"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("ckpt/state.json"), std::string::npos);

  now = Settings();
  now["train_limit"] = 100;
  EXPECT_NE(CheckSameSettings(Settings(), now, "s").message().find("'train_limit'"),
            std::string::npos);
  now = Settings();
  now.erase("seed");
  EXPECT_NE(CheckSameSettings(Settings(), now, "s").message().find("'seed'"), std::string::npos);
  now = Settings();
  now["epochs"] = 1.0;  // same number, other JSON type
  EXPECT_TRUE(CheckSameSettings(Settings(), now, "s").ok());
}

TEST_F(FedAvgCheckpointTest, MissingTornOrAlteredFilesGiveClearErrors) {
  auto missing = ReadFedAvgCheckpoint(dir_);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("state.json"), std::string::npos);
  EXPECT_FALSE(HasFedAvgCheckpoint(dir_));

  auto sim = NewSimulation();
  ASSERT_NE(sim, nullptr);
  FedAvgCheckpoint checkpoint{Settings(), 1, nlohmann::json::array(), sim->global().bytes()};
  ASSERT_TRUE(WriteFedAvgCheckpoint(dir_, checkpoint).ok());
  EXPECT_TRUE(HasFedAvgCheckpoint(dir_));
  auto state = ReadFile(dir_ / "state.json");
  ASSERT_TRUE(state.ok());

  // Torn: the state file cut in half.
  ASSERT_TRUE(WriteFileAtomic(dir_ / "state.json", state->substr(0, state->size() / 2)).ok());
  auto torn = ReadFedAvgCheckpoint(dir_);
  EXPECT_EQ(torn.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(torn.status().message().find("state.json"), std::string::npos);

  // A field missing.
  auto json = nlohmann::json::parse(*state);
  json.erase("rounds_done");
  ASSERT_TRUE(WriteFileAtomic(dir_ / "state.json", json.dump()).ok());
  auto no_field = ReadFedAvgCheckpoint(dir_);
  EXPECT_EQ(no_field.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(no_field.status().message().find("'rounds_done'"), std::string::npos);

  // The model file altered (still valid safetensors: another model), then removed.
  ASSERT_TRUE(WriteFileAtomic(dir_ / "state.json", *state).ok());
  ASSERT_TRUE(sim->RunRound().ok());
  ASSERT_TRUE(
      WriteFileAtomic(dir_ / "global-round-000001.safetensors", sim->global().bytes()).ok());
  auto altered = ReadFedAvgCheckpoint(dir_);
  EXPECT_EQ(altered.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(altered.status().message().find("SHA-256"), std::string::npos);
  fs::remove(dir_ / "global-round-000001.safetensors");
  auto no_model = ReadFedAvgCheckpoint(dir_);
  EXPECT_EQ(no_model.status().code(), StatusCode::kNotFound);
  EXPECT_NE(no_model.status().message().find("global-round-000001.safetensors"),
            std::string::npos);

  // Restore refuses bytes that are not a model of this architecture.
  EXPECT_FALSE(sim->Restore("not safetensors", 1).ok());
  EXPECT_FALSE(sim->Restore(sim->global().bytes(), 0).ok());
}

}  // namespace
}  // namespace pancaim::fedavg_bench
