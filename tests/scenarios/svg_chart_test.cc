#include "pancaim/scenarios/svg_chart.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace pancaim::scenarios {
namespace {

int Count(const std::string& text, const std::string& needle) {
  int count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

TEST(SvgChartTest, LineChartDrawsSeriesReferencesAndLegend) {
  LineChartSpec spec{"AUC <per> round", "round", "AUC",
                     {{"federated", {1, 2, 3}, {0.6, 0.7, 0.8}, false}},
                     {{"local", 0.65}, {"pooled", 0.85}}, {}, {}};
  const std::string svg = RenderLineChart(spec);
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 6), "</svg>");
  EXPECT_EQ(Count(svg, "class=\"series\""), 1);
  EXPECT_EQ(Count(svg, "class=\"reference\""), 2);
  EXPECT_EQ(Count(svg, "<circle"), 3);
  EXPECT_NE(svg.find("AUC &lt;per&gt; round"), std::string::npos);
  EXPECT_NE(svg.find("local 0.65"), std::string::npos);
  EXPECT_NE(svg.find("pooled 0.85"), std::string::npos);
}

TEST(SvgChartTest, StepSeriesHasTwoPointsPerStepAndSkipsNonFinite) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  LineChartSpec spec{"KM", "months", "S", {{"low", {0, 5, 10, 12}, {1, 0.8, nan, 0.5}, true}},
                     {}, 0.0, 1.0};
  const std::string svg = RenderLineChart(spec);
  const auto start = svg.find("points=\"") + 8;
  const std::string points = svg.substr(start, svg.find('"', start) - start);
  // (0,1), (5,1) (5,0.8), (12,0.8) (12,0.5): the NaN point is skipped.
  EXPECT_EQ(Count(points, ","), 5) << points;
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

TEST(SvgChartTest, BarChartDrawsOneBarPerPresentValue) {
  BarChartSpec spec{"per site", "AUC", {"local", "federated"},
                    {{"a", {0.6, 0.7}}, {"b", {std::nullopt, 0.72}}}};
  const std::string svg = RenderBarChart(spec);
  EXPECT_EQ(Count(svg, "class=\"bar\""), 3);
  EXPECT_NE(svg.find("b federated: 0.72"), std::string::npos);
}

TEST(SvgChartTest, EmptyChartsStillRender) {
  EXPECT_NE(RenderLineChart({"empty", "x", "y", {}, {}, {}, {}}).find("</svg>"),
            std::string::npos);
  EXPECT_NE(RenderBarChart({"empty", "y", {}, {}}).find("</svg>"), std::string::npos);
}

TEST(SvgChartTest, FormatsAndEscapes) {
  EXPECT_EQ(FormatNumber(0.123456, 3), "0.123");
  EXPECT_EQ(FormatNumber(std::nullopt), "–");
  EXPECT_EQ(FormatNumber(std::numeric_limits<double>::infinity()), "–");
  EXPECT_EQ(EscapeXml("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
}

}  // namespace
}  // namespace pancaim::scenarios
