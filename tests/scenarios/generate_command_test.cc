#include "pancaim/scenarios/generate_command.h"

#include <gtest/gtest.h>

#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

const std::string kShipped = std::string(PANCAIM_SOURCE_DIR) + "/scenarios/pdac-3-hospitals.json";

TEST(GenerateCommandTest, BuiltInScenarioTakesSitesAndPatients) {
  GenerateCommandOptions options;
  options.sites = 5;
  options.patients = 7;
  options.seed = 123;
  auto scenario = ResolveScenario(options);
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  EXPECT_EQ(scenario->cohort.sites.size(), 5u);
  EXPECT_EQ(scenario->cohort.sites[4].patients, 7);
  EXPECT_EQ(scenario->seed, 123u);
  EXPECT_EQ(scenario->document["seed"], 123);
}

TEST(GenerateCommandTest, FileScenarioOverrides) {
  GenerateCommandOptions options;
  options.scenario_path = kShipped;
  options.sites = 2;
  options.patients = 3;
  options.ct_format = "dicom";
  auto scenario = ResolveScenario(options);
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  ASSERT_EQ(scenario->cohort.sites.size(), 2u);
  EXPECT_EQ(scenario->document["cohort"]["sites"].size(), 2u);
  EXPECT_TRUE(scenario->cohort.sites[0].ct.dicom);
  EXPECT_EQ(scenario->document["cohort"]["sites"][1]["patients"], 3);
}

TEST(GenerateCommandTest, BadOptionsAreErrors) {
  GenerateCommandOptions options;
  options.scenario_path = kShipped;
  options.sites = 9;
  EXPECT_FALSE(ResolveScenario(options).ok());
  options = {};
  options.patients = 0;
  EXPECT_FALSE(ResolveScenario(options).ok());
  options = {};
  options.scenario_path = "/nonexistent/scenario.json";
  auto missing = ResolveScenario(options);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/scenario.json"), std::string::npos);
  EXPECT_FALSE(RunGenerateCommand({}).ok());  // no --out
}

}  // namespace
}  // namespace pancaim::scenarios
