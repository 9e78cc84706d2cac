// report.html: the run's results as one self-contained HTML page (inline CSS and SVG, no scripts,
// no external resources) readable offline: summary, federated metric per round against the local
// and pooled baselines, per-site metrics, training loss, Kaplan–Meier curves of the predicted risk
// groups with the log-rank p-value (survival tasks), strategy comparison, events (faults), data
// summary per site and timings per round, each plot followed by a table of its numbers.
// Pure functions; thread-safe.
#pragma once

#include <filesystem>
#include <string>

#include "pancaim/common/status.h"
#include "pancaim/scenarios/run_results.h"

namespace pancaim::scenarios {

// The whole page. Sections without data (no survival, no events, no strategy comparison) say so
// instead of drawing an empty plot.
std::string RenderReportHtml(const RunResults& results);

// Writes report.html and every file of WriteResultFiles into `dir`. Errors name the file.
Status WriteReport(const RunResults& results, const std::filesystem::path& dir);

// `pancaim-sim report`: reads a results.json (at most 64 MiB), validates it (ResultsFromJson, or
// MnistResultsFromJson for the fedavg-mnist scenario's) and writes the report and CSV files into
// `dir`. Errors name the file and key.
Status WriteReportFromResultsFile(const std::filesystem::path& results_json,
                                  const std::filesystem::path& dir);

}  // namespace pancaim::scenarios
