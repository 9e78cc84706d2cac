// Writes a site's manifest.csv in the shared format (docs/data.md; columns in the contract's
// order, RFC 4180 quoting, empty cell = missing, paths relative to the manifest's folder).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pancaim/common/status.h"

namespace pancaim::scenarios {

// One patient's row. Empty strings and empty optionals are written as empty cells.
struct ManifestRow {
  std::string patient_id;
  std::string split;
  std::string ct_path;
  std::string ct_series_uid;
  std::string mask_path;
  std::vector<std::string> slide_paths;
  std::string vcf_path;
  std::string vcf_sample;
  std::optional<double> age;
  std::string sex;  // "F" | "M"
  std::optional<double> ca19_9;
  std::optional<int> stage;
  bool pdac = false;
  double survival_months = 0.0;
  bool event = false;
};

// The header columns, in order.
const std::vector<std::string>& ManifestColumns();

// Quotes a CSV cell when it holds a comma, quote, CR or LF (RFC 4180).
std::string CsvCell(const std::string& value);

// The manifest text (header plus one line per row, "\n" line ends).
std::string FormatManifest(const std::vector<ManifestRow>& rows);

// Writes FormatManifest(rows) to `path` atomically. Errors name the path.
Status WriteManifest(const std::vector<ManifestRow>& rows, const std::filesystem::path& path);

}  // namespace pancaim::scenarios
