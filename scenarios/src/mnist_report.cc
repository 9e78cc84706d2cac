#include "pancaim/scenarios/mnist_report.h"

#include <cmath>
#include <cstdio>
#include <system_error>

#include "pancaim/common/files.h"
#include "pancaim/scenarios/svg_chart.h"

namespace pancaim::scenarios {
namespace {

using nlohmann::json;

constexpr char kStyle[] =
    "body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;"
    "padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}"
    "h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:2em}.note{color:#666}"
    "svg.chart{display:block;margin:0.5em 0}";

json Optional(const std::optional<double>& value) {
  return value && std::isfinite(*value) ? json(*value) : json(nullptr);
}

std::string CsvNumber(std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return "";
  char text[64];
  std::snprintf(text, sizeof(text), "%.10g", *value);
  return text;
}

std::string Td(const std::string& text) { return "<td>" + EscapeXml(text) + "</td>"; }
std::string Td(std::optional<double> value) { return "<td>" + FormatNumber(value) + "</td>"; }
std::string Td(std::int64_t value) { return "<td>" + std::to_string(value) + "</td>"; }
std::string TdNumber(double value) { return Td(std::optional<double>(value)); }

std::string Percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g%%", fraction * 100);
  return text;
}

std::string Summary(const MnistResults& r) {
  std::string html = "<table id=\"summary\">";
  auto row = [&](const std::string& key, const std::string& value) {
    html += "<tr>" + Td(key) + Td(value) + "</tr>";
  };
  row("scenario", r.scenario);
  row("started (UTC)", r.started_utc);
  row("model", r.model);
  char text[160];
  std::snprintf(text, sizeof(text), "C=%g, E=%lld, B=%lld, learning rate %g (plain SGD)",
                r.fraction, static_cast<long long>(r.local_epochs),
                static_cast<long long>(r.batch_size), r.learning_rate);
  row("FedAvg", text);
  row("images", std::to_string(r.train_images) + " training, " + std::to_string(r.test_images) +
                    " test");
  row("target test accuracy", Percent(r.target_accuracy));
  row("seed, LibTorch threads", std::to_string(r.seed) + ", " + std::to_string(r.threads));
  return html + "</table>";
}

std::string RoundsToTarget(const MnistResults& r) {
  std::string html = "<h2 id=\"rounds-to-target\">Rounds to " + EscapeXml(Percent(r.target_accuracy)) +
                     " test accuracy, next to the paper</h2><table>" +
                     "<tr><th>partition</th><th>clients</th><th>per round</th><th>rounds run</th>"
                     "<th>best accuracy</th><th>rounds to target</th>"
                     "<th>McMahan et al. 2017, Table 2 (99%)</th></tr>";
  for (const MnistPartitionRun& run : r.partitions) {
    std::string reached;
    if (run.rounds_to_target) {
      reached = std::to_string(*run.rounds_to_target);
    } else {
      reached = (run.finished ? "not reached within " : "not reached so far, ") +
                std::to_string(run.rounds.size()) + " rounds";
    }
    const std::optional<int> paper = PaperRoundsTo99(run.partition);
    html += "<tr>" + Td(run.partition) + Td(std::int64_t{run.clients}) +
            Td(std::int64_t{run.clients_per_round}) +
            Td(static_cast<std::int64_t>(run.rounds.size())) + Td(run.BestAccuracy()) +
            Td(reached) + Td(paper ? std::to_string(*paper) : std::string("–")) + "</tr>";
  }
  html += "</table>";
  if (r.target_accuracy != 0.99) {
    html += "<p class=\"note\">The paper's figures are for 99%; this run's target differs.</p>";
  }
  return html;
}

std::string AccuracyPlot(const MnistResults& r) {
  std::string html = "<h2 id=\"accuracy-per-round\">Test accuracy per round</h2>";
  LineChartSpec chart{"FedAvg on MNIST: test accuracy per round", "round", "test accuracy",
                      {}, {{"target", r.target_accuracy}}, {}, 1.0};
  bool any = false;
  for (const MnistPartitionRun& run : r.partitions) {
    ChartSeries series{run.partition, {}, {}, false};
    for (const MnistRound& round : run.rounds) {
      if (!round.accuracy) continue;
      series.x.push_back(static_cast<double>(round.round));
      series.y.push_back(*round.accuracy);
    }
    any = any || !series.x.empty();
    chart.series.push_back(std::move(series));
  }
  if (!any) return html + "<p class=\"note\">No round was evaluated yet.</p>";
  return html + RenderLineChart(chart);
}

std::string RoundTable(const MnistResults& r) {
  std::string html = "<h2 id=\"rounds\">Every round</h2><table><tr><th>partition</th>"
                     "<th>round</th><th>test accuracy</th><th>train loss</th><th>train s</th>"
                     "<th>aggregate s</th><th>eval s</th><th>elapsed s</th></tr>";
  for (const MnistPartitionRun& run : r.partitions) {
    for (const MnistRound& x : run.rounds) {
      html += "<tr>" + Td(run.partition) + Td(x.round) + Td(x.accuracy) + TdNumber(x.train_loss) +
              TdNumber(x.train_seconds) + TdNumber(x.aggregate_seconds) +
              TdNumber(x.eval_seconds) + TdNumber(x.elapsed_seconds) + "</tr>";
    }
  }
  return html + "</table>";
}

}  // namespace

std::optional<int> PaperRoundsTo99(std::string_view partition) {
  if (partition == "iid") return 20;
  if (partition == "pathological") return 229;
  return std::nullopt;
}

std::optional<double> MnistPartitionRun::BestAccuracy() const {
  std::optional<double> best;
  for (const MnistRound& round : rounds) {
    if (round.accuracy && (!best || *round.accuracy > *best)) best = round.accuracy;
  }
  return best;
}

json MnistResultsToJson(const MnistResults& r) {
  json partitions = json::array();
  for (const MnistPartitionRun& run : r.partitions) {
    json rounds = json::array();
    for (const MnistRound& x : run.rounds) {
      rounds.push_back({{"round", x.round}, {"accuracy", Optional(x.accuracy)},
                        {"train_loss", Optional(x.train_loss)},
                        {"train_seconds", x.train_seconds},
                        {"aggregate_seconds", x.aggregate_seconds},
                        {"eval_seconds", x.eval_seconds},
                        {"elapsed_seconds", x.elapsed_seconds}});
    }
    const std::optional<int> paper = PaperRoundsTo99(run.partition);
    partitions.push_back(
        {{"partition", run.partition}, {"clients", run.clients},
         {"samples_per_client", run.samples_per_client},
         {"clients_per_round", run.clients_per_round}, {"max_rounds", run.max_rounds},
         {"finished", run.finished},
         {"rounds_to_target",
          run.rounds_to_target ? json(*run.rounds_to_target) : json(nullptr)},
         {"paper_rounds_to_99", paper ? json(*paper) : json(nullptr)},
         {"best_accuracy", Optional(run.BestAccuracy())}, {"rounds", std::move(rounds)}});
  }
  return {{"kind", "fedavg-mnist"},
          {"scenario", r.scenario},
          {"started_utc", r.started_utc},
          {"model", r.model},
          {"target_accuracy", r.target_accuracy},
          {"fraction", r.fraction},
          {"local_epochs", r.local_epochs},
          {"batch_size", r.batch_size},
          {"learning_rate", r.learning_rate},
          {"seed", r.seed},
          {"threads", r.threads},
          {"train_images", r.train_images},
          {"test_images", r.test_images},
          {"partitions", std::move(partitions)}};
}

StatusOr<MnistResults> MnistResultsFromJson(const json& j, std::string_view source) {
  // nlohmann's typed access throws on a missing key or a wrong type; every one of those is a
  // malformed file, reported with the library's description of the first problem.
  auto optional = [](const json& value) {
    return value.is_number() ? std::optional<double>(value.get<double>()) : std::nullopt;
  };
  try {
    if (!j.is_object() || j.value("kind", std::string()) != "fedavg-mnist") {
      return InvalidArgumentError(std::string(source) + ": not a fedavg-mnist results.json");
    }
    MnistResults r;
    r.scenario = j.at("scenario").get<std::string>();
    r.started_utc = j.at("started_utc").get<std::string>();
    r.model = j.at("model").get<std::string>();
    r.target_accuracy = j.at("target_accuracy").get<double>();
    r.fraction = j.at("fraction").get<double>();
    r.local_epochs = j.at("local_epochs").get<std::int64_t>();
    r.batch_size = j.at("batch_size").get<std::int64_t>();
    r.learning_rate = j.at("learning_rate").get<double>();
    r.seed = j.at("seed").get<std::uint64_t>();
    r.threads = j.at("threads").get<std::int64_t>();
    r.train_images = j.at("train_images").get<std::int64_t>();
    r.test_images = j.at("test_images").get<std::int64_t>();
    for (const json& p : j.at("partitions")) {
      MnistPartitionRun run;
      run.partition = p.at("partition").get<std::string>();
      run.clients = p.at("clients").get<int>();
      run.samples_per_client = p.at("samples_per_client").get<std::int64_t>();
      run.clients_per_round = p.at("clients_per_round").get<int>();
      run.max_rounds = p.at("max_rounds").get<std::int64_t>();
      run.finished = p.at("finished").get<bool>();
      if (p.at("rounds_to_target").is_number()) {
        run.rounds_to_target = p.at("rounds_to_target").get<std::int64_t>();
      }
      for (const json& x : p.at("rounds")) {
        run.rounds.push_back({x.at("round").get<std::int64_t>(), optional(x.at("accuracy")),
                              optional(x.at("train_loss")).value_or(NAN),
                              x.at("train_seconds").get<double>(),
                              x.at("aggregate_seconds").get<double>(),
                              x.at("eval_seconds").get<double>(),
                              x.at("elapsed_seconds").get<double>()});
      }
      r.partitions.push_back(std::move(run));
    }
    return r;
  } catch (const json::exception& e) {
    return InvalidArgumentError(std::string(source) + ": " + e.what());
  }
}

std::string MnistRoundsCsv(const MnistResults& r) {
  std::string csv =
      "partition,round,accuracy,train_loss,train_seconds,aggregate_seconds,eval_seconds,"
      "elapsed_seconds\n";
  for (const MnistPartitionRun& run : r.partitions) {
    for (const MnistRound& x : run.rounds) {
      csv += run.partition + "," + std::to_string(x.round) + "," + CsvNumber(x.accuracy) + "," +
             CsvNumber(x.train_loss) + "," + CsvNumber(x.train_seconds) + "," +
             CsvNumber(x.aggregate_seconds) + "," + CsvNumber(x.eval_seconds) + "," +
             CsvNumber(x.elapsed_seconds) + "\n";
    }
  }
  return csv;
}

std::string RoundsToTargetLine(const MnistResults& r, const MnistPartitionRun& run) {
  const std::optional<int> paper = PaperRoundsTo99(run.partition);
  const std::string paper_text = paper ? "paper: " + std::to_string(*paper) : "paper: –";
  if (run.rounds_to_target) {
    return run.partition + ": " + Percent(r.target_accuracy) + " test accuracy in round " +
           std::to_string(*run.rounds_to_target) + " (" + paper_text + ")";
  }
  return run.partition + ": " + Percent(r.target_accuracy) + " not reached " +
         (run.finished ? "within " : "so far, ") + std::to_string(run.rounds.size()) +
         " rounds (best " + FormatNumber(run.BestAccuracy()) + "; " + paper_text + ")";
}

std::string RenderMnistReportHtml(const MnistResults& r) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                     EscapeXml("PANCAIM-FL simulation: " + r.scenario) + "</title><style>" +
                     kStyle + "</style></head><body>";
  html += "<h1>PANCAIM-FL simulation: " + EscapeXml(r.scenario) + "</h1>";
  html += "<p class=\"note\">FedAvg (McMahan et al. 2017) simulated in one process: the "
          "production trainer and the coordinator's aggregation, without processes or TLS "
          "(docs/scenarios.md).</p>";
  html += Summary(r);
  html += RoundsToTarget(r);
  html += AccuracyPlot(r);
  html += RoundTable(r);
  html += "<p class=\"note\">Every number above is also in results.json and rounds.csv next to "
          "this page.</p></body></html>\n";
  return html;
}

Status WriteMnistReport(const MnistResults& results, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InternalError("cannot create " + dir.string() + ": " + ec.message());
  PANCAIM_RETURN_IF_ERROR(
      WriteFileAtomic(dir / "results.json", MnistResultsToJson(results).dump(2) + "\n"));
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(dir / "rounds.csv", MnistRoundsCsv(results)));
  return WriteFileAtomic(dir / "report.html", RenderMnistReportHtml(results));
}

}  // namespace pancaim::scenarios
