#include "pancaim/site_data/clinical_table.h"

#include <charconv>
#include <cmath>

namespace pancaim::sitedata {
namespace {

using Kind = ClinicalColumnSpec::Kind;

// Parses a whole cell as a finite number (no trailing characters, no "nan"/"inf").
std::optional<double> ParseNumber(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::string FormatBound(double value) {
  std::string text = std::to_string(value);
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

// The typed value of one cell, or the reason it is not valid.
StatusOr<double> TypeCell(const ClinicalColumnSpec& spec, const std::string& text) {
  if (spec.kind == Kind::kSex) {
    if (text == "F" || text == "f") return 0.0;
    if (text == "M" || text == "m") return 1.0;
    return InvalidArgumentError("invalid sex '" + text + "' (expected F or M)");
  }
  std::optional<double> value = ParseNumber(text);
  if (!value) return InvalidArgumentError("not a number: '" + text + "'");
  if ((spec.kind == Kind::kInteger || spec.kind == Kind::kBinary) && *value != std::floor(*value)) {
    return InvalidArgumentError("not an integer: '" + text + "'");
  }
  const bool below = spec.min_exclusive ? *value <= spec.min : *value < spec.min;
  if (below || *value > spec.max) {
    return OutOfRangeError("value " + text + " outside " + (spec.min_exclusive ? "(" : "[") +
                           FormatBound(spec.min) + ", " + FormatBound(spec.max) + "]");
  }
  return *value;
}

double Transform(const ClinicalColumnSpec& spec, double value) {
  return spec.log_transform ? std::log1p(value) : value;
}

const ClinicalColumnSpec& SpecOf(const std::string& name) {
  for (const auto& spec : ClinicalColumns()) {
    if (spec.name == name) return spec;
  }
  PANCAIM_CHECK(false) << "unknown clinical column " << name;
  return ClinicalColumns().front();
}

}  // namespace

const std::vector<ClinicalColumnSpec>& ClinicalColumns() {
  static const std::vector<ClinicalColumnSpec> columns = {
      {"age", Kind::kNumber, 0, 130, false, true, false},
      {"sex", Kind::kSex, 0, 1, false, true, false},
      {"ca19_9", Kind::kNumber, 0, 1e7, false, true, true},
      {"stage", Kind::kInteger, 0, 4, false, true, false},
      {"pdac", Kind::kBinary, 0, 1, false, false, false},
      {"survival_months", Kind::kNumber, 0, 1200, true, false, false},
      {"event", Kind::kBinary, 0, 1, false, false, false},
  };
  return columns;
}

const std::vector<std::string>& ClinicalFeatureNames() {
  static const std::vector<std::string> names = {"age", "sex", "ca19_9", "stage"};
  return names;
}

std::vector<std::optional<double>> ClinicalRow::Features() const {
  return {age, sex, ca19_9, stage};
}

bool ClinicalRow::HasAnyFeature() const {
  for (const auto& value : Features()) {
    if (value) return true;
  }
  return false;
}

StatusOr<ClinicalTable> ClinicalTable::FromManifest(const Manifest& manifest, bool strict,
                                                    std::vector<DataIssue>* issues) {
  ClinicalTable table;
  for (const PatientRecord& patient : manifest.patients) {
    ClinicalRow row;
    row.patient_id = patient.patient_id;
    row.split = patient.split;
    for (const ClinicalColumnSpec& spec : ClinicalColumns()) {
      auto cell = patient.clinical_cells.find(spec.name);
      if (cell == patient.clinical_cells.end() || cell->second.empty()) continue;  // missing
      StatusOr<double> value = TypeCell(spec, cell->second);
      if (!value.ok()) {
        DataIssue issue{manifest.path.string(), patient.line, manifest.ColumnNumber(spec.name),
                        spec.name, patient.patient_id, "clinical", value.status().message()};
        if (strict) return issue.ToStatus(value.status().code());
        if (issues != nullptr) issues->push_back(std::move(issue));
        continue;  // the value stays missing
      }
      if (spec.name == "age") row.age = *value;
      if (spec.name == "sex") row.sex = *value;
      if (spec.name == "ca19_9") row.ca19_9 = *value;
      if (spec.name == "stage") row.stage = *value;
      if (spec.name == "pdac") row.pdac = static_cast<int>(*value);
      if (spec.name == "survival_months") row.survival_months = *value;
      if (spec.name == "event") row.event = static_cast<int>(*value);
    }
    table.rows_.push_back(std::move(row));
  }
  return table;
}

StatusOr<NormalisationStats> ClinicalTable::FitNormalisation() const {
  NormalisationStats stats;
  stats.names = ClinicalFeatureNames();
  const std::size_t cols = stats.names.size();
  std::vector<double> sum(cols, 0.0);
  std::vector<double> sum_sq(cols, 0.0);
  stats.count.assign(cols, 0);
  bool any_training = false;
  for (const ClinicalRow& row : rows_) {
    if (row.split != Split::kTrain) continue;
    any_training = true;
    const auto features = row.Features();
    for (std::size_t c = 0; c < cols; ++c) {
      if (!features[c]) continue;
      const double x = Transform(SpecOf(stats.names[c]), *features[c]);
      sum[c] += x;
      sum_sq[c] += x * x;
      ++stats.count[c];
    }
  }
  if (!any_training) {
    return FailedPreconditionError("no patient in the training split: cannot fit normalisation");
  }
  for (std::size_t c = 0; c < cols; ++c) {
    const double n = static_cast<double>(stats.count[c]);
    const double mean = n > 0 ? sum[c] / n : 0.0;
    // Sample standard deviation; 1 when undefined so that normalising is a no-op scale.
    const double var = n > 1 ? std::max(0.0, (sum_sq[c] - n * mean * mean) / (n - 1)) : 0.0;
    stats.mean.push_back(mean);
    stats.stddev.push_back(var > 1e-24 ? std::sqrt(var) : 1.0);
  }
  return stats;
}

FeatureMatrix ClinicalTable::Normalise(const NormalisationStats& stats) const {
  FeatureMatrix matrix;
  matrix.names = stats.names;
  const std::size_t cols = stats.names.size();
  for (const ClinicalRow& row : rows_) {
    matrix.patient_ids.push_back(row.patient_id);
    const auto features = row.Features();
    for (std::size_t c = 0; c < cols; ++c) {
      const ClinicalColumnSpec& spec = SpecOf(stats.names[c]);
      if (!features[c]) {
        matrix.values.push_back(0.0f);
        matrix.missing.push_back(1);
        continue;
      }
      const double x = spec.kind == Kind::kSex
                           ? *features[c]
                           : (Transform(spec, *features[c]) - stats.mean[c]) / stats.stddev[c];
      matrix.values.push_back(static_cast<float>(x));
      matrix.missing.push_back(0);
    }
  }
  return matrix;
}

nlohmann::json NormalisationStats::ToJson() const {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t c = 0; c < names.size(); ++c) {
    out[names[c]] = {{"mean", mean[c]}, {"stddev", stddev[c]}, {"training_values", count[c]}};
  }
  return out;
}

}  // namespace pancaim::sitedata
