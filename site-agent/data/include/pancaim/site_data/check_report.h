// The check-data report: what a site's data looks like and what is wrong with it, per modality.
// Built by RunCheckData (check_data.h) and the modality checkers; printed as text for the data
// manager or as JSON for machines.
//
// Values; not synchronized.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/site_data/data_issue.h"
#include "pancaim/site_data/histogram.h"
#include "pancaim/site_data/manifest.h"

namespace pancaim::sitedata {

// Outcome label counts among a set of patients.
struct LabelBalance {
  std::int64_t pdac = 0;
  std::int64_t no_pdac = 0;
  std::int64_t pdac_unknown = 0;
  std::int64_t events = 0;
  std::int64_t censored = 0;
  std::int64_t survival_unknown = 0;

  void Add(std::optional<int> pdac_label, std::optional<int> event, bool has_survival_time);
  nlohmann::json ToJson() const;
  std::string Render() const;  // "PDAC 40 / no PDAC 60 / unknown 0; events 30, censored 10 ..."
};

// One modality's section of the report.
struct ModalityReport {
  std::string modality;            // "clinical", "ct", "pathology", "genomics"
  bool checked = true;             // false when this build has no reader for the modality yet
  std::string not_checked_reason;  // why, when !checked
  std::int64_t patients = 0;       // patients whose manifest row lists this modality
  std::int64_t patients_ok = 0;    // ... whose data read without failure
  std::int64_t files_read = 0;
  std::vector<DataIssue> failures;  // file + reason
  std::vector<Histogram> histograms;
  std::map<std::string, std::int64_t> counts;  // e.g. formats ("NIfTI": 12, "DICOM series": 3)
  LabelBalance labels;                          // among patients_ok
  std::vector<std::string> notes;
  nlohmann::json extra;  // modality-specific JSON (e.g. clinical normalisation statistics)

  // The histogram titled `title`, added with `edges` when absent.
  Histogram& HistogramFor(const std::string& title, const std::string& unit,
                          const std::vector<double>& edges);
};

struct CheckDataReport {
  std::string site_id;
  std::string manifest;
  bool strict = false;
  std::size_t manifest_rows = 0;
  std::int64_t patients = 0;  // accepted manifest rows
  std::map<std::string, std::int64_t> splits;
  std::vector<DataIssue> manifest_issues;  // skipped rows
  std::vector<ModalityReport> modalities;
  Status stopped;  // strict mode: the first error (OK otherwise)
  double seconds = 0;

  // Manifest issues plus every modality's failures.
  std::int64_t TotalProblems() const;

  nlohmann::json ToJson() const;
  std::string ToText() const;
};

}  // namespace pancaim::sitedata
