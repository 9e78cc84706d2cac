// DatasetSummary: aggregate counts describing a site's data for the agent's hello message and
// reports: patients per split, per modality (declared in the manifest, and usable after reading),
// label balance, and records skipped. Counts only, never patient ids or values.
//
// A value type; not synchronized.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace pancaim::sitedataset {

struct DatasetSummary {
  std::string site_id;
  std::string split;       // the dataset's split: "train", "validation" or "test"
  std::string modalities;  // what the dataset reads, ModalitySet::ToString()
  std::int64_t size = 0;   // patients in this dataset (after `required` and label filters)

  // Over the whole manifest (all splits): accepted patients per split name.
  std::map<std::string, std::int64_t> patients_per_split;
  // Over the whole manifest: patients declaring each modality ("ct", "mask", "slides",
  // "genomics", "clinical").
  std::map<std::string, std::int64_t> declared;
  // In this dataset: patients for whom each requested modality is available (genomics: VCF read
  // at Open; ct and slides: declared minus files found unreadable so far).
  std::map<std::string, std::int64_t> available;
  // In this dataset: label balance.
  std::int64_t pdac_positive = 0;
  std::int64_t pdac_negative = 0;
  std::int64_t pdac_unknown = 0;
  std::int64_t survival_known = 0;
  std::int64_t events = 0;
  // Skipped records per modality ("manifest", "clinical", "genomics", "ct", "pathology").
  std::map<std::string, std::int64_t> failures;
  // Patients of the split left out for lack of a required modality or label.
  std::int64_t excluded = 0;

  // {"site", "split", "modalities", "size", "patients_per_split", "declared", "available",
  //  "labels": {"pdac_positive", ...}, "failures", "excluded"}.
  nlohmann::json ToJson() const;
};

}  // namespace pancaim::sitedataset
