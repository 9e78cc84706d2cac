// Writes rendered CT volumes and masks through ITK: NIfTI (.nii.gz) files and DICOM series
// (GDCM, one CT Image Storage file per axial slice, with patient/study/series/SOP UIDs, position,
// orientation, spacing and thickness tags). Output is byte-identical for identical input: the
// UIDs and dates come from the caller, never from the clock or a random generator.
//
// Functions are safe to call from several threads on different paths.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>

#include "pancaim/common/status.h"
#include "pancaim/scenarios/ct_phantom.h"

namespace pancaim::scenarios {

// Identity and acquisition tags of one DICOM series.
struct DicomSeriesInfo {
  std::string patient_id;
  std::string patient_sex;   // "F" | "M"
  int patient_age_years = 0;
  std::string study_uid;
  std::string series_uid;
  std::string frame_of_reference_uid;
  std::string sop_uid_prefix;  // slice k gets "<prefix>.<k+1>"
  std::string manufacturer;
  std::string study_date = "20260101";  // YYYYMMDD
  std::string institution;
};

// A UID under the "2.25" root (an integer form of a 128-bit value, ISO/IEC 9834-8) derived from
// `seed` and `labels`: stable across runs, distinct for distinct labels, at most 44 characters.
std::string DeterministicUid(std::uint64_t seed, std::initializer_list<std::uint64_t> labels);

// Writes the volume's intensities (int16 HU) as NIfTI; `path` should end in .nii.gz or .nii.
// Errors name the path.
Status WriteCtNifti(const CtVolume& volume, const std::filesystem::path& path);

// Writes the volume's mask (uint8 labels 0/1/2) as NIfTI with the volume's geometry.
Status WriteMaskNifti(const CtVolume& volume, const std::filesystem::path& path);

// Writes the volume as a DICOM series into `folder` (created if needed): files
// slice-0001.dcm ... one per z index. Errors name the file.
Status WriteCtDicomSeries(const CtVolume& volume, const DicomSeriesInfo& info,
                          const std::filesystem::path& folder);

}  // namespace pancaim::scenarios
