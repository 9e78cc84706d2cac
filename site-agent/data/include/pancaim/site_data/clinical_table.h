// The clinical table: typed clinical features and outcome labels of a site's patients, taken from
// the manifest's clinical columns. Missing values stay missing (std::optional; a mask in the
// feature matrix), never zero. A value that does not parse or is out of range is an issue located
// at file:line:column and is then treated as missing (lenient) or an error (strict).
//
// Normalisation statistics are fitted on the training split only and applied to every split, so
// validation and test patients never leak into the scaling.
//
// ClinicalTable, NormalisationStats and FeatureMatrix are values; not synchronized.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/site_data/data_issue.h"
#include "pancaim/site_data/manifest.h"

namespace pancaim::sitedata {

// How a clinical column is typed.
struct ClinicalColumnSpec {
  enum class Kind { kNumber, kInteger, kBinary, kSex };
  std::string name;
  Kind kind = Kind::kNumber;
  double min = 0;  // inclusive bounds of valid values
  double max = 0;
  bool min_exclusive = false;  // survival_months must be > 0
  bool feature = true;         // input feature (else an outcome label)
  bool log_transform = false;  // log1p before standardising (skewed lab values)
};

// age, sex, ca19_9, stage (features), then pdac, survival_months, event (labels).
const std::vector<ClinicalColumnSpec>& ClinicalColumns();

// Names of the feature columns, in feature-matrix order.
const std::vector<std::string>& ClinicalFeatureNames();

// One patient's typed values.
struct ClinicalRow {
  std::string patient_id;
  Split split = Split::kTrain;
  std::optional<double> age;
  std::optional<double> sex;  // 0 = F, 1 = M
  std::optional<double> ca19_9;
  std::optional<double> stage;
  std::optional<int> pdac;  // 1 = PDAC
  std::optional<double> survival_months;
  std::optional<int> event;  // 1 = death observed

  // Feature values in ClinicalFeatureNames() order.
  std::vector<std::optional<double>> Features() const;
  bool HasAnyFeature() const;
};

// Per-feature mean and standard deviation over the training split (after log1p where the column
// says so), and how many training values each is based on.
struct NormalisationStats {
  std::vector<std::string> names;
  std::vector<double> mean;
  std::vector<double> stddev;  // 1 when fewer than 2 values or zero spread
  std::vector<std::int64_t> count;

  nlohmann::json ToJson() const;
};

// Features of all patients, normalised, row-major [rows x names.size()]. A missing value is 0 in
// `values` and 1 in `missing` (models must read the mask, see model-zoo's Sample).
struct FeatureMatrix {
  std::vector<std::string> patient_ids;
  std::vector<std::string> names;
  std::vector<float> values;
  std::vector<std::uint8_t> missing;

  std::size_t rows() const { return patient_ids.size(); }
  std::size_t cols() const { return names.size(); }
};

class ClinicalTable {
 public:
  // Types every accepted patient's clinical cells. Bad cells are appended to `issues` and left
  // missing; in strict mode the first bad cell is returned as an InvalidArgument error naming
  // "<manifest>:<line>:<column> (<name>)".
  static StatusOr<ClinicalTable> FromManifest(const Manifest& manifest, bool strict,
                                              std::vector<DataIssue>* issues);

  const std::vector<ClinicalRow>& rows() const { return rows_; }

  // Statistics over training-split rows. FailedPrecondition when there is no training patient.
  StatusOr<NormalisationStats> FitNormalisation() const;

  // All rows, standardised with `stats` ((x - mean) / stddev; sex stays 0/1).
  FeatureMatrix Normalise(const NormalisationStats& stats) const;

 private:
  std::vector<ClinicalRow> rows_;
};

}  // namespace pancaim::sitedata
