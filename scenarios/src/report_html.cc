#include "pancaim/scenarios/report_html.h"

#include <cmath>

#include "pancaim/common/config_schema.h"
#include "pancaim/common/files.h"
#include "pancaim/scenarios/mnist_report.h"
#include "pancaim/scenarios/svg_chart.h"

namespace pancaim::scenarios {
namespace {

constexpr char kStyle[] =
    "body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;"
    "padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}"
    "h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:2em}.note{color:#666}"
    "svg.chart{display:block;margin:0.5em 0}";

std::string Td(const std::string& text) { return "<td>" + EscapeXml(text) + "</td>"; }
std::string Td(std::optional<double> value) { return "<td>" + FormatNumber(value) + "</td>"; }
std::string Td(int value) { return "<td>" + std::to_string(value) + "</td>"; }

std::string Header(std::initializer_list<const char*> names) {
  std::string row = "<tr>";
  for (const char* name : names) row += "<th>" + EscapeXml(name) + "</th>";
  return row + "</tr>";
}

std::string Note(const std::string& text) { return "<p class=\"note\">" + EscapeXml(text) + "</p>"; }

std::string Summary(const RunResults& r) {
  std::optional<double> final_metric;
  for (const auto& round : r.rounds) {
    if (round.metric) final_metric = round.metric;
  }
  std::string html = "<table id=\"summary\">";
  html += "<tr>" + Td("scenario") + Td(r.scenario) + "</tr>";
  html += "<tr>" + Td("task") + Td(r.task) + "</tr>";
  html += "<tr>" + Td("strategy") + Td(r.strategy) + "</tr>";
  html += "<tr>" + Td("started (UTC)") + Td(r.started_utc) + "</tr>";
  html += "<tr>" + Td("rounds") + Td(static_cast<int>(r.rounds.size())) + "</tr>";
  html += "<tr>" + Td("final federated " + r.metric) + Td(final_metric) + "</tr>";
  html += "<tr>" + Td("mean of local baselines") + Td(r.baselines.local_mean) + "</tr>";
  html += "<tr>" + Td("pooled (centralized) baseline") + Td(r.baselines.centralized) + "</tr>";
  return html + "</table>";
}

std::string MetricPerRound(const RunResults& r) {
  LineChartSpec chart{"Federated " + r.metric + " per round", "round", r.metric, {}, {}, {}, {}};
  ChartSeries federated{"federated (" + r.strategy + ")", {}, {}, false};
  for (const auto& round : r.rounds) {
    if (!round.metric) continue;
    federated.x.push_back(round.round);
    federated.y.push_back(*round.metric);
  }
  chart.series.push_back(federated);
  if (r.baselines.local_mean) chart.references.push_back({"local (mean)", *r.baselines.local_mean});
  if (r.baselines.centralized) chart.references.push_back({"pooled", *r.baselines.centralized});
  std::string html = "<h2 id=\"metric-per-round\">Federated " + EscapeXml(r.metric) +
                     " per round</h2>";
  if (federated.x.empty()) return html + Note("No round was evaluated.");
  return html + RenderLineChart(chart);
}

std::string PerSite(const RunResults& r) {
  std::string html = "<h2 id=\"per-site\">Per-site " + EscapeXml(r.metric) + "</h2>";
  if (r.sites.empty()) return html + Note("No sites.");
  BarChartSpec chart{"Per-site " + r.metric + " on each site's test patients", r.metric,
                     {"local (site alone)", "federated"}, {}};
  std::string table = "<table>" + Header({"site", "local", "federated"});
  for (const auto& site : r.sites) {
    chart.groups.push_back({site.name, {site.local_metric, site.federated_metric}});
    table += "<tr>" + Td(site.name) + Td(site.local_metric) + Td(site.federated_metric) + "</tr>";
  }
  return html + RenderBarChart(chart) + table + "</table>";
}

std::string TrainingLoss(const RunResults& r) {
  std::string html = "<h2 id=\"training-loss\">Training loss</h2>";
  ChartSeries loss{"mean site training loss", {}, {}, false};
  for (const auto& round : r.rounds) {
    if (!round.train_loss) continue;
    loss.x.push_back(round.round);
    loss.y.push_back(*round.train_loss);
  }
  if (loss.x.empty()) return html + Note("No training loss was reported.");
  return html + RenderLineChart({"Training loss per round", "round", "loss", {loss}, {}, {}, {}});
}

std::string Survival(const RunResults& r) {
  std::string html = "<h2 id=\"kaplan-meier\">Kaplan–Meier curves of predicted risk groups</h2>";
  if (!r.survival) return html + Note("Not a survival task: no Kaplan–Meier curves.");
  const auto& s = *r.survival;
  LineChartSpec chart{"Survival of test patients by predicted risk", "months", "survival",
                      {{"low risk (n=" + std::to_string(s.low_count) + ")", s.low.time,
                        s.low.survival, true},
                       {"high risk (n=" + std::to_string(s.high_count) + ")", s.high.time,
                        s.high.survival, true}},
                      {}, 0.0, 1.0};
  html += RenderLineChart(chart);
  html += "<p id=\"log-rank\">Log-rank test (split at median risk " + FormatNumber(s.threshold) +
          "): chi-square " + FormatNumber(s.chi_square) + ", p = " + FormatNumber(s.p_value) +
          (s.p_value ? "" : " (undefined: an empty group or no events)") + "</p>";
  return html;
}

std::string Strategies(const RunResults& r) {
  if (r.strategies.empty()) return "";
  std::string html = "<h2 id=\"strategies\">Aggregation strategies compared</h2>";
  BarChartSpec chart{"Final " + r.metric + " per strategy", r.metric, {r.metric}, {}};
  std::string table = "<table>" + Header({"strategy", "final metric"});
  for (const auto& s : r.strategies) {
    chart.groups.push_back({s.strategy, {s.final_metric}});
    table += "<tr>" + Td(s.strategy) + Td(s.final_metric) + "</tr>";
  }
  return html + RenderBarChart(chart) + table + "</table>";
}

std::string Events(const RunResults& r) {
  std::string html = "<h2 id=\"events\">Events</h2>";
  if (r.events.empty()) return html + Note("No faults or other events.");
  html += "<table>" + Header({"time (s)", "round", "event", "detail"});
  for (const auto& e : r.events) {
    html += "<tr>" + Td(std::optional<double>(e.seconds)) + Td(e.round) + Td(e.kind) +
            Td(e.detail) + "</tr>";
  }
  return html + "</table>";
}

std::string DataSummary(const RunResults& r) {
  std::string html = "<h2 id=\"data-summary\">Data summary per site</h2><table>" +
                     Header({"site", "train", "validation", "test", "positives", "events", "CT",
                             "mask", "slide", "VCF"});
  for (const auto& s : r.sites) {
    html += "<tr>" + Td(s.name) + Td(s.train) + Td(s.validation) + Td(s.test) + Td(s.positives) +
            Td(s.events) + Td(s.modalities.ct) + Td(s.modalities.mask) + Td(s.modalities.slide) +
            Td(s.modalities.vcf) + "</tr>";
  }
  return html + "</table>";
}

std::string Timings(const RunResults& r) {
  std::string html = "<h2 id=\"timings\">Timings per round</h2>";
  if (r.rounds.empty()) return html + Note("No rounds.");
  ChartSeries seconds{"seconds per round", {}, {}, false};
  std::string table = "<table>" + Header({"round", "sites done", "selected", "seconds",
                                          r.metric.c_str(), "train loss"});
  for (const auto& round : r.rounds) {
    seconds.x.push_back(round.round);
    seconds.y.push_back(round.seconds);
    table += "<tr>" + Td(round.round) + Td(round.sites_done) + Td(round.sites_selected) +
             Td(std::optional<double>(round.seconds)) + Td(round.metric) + Td(round.train_loss) +
             "</tr>";
  }
  return html + RenderLineChart({"Wall time per round", "round", "seconds", {seconds}, {}, 0.0, {}}) +
         table + "</table>";
}

}  // namespace

std::string RenderReportHtml(const RunResults& r) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                     EscapeXml("PANCAIM-FL simulation: " + r.scenario) + "</title><style>" +
                     kStyle + "</style></head><body>";
  html += "<h1>PANCAIM-FL simulation: " + EscapeXml(r.scenario) + "</h1>";
  html += Summary(r);
  html += MetricPerRound(r);
  html += PerSite(r);
  html += TrainingLoss(r);
  html += Survival(r);
  html += Strategies(r);
  html += Events(r);
  html += DataSummary(r);
  html += Timings(r);
  html += "<p class=\"note\">Every number above is also in results.json and the CSV files next to "
          "this page.</p></body></html>\n";
  return html;
}

Status WriteReport(const RunResults& results, const std::filesystem::path& dir) {
  PANCAIM_RETURN_IF_ERROR(WriteResultFiles(results, dir));
  return WriteFileAtomic(dir / "report.html", RenderReportHtml(results));
}

Status WriteReportFromResultsFile(const std::filesystem::path& results_json,
                                  const std::filesystem::path& dir) {
  PANCAIM_ASSIGN_OR_RETURN(std::string text, ReadFile(results_json, std::uint64_t{64} << 20));
  PANCAIM_ASSIGN_OR_RETURN(nlohmann::json document,
                           config::ParseJson(text, results_json.string()));
  if (document.is_object() && document.value("kind", std::string()) == "fedavg-mnist") {
    PANCAIM_ASSIGN_OR_RETURN(MnistResults mnist,
                             MnistResultsFromJson(document, results_json.string()));
    return WriteMnistReport(mnist, dir);
  }
  PANCAIM_ASSIGN_OR_RETURN(RunResults results, ResultsFromJson(document, results_json.string()));
  return WriteReport(results, dir);
}

}  // namespace pancaim::scenarios
