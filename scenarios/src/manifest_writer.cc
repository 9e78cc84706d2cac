#include "pancaim/scenarios/manifest_writer.h"

#include <cstdio>

#include "pancaim/common/files.h"

namespace pancaim::scenarios {
namespace {

std::string Number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", value);
  return buffer;
}

std::string JoinCells(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += ',';
    line += CsvCell(cells[i]);
  }
  return line + "\n";
}

}  // namespace

const std::vector<std::string>& ManifestColumns() {
  static const std::vector<std::string> kColumns = {
      "patient_id", "split", "ct_path", "ct_series_uid", "mask_path", "slide_paths", "vcf_path",
      "vcf_sample", "age", "sex", "ca19_9", "stage", "pdac", "survival_months", "event"};
  return kColumns;
}

std::string CsvCell(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string FormatManifest(const std::vector<ManifestRow>& rows) {
  std::string text = JoinCells(ManifestColumns());
  for (const auto& row : rows) {
    std::string slides;
    for (const auto& slide : row.slide_paths) slides += (slides.empty() ? "" : ";") + slide;
    text += JoinCells({row.patient_id, row.split, row.ct_path, row.ct_series_uid, row.mask_path,
                       slides, row.vcf_path, row.vcf_sample, row.age ? Number(*row.age) : "",
                       row.sex, row.ca19_9 ? Number(*row.ca19_9) : "",
                       row.stage ? std::to_string(*row.stage) : "", row.pdac ? "1" : "0",
                       Number(row.survival_months), row.event ? "1" : "0"});
  }
  return text;
}

Status WriteManifest(const std::vector<ManifestRow>& rows, const std::filesystem::path& path) {
  return WriteFileAtomic(path, FormatManifest(rows));
}

}  // namespace pancaim::scenarios
