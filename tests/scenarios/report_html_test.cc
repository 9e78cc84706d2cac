#include "pancaim/scenarios/report_html.h"

#include <algorithm>
#include <regex>
#include <vector>

#include <gtest/gtest.h>

#include "pancaim/common/files.h"
#include "report_fixture.h"
#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

// Checks that every element is closed in order (void elements and self-closing tags aside) and
// returns the first problem, or "" when balanced.
std::string TagBalanceProblem(const std::string& html) {
  static const std::regex tag(R"(<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>)");
  const std::vector<std::string> void_elements = {"meta", "br", "hr", "img", "input", "link"};
  std::vector<std::string> open;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), tag); it != std::sregex_iterator();
       ++it) {
    const std::string name = (*it)[2];
    if ((*it)[3] == "/" ||
        std::find(void_elements.begin(), void_elements.end(), name) != void_elements.end()) {
      continue;
    }
    if ((*it)[1] == "/") {
      if (open.empty() || open.back() != name) {
        return "unexpected </" + name + "> (open: " + (open.empty() ? "none" : open.back()) + ")";
      }
      open.pop_back();
    } else {
      open.push_back(name);
    }
  }
  return open.empty() ? "" : "unclosed <" + open.back() + ">";
}

int Count(const std::string& text, const std::string& needle) {
  int count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

TEST(ReportHtmlTest, FixedResultsRenderEveryPlotAndNumber) {
  const std::string html = RenderReportHtml(testing::FixedResults());
  EXPECT_EQ(TagBalanceProblem(html), "");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // Metric per round, per-site bars, loss, Kaplan–Meier, strategies, timings.
  EXPECT_EQ(Count(html, "<svg "), 6);
  for (const char* id : {"metric-per-round", "per-site", "training-loss", "kaplan-meier",
                         "log-rank", "strategies", "events", "data-summary", "timings"}) {
    EXPECT_NE(html.find("id=\"" + std::string(id) + "\""), std::string::npos) << id;
  }
  for (const char* number : {"0.5817", "0.6789", "0.6123", "0.6543", "0.0123", "6.27", "0.6432",
                             "academic-north", "community-south", "referral-east"}) {
    EXPECT_NE(html.find(number), std::string::npos) << number;
  }
  EXPECT_NE(html.find("local (mean)"), std::string::npos);
  EXPECT_NE(html.find("pooled"), std::string::npos);
  // Event text is escaped, not interpreted.
  EXPECT_NE(html.find("community-south &lt;killed&gt; &amp; restarted"), std::string::npos);
  EXPECT_EQ(html.find("<killed>"), std::string::npos);
  // Self-contained: nothing fetched.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
}

TEST(ReportHtmlTest, MissingSectionsSaySoInsteadOfEmptyPlots) {
  RunResults results = testing::FixedResults();
  results.survival.reset();
  results.events.clear();
  results.strategies.clear();
  for (auto& round : results.rounds) round.train_loss.reset();
  const std::string html = RenderReportHtml(results);
  EXPECT_EQ(TagBalanceProblem(html), "");
  EXPECT_NE(html.find("Not a survival task"), std::string::npos);
  EXPECT_NE(html.find("No faults or other events"), std::string::npos);
  EXPECT_NE(html.find("No training loss was reported"), std::string::npos);
  EXPECT_EQ(Count(html, "<svg "), 3);
}

TEST(ReportHtmlTest, WriteReportWritesPageAndData) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteReport(testing::FixedResults(), dir.path()).ok());
  auto html = ReadFile(dir.path() / "report.html");
  ASSERT_TRUE(html.ok());
  EXPECT_EQ(*html, RenderReportHtml(testing::FixedResults()));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "results.json"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "rounds.csv"));
}

TEST(ReportHtmlTest, ReportFromResultsFileValidatesTheDocument) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteResultFiles(testing::FixedResults(), dir.path() / "run").ok());
  ASSERT_TRUE(WriteReportFromResultsFile(dir.path() / "run/results.json", dir.path() / "again").ok());
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "again/report.html"));
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "bad.json", "{\"format\": 3}").ok());
  Status status = WriteReportFromResultsFile(dir.path() / "bad.json", dir.path() / "bad");
  EXPECT_NE(status.message().find("bad.json"), std::string::npos) << status;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "bad/report.html"));
}

}  // namespace
}  // namespace pancaim::scenarios
