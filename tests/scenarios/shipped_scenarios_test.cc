// The scenario files shipped in scenarios/ load and validate, and the federation checks refuse
// settings that cannot work.
#include <gtest/gtest.h>

#include "pancaim/scenarios/scenario_config.h"

namespace pancaim::scenarios {
namespace {

using nlohmann::json;

const std::string kDir = std::string(PANCAIM_SOURCE_DIR) + "/scenarios/";

TEST(ShippedScenariosTest, EveryFileValidates) {
  for (const char* name : {"pdac-3-hospitals", "many-sites", "faults", "byzantine",
                           "fedavg-mnist"}) {
    auto scenario = LoadScenarioConfig(kDir + name + ".json");
    ASSERT_TRUE(scenario.ok()) << name << ": " << scenario.status();
    EXPECT_EQ(scenario->name, name);
    EXPECT_FALSE(scenario->description.empty());
  }
}

TEST(ShippedScenariosTest, EachScenarioSaysWhatItShows) {
  auto many = LoadScenarioConfig(kDir + "many-sites.json");
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many->cohort.sites.size(), 30u);
  auto faults = LoadScenarioConfig(kDir + "faults.json");
  ASSERT_TRUE(faults.ok());
  EXPECT_EQ(faults->federation["faults"]["kill_site"], "site-b");
  EXPECT_GT(faults->federation["faults"]["kill_coordinator_at_round"].get<int>(), 0);
  EXPECT_EQ(faults->federation["faults"]["straggler_site"], "site-c");
  auto byzantine = LoadScenarioConfig(kDir + "byzantine.json");
  ASSERT_TRUE(byzantine.ok());
  EXPECT_EQ(byzantine->federation["attack"]["site"], "site-e");
  EXPECT_EQ(byzantine->federation["compare_strategies"].size(), 2u);
  auto mnist = LoadScenarioConfig(kDir + "fedavg-mnist.json");
  ASSERT_TRUE(mnist.ok());
  EXPECT_EQ(mnist->dataset_kind, "mnist");
  EXPECT_TRUE(mnist->cohort.sites.empty());
  EXPECT_EQ(mnist->dataset["mnist"]["clients"], 100);
  EXPECT_EQ(mnist->federation["sites_per_round"], 10);  // C = 0.1
  EXPECT_EQ(mnist->federation["local_epochs"], 5);
  EXPECT_EQ(mnist->federation["batch_size"], 10);
  EXPECT_EQ(mnist->federation["optimizer"], "sgd");  // the paper's plain SGD clients
  EXPECT_EQ(mnist->dataset["mnist"]["partitions"], nlohmann::json({"iid", "pathological"}));
}

json TwoSites() {
  return {{"cohort", {{"sites", {{{"name", "a"}}, {{"name", "b"}}}}}},
          {"federation", {{"min_sites", 2}}}};
}

std::string Error(const json& document) {
  auto parsed = ParseScenarioConfig(document, "s.json");
  return parsed.ok() ? "ok" : parsed.status().message();
}

TEST(ShippedScenariosTest, FederationChecksRefuseImpossibleSettings) {
  EXPECT_EQ(Error(TwoSites()), "ok");
  json doc = TwoSites();
  doc["federation"]["min_sites"] = 3;
  EXPECT_NE(Error(doc).find("'federation.min_sites': 3 is more than the 2 sites"),
            std::string::npos) << Error(doc);
  doc = TwoSites();
  doc["federation"]["sites_per_round"] = 1;
  EXPECT_NE(Error(doc).find("below federation.min_sites"), std::string::npos);
  doc = TwoSites();
  doc["federation"]["faults"] = {{"kill_site", "zeta"}, {"kill_site_at_round", 1}};
  EXPECT_NE(Error(doc).find("'zeta' is not a site"), std::string::npos);
  doc = TwoSites();
  doc["federation"]["faults"] = {{"kill_site", "a"}};
  EXPECT_NE(Error(doc).find("kill_site_at_round"), std::string::npos);
  doc = TwoSites();
  doc["federation"]["faults"] = {{"kill_coordinator_at_round", 99}};
  EXPECT_NE(Error(doc).find("after the last round"), std::string::npos);
  doc = TwoSites();
  doc["federation"]["attack"] = {{"site", "nobody"}};
  EXPECT_NE(Error(doc).find("'nobody' is not a site"), std::string::npos);
  doc = TwoSites();
  doc["federation"]["frobnicate"] = true;
  EXPECT_NE(Error(doc).find("frobnicate"), std::string::npos);
  EXPECT_NE(Error({{"cohort", {{"sites", json::array()}}}}).find("at least one site"),
            std::string::npos);
  EXPECT_NE(Error(json::object()).find("at least one site"), std::string::npos);
  // A cohort-only file (no federation section) keeps working with one site.
  EXPECT_EQ(Error({{"cohort", {{"sites", {{{"name", "solo"}}}}}}}), "ok");
}

}  // namespace
}  // namespace pancaim::scenarios
