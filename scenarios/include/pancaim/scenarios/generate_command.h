// `pancaim-sim generate`: the command-line options resolved into a scenario, then the cohort
// written and summarised. Kept out of main.cc so tests can run the command without a process.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "pancaim/common/status.h"
#include "pancaim/scenarios/scenario_config.h"

namespace pancaim::scenarios {

struct GenerateCommandOptions {
  std::string out_dir;                   // required
  std::string scenario_path;             // empty: built-in DefaultScenario
  std::optional<std::uint64_t> seed;     // overrides the scenario's seed
  std::optional<int> sites;              // built-in: number of sites; file: keep the first N
  std::optional<int> patients;           // patients per site, overriding the scenario
  std::optional<std::string> ct_format;  // "nifti" | "dicom" for every site
  int threads = 0;                       // 0: hardware threads
  bool force = false;                    // replace an earlier cohort in out_dir
  bool progress = true;
  int oracle_samples = 20000;
};

// The scenario the options describe: the file (or the built-in default), then the overrides.
// Errors: unreadable or invalid file, --sites larger than the file's site count, bad overrides.
StatusOr<ScenarioConfig> ResolveScenario(const GenerateCommandOptions& options);

// Resolves the scenario, writes the cohort and prints the summary to `out`.
Status RunGenerateCommand(const GenerateCommandOptions& options, std::FILE* out = stdout);

}  // namespace pancaim::scenarios
