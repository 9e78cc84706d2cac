// Small inline-SVG charts for the self-contained report: line charts (optionally as steps, for
// Kaplan–Meier curves) with horizontal reference lines, and grouped bar charts. Output is one
// <svg> element with its own axes, ticks, legend and a <title> per chart; no scripts, no external
// resources. Non-finite values are skipped. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pancaim::scenarios {

// One line: points (x[i], y[i]); x and y have equal length (checked).
struct ChartSeries {
  std::string label;
  std::vector<double> x;
  std::vector<double> y;
  bool step = false;  // draw as a right-continuous step function
};

// A horizontal line across the plot (a baseline), labelled in the legend.
struct ReferenceLine {
  std::string label;
  double y = 0;
};

struct LineChartSpec {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<ChartSeries> series;
  std::vector<ReferenceLine> references;
  std::optional<double> y_min, y_max;  // default: the data's range, padded
};

// One category of a grouped bar chart: one value per series (absent: no bar).
struct BarGroup {
  std::string category;
  std::vector<std::optional<double>> values;
};

struct BarChartSpec {
  std::string title;
  std::string y_label;
  std::vector<std::string> series_labels;  // legend; each group has this many values (checked)
  std::vector<BarGroup> groups;
};

std::string RenderLineChart(const LineChartSpec& spec);
std::string RenderBarChart(const BarChartSpec& spec);

// Escapes &, <, >, " and ' for XML/HTML text and attributes.
std::string EscapeXml(std::string_view text);

// A number with up to `digits` significant digits, "–" when absent or not finite.
std::string FormatNumber(std::optional<double> value, int digits = 4);

}  // namespace pancaim::scenarios
