#include "pancaim/scenarios/run_results.h"

#include <gtest/gtest.h>

#include "pancaim/common/files.h"
#include "report_fixture.h"
#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

TEST(RunResultsTest, JsonRoundTripKeepsEveryNumber) {
  const RunResults original = testing::FixedResults();
  const nlohmann::json document = ResultsToJson(original);
  EXPECT_EQ(document["format"], kResultsFormat);
  EXPECT_TRUE(document["rounds"][4]["metric"].is_null());
  EXPECT_TRUE(document["sites"][2]["local_metric"].is_null());
  auto parsed = ResultsFromJson(document, "results.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(ResultsToJson(parsed.value()), document);
  EXPECT_FALSE(parsed->rounds[4].metric.has_value());
  EXPECT_DOUBLE_EQ(*parsed->baselines.centralized, 0.6789);
  EXPECT_DOUBLE_EQ(*parsed->survival->p_value, 0.0123);
  EXPECT_EQ(parsed->events[0].kind, "site_killed");
}

TEST(RunResultsTest, RefusesBrokenDocumentsNamingTheKey) {
  nlohmann::json document = ResultsToJson(testing::FixedResults());
  document["rounds"][2]["sites_done"] = "three";
  auto parsed = ResultsFromJson(document, "results.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("results.json"), std::string::npos);
  EXPECT_NE(parsed.status().message().find("rounds[2].sites_done"), std::string::npos);

  document = ResultsToJson(testing::FixedResults());
  document["format"] = "something-else/9";
  EXPECT_FALSE(ResultsFromJson(document, "r.json").ok());

  document = ResultsToJson(testing::FixedResults());
  document["survival"]["low"]["time"].push_back(30);
  auto mismatched = ResultsFromJson(document, "r.json");
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.status().message().find("survival.low"), std::string::npos);

  EXPECT_FALSE(ResultsFromJson(nlohmann::json::array(), "r.json").ok());
  document = ResultsToJson(testing::FixedResults());
  document.erase("sites");
  EXPECT_FALSE(ResultsFromJson(document, "r.json").ok());
}

TEST(RunResultsTest, WritesCsvOfEveryNumber) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteResultFiles(testing::FixedResults(), dir.path()).ok());
  auto rounds = ReadFile(dir.path() / "rounds.csv");
  ASSERT_TRUE(rounds.ok());
  EXPECT_EQ(rounds->substr(0, rounds->find('\n')),
            "round,metric,train_loss,sites_done,sites_selected,seconds");
  EXPECT_NE(rounds->find("\n5,,0.2,3,3,2.5\n"), std::string::npos) << *rounds;
  auto sites = ReadFile(dir.path() / "sites.csv");
  ASSERT_TRUE(sites.ok());
  EXPECT_NE(sites->find("community-south,28,6,6,12,9,37,18,26,20,0.5512,0.6401"),
            std::string::npos);
  EXPECT_NE(sites->find("referral-east,35,7,8,22,15,47,33,40,35,,0.6499"), std::string::npos);
  auto events = ReadFile(dir.path() / "events.csv");
  ASSERT_TRUE(events.ok());
  EXPECT_NE(events->find("site_killed,community-south <killed> & restarted"), std::string::npos);
  auto km = ReadFile(dir.path() / "km_curves.csv");
  ASSERT_TRUE(km.ok());
  EXPECT_NE(km->find("high,15,0.2"), std::string::npos);
  auto log_rank = ReadFile(dir.path() / "log_rank.csv");
  ASSERT_TRUE(log_rank.ok());
  EXPECT_NE(log_rank->find("0.42,13,13,6.27,0.0123"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "baselines.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "strategies.csv"));
  auto json_text = ReadFile(dir.path() / "results.json");
  ASSERT_TRUE(json_text.ok());
  EXPECT_TRUE(ResultsFromJson(nlohmann::json::parse(*json_text), "results.json").ok());
}

}  // namespace
}  // namespace pancaim::scenarios
