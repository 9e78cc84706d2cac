// The site manifest: one CSV row per patient naming the patient's files and clinical values
// (format in docs/data.md). ReadManifest validates the header (every column known, none missing,
// any order), each row's id, split and paths, duplicate ids, and patients with no data; paths are
// resolved against the manifest's folder. File existence is checked later, per modality, by
// check-data and the readers.
//
// Manifest and PatientRecord are values; not synchronized.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/site_data/data_issue.h"

namespace pancaim::sitedata {

enum class Split { kTrain, kValidation, kTest };

// "train", "validation", "test".
std::string_view SplitName(Split split);
StatusOr<Split> ParseSplit(std::string_view text);

// The manifest's columns, in the documented order.
const std::vector<std::string>& ManifestColumns();

// One patient (one manifest row). Paths are absolute or relative to the working directory, already
// resolved against the manifest's folder.
struct PatientRecord {
  std::string patient_id;
  Split split = Split::kTrain;
  int line = 0;  // manifest line of the row
  std::optional<std::filesystem::path> ct_path;  // file, or DICOM folder
  std::string ct_series_uid;                     // empty: largest series in the folder
  std::optional<std::filesystem::path> mask_path;
  std::vector<std::filesystem::path> slide_paths;
  std::optional<std::filesystem::path> vcf_path;
  std::string vcf_sample;  // empty: the VCF's only sample
  // Raw text of the clinical and label columns (age, sex, ca19_9, stage, pdac, survival_months,
  // event), by column name; the clinical table types them.
  std::map<std::string, std::string, std::less<>> clinical_cells;
};

struct Manifest {
  std::filesystem::path path;
  std::vector<std::string> header;     // column names in file order
  std::vector<PatientRecord> patients;  // accepted rows, in file order
  std::vector<DataIssue> issues;        // skipped rows and other row problems (lenient mode)
  std::size_t rows = 0;                 // data rows in the file

  // 1-based position of `name` in the file, 0 if absent.
  int ColumnNumber(std::string_view name) const;
};

struct ManifestReadOptions {
  bool strict = false;  // first row problem is an error instead of an issue
  std::uint64_t max_bytes = std::uint64_t{256} << 20;
  std::size_t max_patients = 1'000'000;
};

// Reads and validates a manifest file. Errors (message starts with "<file>:<line>"):
//   NotFound          the file does not exist
//   InvalidArgument   CSV syntax; unknown, missing or repeated header columns; in strict mode any
//                     row problem (wrong number of cells, bad id, duplicate id, bad split, patient
//                     with no data, mask or series UID without a CT ...)
//   ResourceExhausted file or row count above the limits
// In lenient mode, rows with problems are skipped and recorded in Manifest::issues.
StatusOr<Manifest> ReadManifest(const std::filesystem::path& path,
                                const ManifestReadOptions& options = {});

// As ReadManifest, from text; `path` names the source and anchors relative paths.
StatusOr<Manifest> ParseManifest(std::string_view text, const std::filesystem::path& path,
                                 const ManifestReadOptions& options = {});

}  // namespace pancaim::sitedata
