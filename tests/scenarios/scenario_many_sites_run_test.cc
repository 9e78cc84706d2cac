// A small, fast version of the `many-sites` scenario: `pancaim-sim run` with the real
// pancaim-coordinator and eight pancaim-site processes over mutual TLS on loopback, a tiny
// cohort and two FedAvg rounds of genomics-mlp that every site must answer (min_sites = 8).
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pancaim/common/files.h"
#include "test_paths.h"
#include "tiny_scenario.h"

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(ScenarioManySitesRunTest, EightSiteProcessesAllTakePart) {
  testing::TempDir dir;
  constexpr int kSites = 8;
  const json scenario = testing::TinyScenario("tiny-many-sites", /*rounds=*/2,
                                              /*min_sites=*/kSites, /*deadline_s=*/90, kSites,
                                              /*patients=*/12);
  std::string printed;
  const json results = testing::RunScenario(scenario, dir.path(), printed);
  ASSERT_TRUE(results.is_object()) << printed;
  EXPECT_NE(printed.find("coordinator and 8 site agents as separate processes"),
            std::string::npos)
      << printed;
  EXPECT_NE(printed.find("completed 2 rounds"), std::string::npos) << printed;

  ASSERT_EQ(results["rounds"].size(), 2u) << results["rounds"];
  for (const json& round : results["rounds"]) {
    EXPECT_EQ(round["sites_done"], kSites) << round;
    EXPECT_EQ(round["sites_selected"], kSites) << round;
  }
  EXPECT_TRUE(testing::Events(results, "site_excluded").empty()) << results["events"];
  const json& final_metric = results["rounds"][1]["metric"];
  EXPECT_TRUE(final_metric.is_number() && std::isfinite(final_metric.get<double>()))
      << results["rounds"];

  // Every site is in the results with its own data, and every agent process logged its work.
  ASSERT_EQ(results["sites"].size(), static_cast<std::size_t>(kSites));
  std::set<std::string> names;
  for (const json& site : results["sites"]) {
    names.insert(site["name"].get<std::string>());
    EXPECT_GT(site["train"].get<int>(), 0) << site;
    const fs::path log = dir.path() / "out" / "logs" / ("site-" + site["name"].get<std::string>() +
                                                        ".log");
    EXPECT_NE(LogTail(log, 200).find("round 2"), std::string::npos) << log;
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(kSites));
  EXPECT_TRUE(fs::exists(dir.path() / "out" / "report.html"));
  EXPECT_TRUE(fs::exists(dir.path() / "out" / "global_model.safetensors"));
}

}  // namespace
}  // namespace pancaim::scenarios
