// Shared by the fast scenario tests that run `pancaim-sim run` with the real coordinator and site
// agent processes: a tiny synthetic-cohort scenario (genomics-mlp, small CT volumes and slides so
// the cohort is written in seconds), the run itself, and the events of its results.json.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pancaim/common/files.h"
#include "pancaim/scenarios/operator_channel.h"
#include "pancaim/scenarios/process_supervisor.h"

namespace pancaim::scenarios::testing {

// The build's bin/ folder, holding pancaim-sim, pancaim-coordinator and pancaim-site.
inline std::filesystem::path BinDir() { return std::filesystem::path(PANCAIM_BINARY_DIR) / "bin"; }

// A scenario of `num_sites` (1..8) sites of `patients` patients each, named north, south, east,
// west, centre, harbour, valley, coast in that order, with a small pdac_detection FedAvg run; no
// baselines.
inline nlohmann::json TinyScenario(const std::string& name, int rounds, int min_sites,
                                   int deadline_s, int num_sites = 3, int patients = 24) {
  const char* names[] = {"north", "south", "east", "west", "centre", "harbour", "valley", "coast"};
  const double prevalence[] = {0.5, 0.35, 0.6, 0.45, 0.55, 0.4, 0.5, 0.6};
  EXPECT_TRUE(num_sites >= 1 && num_sites <= 8) << num_sites;
  nlohmann::json sites = nlohmann::json::array();
  for (int i = 0; i < num_sites && i < 8; ++i) {
    sites.push_back({{"name", names[i]},
                     {"patients", patients},
                     {"prevalence", prevalence[i]},
                     {"ct", {{"size", {16, 16, 8}}}},
                     {"slide", {{"size_px", 256}, {"tile_px", 64}}},
                     {"missing", {{"genomics", 0.1}}}});
  }
  return {{"name", name},
          {"seed", 11},
          {"cohort", {{"splits", {{"train", 0.6}, {"validation", 0.1}, {"test", 0.3}}},
                      {"sites", sites}}},
          {"federation",
           {{"task", "pdac_detection"},
            {"model", "genomics-mlp"},
            {"model_options", {{"clinical_features", 0}, {"hidden", {16}}}},
            {"strategy", "fedavg"},
            {"rounds", rounds},
            {"min_sites", min_sites},
            {"local_epochs", 1},
            {"batch_size", 8},
            {"learning_rate", 0.01},
            {"round_deadline_s", deadline_s},
            {"baselines", {{"local", false}, {"centralized", false}}}}}};
}

// Runs `pancaim-sim run SCENARIO --out DIR/out --no-progress --threads 2 EXTRA...` on
// `scenario` written to DIR/scenario.json, waiting at most `limit`. Returns results.json (null
// when the run failed, with the reason recorded as a test failure); `printed` receives the tail
// of pancaim-sim's output.
inline nlohmann::json RunScenario(const nlohmann::json& scenario, const std::filesystem::path& dir,
                                  std::string& printed,
                                  const std::vector<std::string>& extra_args = {},
                                  std::chrono::seconds limit = std::chrono::seconds(150)) {
  const std::filesystem::path file = dir / "scenario.json";
  EXPECT_TRUE(WriteFileAtomic(file, scenario.dump(2)).ok());
  const std::filesystem::path out = dir / "out";
  std::vector<std::string> args = {"run",           file.string(), "--out", out.string(),
                                   "--no-progress", "--threads",   "2"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  ProcessSupervisor supervisor;
  const std::filesystem::path log = dir / "pancaim-sim.log";
  EXPECT_TRUE(supervisor.Start({"pancaim-sim", BinDir() / "pancaim-sim", args, log, {}}).ok());
  std::vector<ChildExit> exits = supervisor.WaitForExits(limit);
  printed = LogTail(log, 80);
  if (exits.size() != 1 || !exits[0].success()) {
    ADD_FAILURE() << "pancaim-sim run failed or did not finish:\n"
                  << printed << "\ncoordinator log:\n"
                  << LogTail(out / "logs/coordinator.log", 30);
    return nullptr;
  }
  auto text = ReadFile(out / "results.json");
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? nlohmann::json::parse(text.value()) : nlohmann::json();
}

// Events of `kind` in results.json as (round, detail) pairs.
inline std::vector<std::pair<int, std::string>> Events(const nlohmann::json& results,
                                                       const std::string& kind) {
  std::vector<std::pair<int, std::string>> found;
  for (const nlohmann::json& event : results["events"]) {
    if (event["kind"] == kind) found.emplace_back(event["round"].get<int>(), event["detail"]);
  }
  return found;
}

}  // namespace pancaim::scenarios::testing
