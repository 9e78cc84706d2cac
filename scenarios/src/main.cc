// pancaim-sim: synthetic multi-site PDAC cohorts in real formats (`generate`), and the simulated
// federation over them (`run`, issue 7). Thin: options here, work in pancaim::scenarios.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "pancaim/scenarios/generate_command.h"
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pancaim-sim: synthetic PDAC cohorts and multi-site federation simulation"};
  app.require_subcommand(1);
  pancaim::scenarios::GenerateCommandOptions generate_options;
  bool no_progress = false;
  AddGenerate(app, generate_options, no_progress);
  CLI::App* schema = app.add_subcommand(
      "schema", "Print the scenario file keys (Markdown, as in docs/synthetic-cohorts.md)");
  CLI11_PARSE(app, argc, argv);

  if (schema->parsed()) {
    std::fputs(pancaim::scenarios::ScenarioConfigMarkdown().c_str(), stdout);
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
