// Writes a whole synthetic cohort: per site a folder with manifest.csv, a minimal site agent
// configuration site.json, ct/, masks/, slides/ and genomics/; at the top scenario.json (the validated scenario with defaults), ground_truth.csv
// (hidden values per patient, for analysis only: training code must not read it) and
// summary.json (counts and the best achievable metrics).
//
// Patients are generated in parallel (one patient per task) but every file depends only on the
// seed and the patient's position, so the same scenario and seed give byte-identical files
// whatever the thread count.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/scenarios/generative_model.h"
#include "pancaim/scenarios/oracle_metrics.h"
#include "pancaim/scenarios/scenario_config.h"

namespace pancaim::scenarios {

struct GenerateOptions {
  std::filesystem::path out_dir;
  int threads = 0;              // 0: one per hardware thread
  bool overwrite = false;       // replace an earlier cohort's files in out_dir
  bool show_progress = true;    // ProgressDisplay on stderr
  int oracle_samples = 20000;   // Monte Carlo patients for the best achievable metrics; 0 skips
  ModelParameters model;
};

// What was written, per site.
struct SiteSummary {
  std::string name;
  int patients = 0;
  int pdac = 0;
  int with_ct = 0;
  int with_mask = 0;
  int with_slide = 0;
  int with_vcf = 0;
  int train = 0, validation = 0, test = 0;
  bool dicom = false;
};

struct CohortSummary {
  std::vector<SiteSummary> sites;
  // Driver mutation frequencies among PDAC patients of this cohort (all, with or without VCF).
  std::array<double, kDriverGeneCount> driver_frequency_pdac = {};
  bool has_oracle = false;
  OracleMetrics oracle;
  double seconds = 0.0;
};

// Generates the cohort of `scenario` into options.out_dir. Refuses a non-empty out_dir unless
// options.overwrite (then replaces only the files a cohort writes). Errors name the file.
StatusOr<CohortSummary> GenerateCohort(const ScenarioConfig& scenario,
                                       const GenerateOptions& options);

// Machine- and human-readable forms of a summary.
nlohmann::json SummaryToJson(const CohortSummary& summary);
std::string FormatSummary(const CohortSummary& summary);

}  // namespace pancaim::scenarios
