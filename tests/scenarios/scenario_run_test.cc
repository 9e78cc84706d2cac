// A small, fast version of the main job: `pancaim-sim run` on three tiny sites, with the real
// pancaim-coordinator and three pancaim-site processes over mutual TLS on loopback, a 5-round
// FedAvg run submitted with `pancaim-coordinator submit`, the baselines, and the report.
// (Issue 4's "coordinator and three site agents as separate processes" check, and issue 7's
// fast scenario test.)
#include <cmath>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pancaim/common/files.h"
#include "pancaim/scenarios/operator_channel.h"
#include "pancaim/scenarios/process_supervisor.h"
#include "test_paths.h"
#include "tiny_scenario.h"

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Three tiny sites, 5 rounds of 2 local epochs that every site must answer, with baselines.
json TinyFederation() {
  json scenario = testing::TinyScenario("tiny-federation", /*rounds=*/5, /*min_sites=*/3,
                                        /*deadline_s=*/60);
  scenario["federation"]["local_epochs"] = 2;
  scenario["federation"].erase("baselines");  // both baselines (the default)
  return scenario;
}

bool IsNumber(const json& value) { return value.is_number() && std::isfinite(value.get<double>()); }

TEST(ScenarioRunTest, ThreeSiteFederationEndToEnd) {
  testing::TempDir dir;
  const fs::path scenario = dir.path() / "tiny.json";
  ASSERT_TRUE(WriteFileAtomic(scenario, TinyFederation().dump(2)).ok());
  const fs::path out = dir.path() / "out";
  ProcessSupervisor supervisor;
  const fs::path log = dir.path() / "pancaim-sim.log";
  ASSERT_TRUE(supervisor
                  .Start({"pancaim-sim", testing::BinDir() / "pancaim-sim",
                          {"run", scenario.string(), "--out", out.string(), "--no-progress",
                           "--threads", "2"},
                          log, {}})
                  .ok());
  std::vector<ChildExit> exits = supervisor.WaitForExits(std::chrono::seconds(150));
  ASSERT_EQ(exits.size(), 1u) << "pancaim-sim run did not finish in time:\n" << LogTail(log, 40);
  const std::string printed = LogTail(log, 60);
  if (!exits[0].success() && printed.find("is not available yet") != std::string::npos) {
    GTEST_SKIP() << "the site agent's `run` command is not built yet:\n" << printed;
  }
  ASSERT_TRUE(exits[0].success()) << exits[0].Describe() << "\n" << printed
                                  << "\ncoordinator log:\n"
                                  << LogTail(out / "logs/coordinator.log", 30);
  EXPECT_NE(printed.find("[5/6] federation"), std::string::npos) << printed;
  EXPECT_NE(printed.find("completed 5 rounds"), std::string::npos) << printed;

  for (const char* file : {"report.html", "results.json", "rounds.csv", "sites.csv",
                           "baselines.csv", "global_model.safetensors"}) {
    EXPECT_TRUE(fs::exists(out / file)) << file;
  }
  auto text = ReadFile(out / "results.json");
  ASSERT_TRUE(text.ok()) << text.status();
  const json results = json::parse(text.value());
  EXPECT_EQ(results["metric"], "auc");
  ASSERT_EQ(results["rounds"].size(), 5u);
  for (const json& round : results["rounds"]) {
    EXPECT_EQ(round["sites_done"], 3) << round;
    EXPECT_TRUE(IsNumber(round["train_loss"])) << round;
  }
  EXPECT_TRUE(IsNumber(results["rounds"][4]["metric"])) << results["rounds"];
  EXPECT_TRUE(IsNumber(results["baselines"]["local_mean"])) << results["baselines"];
  EXPECT_TRUE(IsNumber(results["baselines"]["centralized"])) << results["baselines"];
  ASSERT_EQ(results["sites"].size(), 3u);
  for (const json& site : results["sites"]) {
    EXPECT_GT(site["train"].get<int>(), 0) << site;
    EXPECT_GT(site["test"].get<int>(), 0) << site;
  }
  // Every site agent logged its rounds; no process outlived the run.
  for (const char* site : {"north", "south", "east"}) {
    EXPECT_NE(LogTail(out / "logs" / (std::string("site-") + site + ".log"), 200).find("round 4"),
              std::string::npos)
        << site;
  }
  auto report = ReadFile(out / "report.html");
  ASSERT_TRUE(report.ok());
  EXPECT_NE(report->find("<svg"), std::string::npos);
}

}  // namespace
}  // namespace pancaim::scenarios
