// The seam between check-data and the per-modality readers. Each modality (CT/MR through ITK;
// whole slides through OpenSlide; VCF through HTSlib) provides a ModalityChecker that reads one
// patient's files of that modality and records what it found in the modality's report section.
// RunCheckData (check_data.h) drives the checkers patient by patient; adding a modality means
// writing one checker and listing it in MakeModalityCheckers.
//
// A checker is used from one thread; it may keep state across patients (caches, statistics).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/site_data/check_report.h"
#include "pancaim/site_data/manifest.h"
#include "pancaim/site_data/site_config.h"

namespace pancaim::sitedata {

class ModalityChecker {
 public:
  virtual ~ModalityChecker() = default;

  // "ct", "pathology", "genomics": the report section's name.
  virtual std::string_view modality() const = 0;

  // Whether `patient`'s manifest row lists files of this modality.
  virtual bool Applies(const PatientRecord& patient) const = 0;

  // False when this build cannot read the modality; then patients are only counted and
  // `NotCheckedReason()` is reported (the report's `checked: false`).
  virtual bool Available() const { return true; }
  virtual std::string NotCheckedReason() const { return ""; }

  // Reads and checks the patient's files. Records files read, histograms and counts in `report`;
  // returns the first failure (a Status naming the file and the reason) without recording it: the
  // caller records it in report.failures and, in strict mode, stops.
  virtual Status Check(const PatientRecord& patient, ModalityReport& report) = 0;

  // The file a failure returned by Check is about (for the report's "file" field); may be empty.
  virtual std::string FailedFile(const PatientRecord& patient, const Status& failure) const {
    return "";
  }
};

// CT/MR: reads (and preprocesses, through the site's cache when enabled) each patient's volume and
// mask; histograms of in-plane spacing, slice thickness and slice count; counts per format.
std::unique_ptr<ModalityChecker> MakeCtChecker(const SiteConfig& config);

// Whole slides: InspectSlide (OpenSlide) on each slide with the site's pathology settings;
// histograms of level-0 resolution, tissue fraction and tissue tiles; counts per vendor.
std::unique_ptr<ModalityChecker> MakeSlideChecker(const SiteConfig& config);

// VCF/BCF: InspectVcf (HTSlib) over the site's gene panel (genomics.bed_path, else the shipped
// PDAC panel); counts per format/index, contig naming and mutated gene. Errors: the BED file
// cannot be read.
StatusOr<std::unique_ptr<ModalityChecker>> MakeVcfChecker(const SiteConfig& config);

// The checkers of this build, in report order: ct, pathology, genomics. Errors: those of
// MakeVcfChecker.
StatusOr<std::vector<std::unique_ptr<ModalityChecker>>> MakeModalityCheckers(
    const SiteConfig& config);

}  // namespace pancaim::sitedata
