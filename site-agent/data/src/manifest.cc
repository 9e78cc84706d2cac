#include "pancaim/site_data/manifest.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "pancaim/common/files.h"
#include "pancaim/site_data/csv.h"

namespace pancaim::sitedata {
namespace {

constexpr const char* kClinicalColumns[] = {"age",  "sex",           "ca19_9", "stage",
                                            "pdac", "survival_months", "event"};

std::string Trim(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

bool ValidPatientId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

bool ValidUid(const std::string& uid) {
  return !uid.empty() && uid.size() <= 64 &&
         std::all_of(uid.begin(), uid.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

std::filesystem::path Resolve(const std::filesystem::path& base, const std::string& cell) {
  std::filesystem::path path(cell);
  return path.is_absolute() ? path : (base / path).lexically_normal();
}

// Validates one data row into `record`; returns the first problem as an issue.
std::optional<DataIssue> ParseRow(const Manifest& manifest, const CsvRecord& row,
                                  const std::filesystem::path& base, PatientRecord& record) {
  DataIssue issue;
  issue.file = manifest.path.string();
  issue.line = row.line;
  issue.modality = "manifest";
  if (row.fields.size() != manifest.header.size()) {
    issue.message = "expected " + std::to_string(manifest.header.size()) + " cells, found " +
                    std::to_string(row.fields.size());
    return issue;
  }
  const auto cell = [&](std::string_view name) {
    return Trim(row.fields[static_cast<std::size_t>(manifest.ColumnNumber(name) - 1)]);
  };
  const auto problem = [&](std::string_view column, std::string message) {
    issue.column = manifest.ColumnNumber(column);
    issue.column_name = std::string(column);
    issue.message = std::move(message);
    return issue;
  };
  record.line = row.line;
  record.patient_id = cell("patient_id");
  if (!ValidPatientId(record.patient_id)) {
    return problem("patient_id", "invalid patient id '" + record.patient_id +
                                     "' (expected 1-64 characters from A-Z a-z 0-9 . _ -)");
  }
  issue.patient_id = record.patient_id;
  StatusOr<Split> split = ParseSplit(cell("split"));
  if (!split.ok()) return problem("split", split.status().message());
  record.split = *split;
  if (std::string ct = cell("ct_path"); !ct.empty()) record.ct_path = Resolve(base, ct);
  record.ct_series_uid = cell("ct_series_uid");
  if (!record.ct_series_uid.empty() && !ValidUid(record.ct_series_uid)) {
    return problem("ct_series_uid", "invalid DICOM UID '" + record.ct_series_uid + "'");
  }
  if (!record.ct_series_uid.empty() && !record.ct_path) {
    return problem("ct_series_uid", "series UID given without ct_path");
  }
  if (std::string mask = cell("mask_path"); !mask.empty()) {
    if (!record.ct_path) return problem("mask_path", "mask given without ct_path");
    record.mask_path = Resolve(base, mask);
  }
  const std::string slides = cell("slide_paths");
  for (std::size_t start = 0; start <= slides.size();) {
    const std::size_t end = std::min(slides.find(';', start), slides.size());
    if (std::string slide = Trim(std::string_view(slides).substr(start, end - start)); !slide.empty()) {
      record.slide_paths.push_back(Resolve(base, slide));
    }
    start = end + 1;
  }
  if (std::string vcf = cell("vcf_path"); !vcf.empty()) record.vcf_path = Resolve(base, vcf);
  record.vcf_sample = cell("vcf_sample");
  if (!record.vcf_sample.empty() && !record.vcf_path) {
    return problem("vcf_sample", "VCF sample given without vcf_path");
  }
  bool any_clinical_feature = false;
  for (const char* name : kClinicalColumns) {
    record.clinical_cells[name] = cell(name);
    const std::string_view n(name);
    const bool feature = n == "age" || n == "sex" || n == "ca19_9" || n == "stage";
    any_clinical_feature = any_clinical_feature || (feature && !record.clinical_cells[name].empty());
  }
  if (!record.ct_path && record.slide_paths.empty() && !record.vcf_path && !any_clinical_feature) {
    issue.message = "patient has no data (no CT/MR, slide, VCF or clinical value)";
    return issue;
  }
  return std::nullopt;
}

Status CheckHeader(Manifest& manifest, const CsvRecord& header_row) {
  const std::string where = manifest.path.string() + ":" + std::to_string(header_row.line);
  const auto& known = ManifestColumns();
  for (std::size_t i = 0; i < header_row.fields.size(); ++i) {
    const std::string name = Trim(header_row.fields[i]);
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return InvalidArgumentError(where + ":" + std::to_string(i + 1) + ": unknown column '" +
                                  name + "'");
    }
    if (std::find(manifest.header.begin(), manifest.header.end(), name) != manifest.header.end()) {
      return InvalidArgumentError(where + ":" + std::to_string(i + 1) + ": column '" + name +
                                  "' appears twice");
    }
    manifest.header.push_back(name);
  }
  for (const auto& name : known) {
    if (manifest.ColumnNumber(name) == 0) {
      return InvalidArgumentError(where + ": missing column '" + name + "'");
    }
  }
  return Status::Ok();
}

}  // namespace

std::string_view SplitName(Split split) {
  switch (split) {
    case Split::kTrain:
      return "train";
    case Split::kValidation:
      return "validation";
    case Split::kTest:
      return "test";
  }
  return "unknown";
}

StatusOr<Split> ParseSplit(std::string_view text) {
  if (text == "train") return Split::kTrain;
  if (text == "validation") return Split::kValidation;
  if (text == "test") return Split::kTest;
  return InvalidArgumentError("invalid split '" + std::string(text) +
                              "' (expected train, validation or test)");
}

const std::vector<std::string>& ManifestColumns() {
  static const std::vector<std::string> columns = {
      "patient_id", "split", "ct_path", "ct_series_uid", "mask_path", "slide_paths",
      "vcf_path", "vcf_sample", "age", "sex", "ca19_9", "stage", "pdac", "survival_months",
      "event"};
  return columns;
}

int Manifest::ColumnNumber(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i + 1);
  }
  return 0;
}

StatusOr<Manifest> ParseManifest(std::string_view text, const std::filesystem::path& path,
                                 const ManifestReadOptions& options) {
  Manifest manifest;
  manifest.path = path;
  CsvLimits limits;
  limits.max_records = options.max_patients + 1;
  PANCAIM_ASSIGN_OR_RETURN(std::vector<CsvRecord> rows, ParseCsv(text, path.string(), limits));
  if (rows.empty()) return InvalidArgumentError(path.string() + ":1: empty manifest (no header)");
  PANCAIM_RETURN_IF_ERROR(CheckHeader(manifest, rows[0]));
  const std::filesystem::path base = path.parent_path();
  std::unordered_map<std::string, int> first_line;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    ++manifest.rows;
    PatientRecord record;
    std::optional<DataIssue> issue = ParseRow(manifest, rows[r], base, record);
    if (!issue) {
      auto [it, inserted] = first_line.emplace(record.patient_id, record.line);
      if (!inserted) {
        issue = DataIssue{manifest.path.string(), record.line, manifest.ColumnNumber("patient_id"),
                          "patient_id", record.patient_id, "manifest",
                          "duplicate patient id (first on line " + std::to_string(it->second) + ")"};
      }
    }
    if (issue) {
      if (options.strict) return issue->ToStatus();
      manifest.issues.push_back(std::move(*issue));
      continue;
    }
    manifest.patients.push_back(std::move(record));
  }
  return manifest;
}

StatusOr<Manifest> ReadManifest(const std::filesystem::path& path,
                                const ManifestReadOptions& options) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return NotFoundError(path.string() + ": manifest not found");
  }
  PANCAIM_ASSIGN_OR_RETURN(std::string text, ReadFile(path, options.max_bytes));
  return ParseManifest(text, path, options);
}

}  // namespace pancaim::sitedata
