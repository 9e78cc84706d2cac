// A small, fast version of the `fedavg-mnist` scenario: `pancaim-sim run` on tiny MNIST-format IDX
// files written by the test (200 training and 100 test images of 28x28), 4 clients, 2 per round,
// 2 rounds, IID and pathological non-IID, with the folder given by --mnist-dir. Checks
// results.json, rounds.csv and report.html (rounds to 99% next to the paper's Table 2).
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pancaim/common/files.h"
#include "test_paths.h"
#include "tiny_scenario.h"

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// An unsigned-byte IDX file: magic 0x00000803 (images) or 0x00000801 (labels), big-endian sizes.
std::string Idx(const std::vector<std::uint32_t>& dims, const std::vector<std::uint8_t>& data) {
  std::string out = {0, 0, 8, static_cast<char>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(d >> shift));
  }
  return out + std::string(data.begin(), data.end());
}

// `count` learnable 28x28 "digits" (a bright row band whose position is the digit, over noise).
// A `mislabelled` share of them gets a wrong label, so no model reaches 99% on them.
void WriteSplit(const fs::path& dir, const std::string& prefix, int count, double mislabelled,
                unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> pixels, labels;
  for (int i = 0; i < count; ++i) {
    const int digit = i % 10;
    for (int y = 0; y < 28; ++y) {
      for (int x = 0; x < 28; ++x) {
        pixels.push_back(static_cast<std::uint8_t>(rng() % 64 + (y / 3 == digit ? 190 : 0)));
      }
    }
    const bool wrong = (rng() % 1000) < mislabelled * 1000;
    labels.push_back(static_cast<std::uint8_t>(wrong ? (digit + 1 + rng() % 9) % 10 : digit));
  }
  const auto n = static_cast<std::uint32_t>(count);
  ASSERT_TRUE(WriteFileAtomic(dir / (prefix + "-images-idx3-ubyte"), Idx({n, 28, 28}, pixels)).ok());
  ASSERT_TRUE(WriteFileAtomic(dir / (prefix + "-labels-idx1-ubyte"), Idx({n}, labels)).ok());
}

json TinyMnistScenario() {
  return {{"name", "tiny-fedavg-mnist"},
          {"seed", 5},
          {"dataset",
           {{"kind", "mnist"},
            {"mnist",
             {{"dir", "no-such-folder"},  // --mnist-dir overrides it
              {"partitions", {"iid", "pathological"}},
              {"clients", 4},
              {"shards_per_client", 2},
              {"target_accuracy", 0.99}}}}},
          {"federation",
           {{"task", "digit_classification"},
            {"model", "mnist-cnn"},
            {"strategy", "fedavg"},
            {"optimizer", "sgd"},
            {"rounds", 2},
            {"min_sites", 2},
            {"sites_per_round", 2},
            {"local_epochs", 1},
            {"batch_size", 10},
            {"learning_rate", 0.05},
            {"baselines", {{"local", false}, {"centralized", false}}}}}};
}

TEST(ScenarioMnistRunTest, IidAndNonIidReportedNextToThePaper) {
  testing::TempDir dir;
  const fs::path idx = dir.path() / "idx";
  fs::create_directories(idx);
  WriteSplit(idx, "train", 200, 0.0, 1);
  WriteSplit(idx, "t10k", 100, 0.3, 2);
  std::string printed;
  const json results = testing::RunScenario(TinyMnistScenario(), dir.path(), printed,
                                            {"--mnist-dir", idx.string()});
  ASSERT_TRUE(results.is_object()) << printed;
  EXPECT_NE(printed.find("200 training and 100 test images of 28x28"), std::string::npos)
      << printed;
  EXPECT_NE(printed.find("from --mnist-dir"), std::string::npos) << printed;
  EXPECT_NE(printed.find("in one process"), std::string::npos) << printed;

  EXPECT_EQ(results["kind"], "fedavg-mnist");
  EXPECT_EQ(results["model"], "mnist-cnn");
  EXPECT_DOUBLE_EQ(results["fraction"].get<double>(), 0.5);
  EXPECT_EQ(results["train_images"], 200);
  EXPECT_EQ(results["test_images"], 100);
  ASSERT_EQ(results["partitions"].size(), 2u);
  const char* names[] = {"iid", "pathological"};
  const int paper[] = {20, 229};
  for (int p = 0; p < 2; ++p) {
    const json& run = results["partitions"][p];
    EXPECT_EQ(run["partition"], names[p]);
    EXPECT_EQ(run["clients"], 4);
    EXPECT_EQ(run["samples_per_client"], 50);
    EXPECT_EQ(run["clients_per_round"], 2);
    EXPECT_EQ(run["paper_rounds_to_99"], paper[p]);
    EXPECT_TRUE(run["finished"].get<bool>());
    EXPECT_TRUE(run["rounds_to_target"].is_null()) << run;  // 30% of the test labels are wrong
    ASSERT_EQ(run["rounds"].size(), 2u) << run;  // federation.rounds caps the run
    for (const json& round : run["rounds"]) {
      ASSERT_TRUE(round["accuracy"].is_number()) << round;
      EXPECT_GE(round["accuracy"].get<double>(), 0.0);
      EXPECT_LE(round["accuracy"].get<double>(), 1.0);
      EXPECT_TRUE(round["train_loss"].is_number()) << round;
    }
  }
  // The IID clients see every digit: their model beats chance (10%) after two rounds.
  EXPECT_GT(results["partitions"][0]["rounds"][1]["accuracy"].get<double>(), 0.2);

  auto csv = ReadFile(dir.path() / "out" / "rounds.csv");
  ASSERT_TRUE(csv.ok()) << csv.status();
  EXPECT_EQ(csv->rfind("partition,round,accuracy,", 0), 0u) << *csv;
  EXPECT_EQ(std::count(csv->begin(), csv->end(), '\n'), 5) << *csv;
  EXPECT_NE(csv->find("\npathological,2,"), std::string::npos) << *csv;
  auto report = ReadFile(dir.path() / "out" / "report.html");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_NE(report->find("<svg"), std::string::npos);
  EXPECT_NE(report->find("McMahan et al. 2017, Table 2"), std::string::npos);
  EXPECT_NE(report->find("<td>229</td>"), std::string::npos);
  EXPECT_NE(report->find("not reached within 2 rounds"), std::string::npos);
  EXPECT_NE(printed.find("iid: 99% not reached within 2 rounds"), std::string::npos) << printed;
}

}  // namespace
}  // namespace pancaim::scenarios
