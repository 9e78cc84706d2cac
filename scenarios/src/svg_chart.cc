#include "pancaim/scenarios/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "pancaim/common/check.h"

namespace pancaim::scenarios {
namespace {

constexpr double kWidth = 640, kHeight = 320;
constexpr double kLeft = 64, kRight = 180, kTop = 36, kBottom = 48;
constexpr const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

const char* Colour(std::size_t i) { return kColours[i % std::size(kColours)]; }

std::string Fixed(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void Add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  void Finish() {
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    if (hi - lo < 1e-12) lo -= 0.5, hi += 0.5;
  }
};

// Frame, title, axis labels and `ticks` evenly spaced tick labels on each axis.
std::string Axes(const std::string& title, const std::string& x_label, const std::string& y_label,
                 const Range& x, const Range& y, bool x_ticks) {
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" +
                    Fixed(kWidth) + "\" height=\"" + Fixed(kHeight) + "\" viewBox=\"0 0 " +
                    Fixed(kWidth) + " " + Fixed(kHeight) + "\" role=\"img\">";
  svg += "<title>" + EscapeXml(title) + "</title>";
  svg += "<text x=\"" + Fixed(kLeft) + "\" y=\"20\" font-size=\"14\" font-weight=\"bold\">" +
         EscapeXml(title) + "</text>";
  svg += "<rect x=\"" + Fixed(kLeft) + "\" y=\"" + Fixed(kTop) + "\" width=\"" + Fixed(plot_w) +
         "\" height=\"" + Fixed(plot_h) + "\" fill=\"none\" stroke=\"#444\"/>";
  for (int i = 0; i <= 4; ++i) {
    const double v = y.lo + (y.hi - y.lo) * i / 4;
    const double py = kTop + plot_h * (1 - i / 4.0);
    svg += "<line x1=\"" + Fixed(kLeft) + "\" x2=\"" + Fixed(kLeft + plot_w) + "\" y1=\"" +
           Fixed(py) + "\" y2=\"" + Fixed(py) + "\" stroke=\"#eee\"/>";
    svg += "<text x=\"" + Fixed(kLeft - 6) + "\" y=\"" + Fixed(py + 4) +
           "\" font-size=\"11\" text-anchor=\"end\">" + FormatNumber(v, 3) + "</text>";
    if (x_ticks) {
      const double xv = x.lo + (x.hi - x.lo) * i / 4;
      const double px = kLeft + plot_w * i / 4.0;
      svg += "<text x=\"" + Fixed(px) + "\" y=\"" + Fixed(kTop + plot_h + 16) +
             "\" font-size=\"11\" text-anchor=\"middle\">" + FormatNumber(xv, 3) + "</text>";
    }
  }
  svg += "<text x=\"" + Fixed(kLeft + plot_w / 2) + "\" y=\"" + Fixed(kHeight - 8) +
         "\" font-size=\"12\" text-anchor=\"middle\">" + EscapeXml(x_label) + "</text>";
  svg += "<text transform=\"translate(14," + Fixed(kTop + plot_h / 2) +
         ") rotate(-90)\" font-size=\"12\" text-anchor=\"middle\">" + EscapeXml(y_label) +
         "</text>";
  return svg;
}

std::string LegendEntry(std::size_t index, const std::string& label, const char* colour,
                        bool dashed) {
  const double y = kTop + 8 + 18.0 * static_cast<double>(index);
  const double x = kWidth - kRight + 12;
  return "<line x1=\"" + Fixed(x) + "\" x2=\"" + Fixed(x + 20) + "\" y1=\"" + Fixed(y) +
         "\" y2=\"" + Fixed(y) + "\" stroke=\"" + colour + "\" stroke-width=\"2\"" +
         (dashed ? " stroke-dasharray=\"5,3\"" : "") + "/><text x=\"" + Fixed(x + 26) +
         "\" y=\"" + Fixed(y + 4) + "\" font-size=\"11\">" + EscapeXml(label) + "</text>";
}

}  // namespace

std::string EscapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FormatNumber(std::optional<double> value, int digits) {
  if (!value || !std::isfinite(*value)) return "–";
  char text[64];
  std::snprintf(text, sizeof(text), "%.*g", digits, *value);
  return text;
}

std::string RenderLineChart(const LineChartSpec& spec) {
  Range x, y;
  for (const auto& series : spec.series) {
    PANCAIM_CHECK(series.x.size() == series.y.size()) << "series " << series.label;
    for (double v : series.x) x.Add(v);
    for (double v : series.y) y.Add(v);
  }
  for (const auto& ref : spec.references) y.Add(ref.y);
  x.Finish();
  y.Finish();
  const double pad = (y.hi - y.lo) * 0.05;
  y.lo = spec.y_min.value_or(y.lo - pad);
  y.hi = spec.y_max.value_or(y.hi + pad);
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto px = [&](double v) { return kLeft + plot_w * (v - x.lo) / (x.hi - x.lo); };
  auto py = [&](double v) {
    return kTop + plot_h * (1 - (std::clamp(v, y.lo, y.hi) - y.lo) / (y.hi - y.lo));
  };
  std::string svg = Axes(spec.title, spec.x_label, spec.y_label, x, y, /*x_ticks=*/true);
  std::size_t legend = 0;
  for (std::size_t s = 0; s < spec.series.size(); ++s) {
    const auto& series = spec.series[s];
    std::string points;
    double last_y = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t i = 0; i < series.x.size(); ++i) {
      if (!std::isfinite(series.x[i]) || !std::isfinite(series.y[i])) continue;
      if (series.step && std::isfinite(last_y)) {
        points += Fixed(px(series.x[i])) + "," + Fixed(py(last_y)) + " ";
      }
      points += Fixed(px(series.x[i])) + "," + Fixed(py(series.y[i])) + " ";
      last_y = series.y[i];
    }
    svg += "<polyline class=\"series\" fill=\"none\" stroke=\"" + std::string(Colour(s)) +
           "\" stroke-width=\"2\" points=\"" + points + "\"/>";
    if (!series.step) {
      for (std::size_t i = 0; i < series.x.size(); ++i) {
        if (!std::isfinite(series.x[i]) || !std::isfinite(series.y[i])) continue;
        svg += "<circle cx=\"" + Fixed(px(series.x[i])) + "\" cy=\"" + Fixed(py(series.y[i])) +
               "\" r=\"2.5\" fill=\"" + Colour(s) + "\"><title>" + EscapeXml(series.label) +
               " " + FormatNumber(series.x[i]) + ": " + FormatNumber(series.y[i]) +
               "</title></circle>";
      }
    }
    svg += LegendEntry(legend++, series.label, Colour(s), false);
  }
  for (std::size_t r = 0; r < spec.references.size(); ++r) {
    const char* colour = Colour(spec.series.size() + r);
    const std::string yy = Fixed(py(spec.references[r].y));
    svg += "<line class=\"reference\" x1=\"" + Fixed(kLeft) + "\" x2=\"" + Fixed(kLeft + plot_w) +
           "\" y1=\"" + yy + "\" y2=\"" + yy + "\" stroke=\"" + colour +
           "\" stroke-width=\"1.5\" stroke-dasharray=\"5,3\"/>";
    svg += LegendEntry(legend++,
                       spec.references[r].label + " " + FormatNumber(spec.references[r].y, 3),
                       colour, true);
  }
  return svg + "</svg>";
}

std::string RenderBarChart(const BarChartSpec& spec) {
  Range y;
  y.Add(0);
  for (const auto& group : spec.groups) {
    PANCAIM_CHECK(group.values.size() == spec.series_labels.size()) << "group " << group.category;
    for (const auto& v : group.values) {
      if (v) y.Add(*v);
    }
  }
  y.Finish();
  y.hi += (y.hi - y.lo) * 0.05;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  std::string svg = Axes(spec.title, "", spec.y_label, Range{0, 1}, y, /*x_ticks=*/false);
  const std::size_t groups = std::max<std::size_t>(spec.groups.size(), 1);
  const std::size_t series = std::max<std::size_t>(spec.series_labels.size(), 1);
  const double group_w = plot_w / static_cast<double>(groups);
  const double bar_w = group_w * 0.8 / static_cast<double>(series);
  auto py = [&](double v) { return kTop + plot_h * (1 - (v - y.lo) / (y.hi - y.lo)); };
  for (std::size_t g = 0; g < spec.groups.size(); ++g) {
    const double gx = kLeft + group_w * static_cast<double>(g);
    for (std::size_t s = 0; s < spec.groups[g].values.size(); ++s) {
      const auto& v = spec.groups[g].values[s];
      if (!v || !std::isfinite(*v)) continue;
      const double top = py(std::max(*v, 0.0)), base = py(std::min(*v, 0.0));
      svg += "<rect class=\"bar\" x=\"" + Fixed(gx + group_w * 0.1 + bar_w * s) + "\" y=\"" +
             Fixed(top) + "\" width=\"" + Fixed(bar_w) + "\" height=\"" + Fixed(base - top) +
             "\" fill=\"" + Colour(s) + "\"><title>" + EscapeXml(spec.groups[g].category) + " " +
             EscapeXml(spec.series_labels[s]) + ": " + FormatNumber(*v) + "</title></rect>";
    }
    svg += "<text x=\"" + Fixed(gx + group_w / 2) + "\" y=\"" + Fixed(kTop + plot_h + 16) +
           "\" font-size=\"11\" text-anchor=\"middle\">" + EscapeXml(spec.groups[g].category) +
           "</text>";
  }
  for (std::size_t s = 0; s < spec.series_labels.size(); ++s) {
    svg += LegendEntry(s, spec.series_labels[s], Colour(s), false);
  }
  return svg + "</svg>";
}

}  // namespace pancaim::scenarios
