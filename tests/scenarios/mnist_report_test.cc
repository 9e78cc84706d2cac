// The fedavg-mnist results: JSON, CSV, the rounds-to-target line and the HTML report.
#include "pancaim/scenarios/mnist_report.h"

#include <gtest/gtest.h>

#include "pancaim/common/files.h"
#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

MnistResults TwoPartitions() {
  MnistResults r;
  r.scenario = "fedavg-mnist";
  r.model = "mnist-cnn";
  MnistPartitionRun iid{"iid", 100, 600, 10, 30, 2, true, {}};
  iid.rounds = {{1, 0.95, 0.3, 90, 2, 5, 97}, {2, 0.991, 0.1, 90, 2, 5, 194}};
  MnistPartitionRun non_iid{"pathological", 100, 600, 10, 3, std::nullopt, true, {}};
  non_iid.rounds = {{1, 0.5, 1.2, 90, 2, 5, 97},
                    {2, std::nullopt, 1.0, 90, 2, 0, 190},
                    {3, 0.8, 0.7, 90, 2, 5, 290}};
  r.partitions = {iid, non_iid};
  return r;
}

TEST(MnistReportTest, PaperFigures) {
  EXPECT_EQ(PaperRoundsTo99("iid"), 20);
  EXPECT_EQ(PaperRoundsTo99("pathological"), 229);
  EXPECT_FALSE(PaperRoundsTo99("dirichlet").has_value());
}

TEST(MnistReportTest, JsonAndCsvHoldEveryRound) {
  const MnistResults r = TwoPartitions();
  const nlohmann::json j = MnistResultsToJson(r);
  EXPECT_EQ(j["kind"], "fedavg-mnist");
  ASSERT_EQ(j["partitions"].size(), 2u);
  EXPECT_EQ(j["partitions"][0]["rounds_to_target"], 2);
  EXPECT_EQ(j["partitions"][0]["paper_rounds_to_99"], 20);
  EXPECT_TRUE(j["partitions"][1]["rounds_to_target"].is_null());
  EXPECT_DOUBLE_EQ(j["partitions"][1]["best_accuracy"].get<double>(), 0.8);
  EXPECT_TRUE(j["partitions"][1]["rounds"][1]["accuracy"].is_null());
  const std::string csv = MnistRoundsCsv(r);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 6);
  EXPECT_NE(csv.find("\npathological,2,,1,"), std::string::npos) << csv;
}

TEST(MnistReportTest, JsonRoundTripAndMalformedFiles) {
  const MnistResults r = TwoPartitions();
  auto back = MnistResultsFromJson(MnistResultsToJson(r), "results.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(MnistResultsToJson(*back), MnistResultsToJson(r));
  nlohmann::json broken = MnistResultsToJson(r);
  broken["partitions"][0].erase("rounds");
  auto bad = MnistResultsFromJson(broken, "results.json");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("results.json"), std::string::npos);
  EXPECT_FALSE(MnistResultsFromJson({{"kind", "other"}}, "x.json").ok());
}

TEST(MnistReportTest, RoundsToTargetNextToThePaper) {
  MnistResults r = TwoPartitions();
  EXPECT_EQ(RoundsToTargetLine(r, r.partitions[0]),
            "iid: 99% test accuracy in round 2 (paper: 20)");
  EXPECT_EQ(RoundsToTargetLine(r, r.partitions[1]),
            "pathological: 99% not reached within 3 rounds (best 0.8; paper: 229)");
  r.partitions[1].finished = false;
  EXPECT_NE(RoundsToTargetLine(r, r.partitions[1]).find("not reached so far, 3 rounds"),
            std::string::npos);
  const std::string html = RenderMnistReportHtml(r);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<td>229</td>"), std::string::npos);
  EXPECT_NE(html.find("not reached so far, 3 rounds"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST(MnistReportTest, WritesTheThreeFiles) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteMnistReport(TwoPartitions(), dir.path() / "out").ok());
  for (const char* file : {"results.json", "rounds.csv", "report.html"}) {
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "out" / file)) << file;
  }
}

}  // namespace
}  // namespace pancaim::scenarios
