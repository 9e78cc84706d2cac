// Reading and writing CT/MR volumes: NIfTI (.nii, .nii.gz), MetaImage (.mha, .mhd), NRRD (.nrrd,
// .nhdr) files and DICOM series (a folder, read through GDCM). ITK does the parsing; every ITK
// exception is caught here and returned as a Status naming the file and the reason.
//
// Free functions, stateless; safe to call from several threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/imaging/volume.h"

namespace pancaim::imaging {

enum class VolumeFormat { kNifti, kMetaImage, kNrrd, kDicomSeries };

// "NIfTI", "MetaImage", "NRRD", "DICOM series".
std::string_view VolumeFormatName(VolumeFormat format);

// Where a volume comes from: a file, or a DICOM folder plus the series to pick in it.
struct VolumeSource {
  std::filesystem::path path;
  // DICOM only: SeriesInstanceUID to read when the folder holds several series; empty = the
  // series with the most files (an error when two series tie for the most).
  std::string series_uid;
};

// Bounds applied before any pixel is allocated.
struct ReadLimits {
  std::int64_t max_voxels = std::int64_t{1} << 30;   // 4 GiB as float
  std::int64_t max_dicom_files = 10000;              // files considered in one folder
};

// A volume as read, before preprocessing, with what was learnt on the way.
struct LoadedVolume {
  Volume volume;                          // intensities as stored (HU for CT), as float
  VolumeFormat format = VolumeFormat::kNifti;
  std::string series_uid;                 // DICOM: the series read
  std::vector<std::filesystem::path> files;  // files actually read (one, or the series' slices)
  std::vector<std::string> notes;         // non-fatal remarks, e.g. which series was chosen
};

// Format from the path: a folder is a DICOM series, otherwise by extension (case-insensitive).
// Errors: NotFound when the path does not exist, InvalidArgument for an unknown extension.
StatusOr<VolumeFormat> DetectVolumeFormat(const std::filesystem::path& path);

// Reads the geometry only (header of the file or of the chosen series), no pixels. Cheap.
// Errors as ReadVolume.
StatusOr<LoadedVolume> ReadVolumeHeader(const VolumeSource& source, const ReadLimits& limits = {});

// Reads a whole volume as float. Errors (message starts with the path):
//   NotFound         the file or folder does not exist; no DICOM series in the folder; the
//                    requested series UID is not in the folder
//   DataLoss         truncated or corrupt file (e.g. a cut .nii.gz)
//   InvalidArgument  unknown format, not a 3-D scalar image, non-orthonormal direction cosines,
//                    several DICOM series of equal size and no series UID to choose
//   ResourceExhausted  more voxels or files than `limits`
StatusOr<LoadedVolume> ReadVolume(const VolumeSource& source, const ReadLimits& limits = {});

// Writes a volume as NIfTI, MetaImage or NRRD chosen by `path`'s extension (.nii.gz compresses).
// Voxels are stored as float32. Errors name the path.
Status WriteVolume(const Volume& volume, const std::filesystem::path& path);

// Options for writing a DICOM CT series (one file per slice, int16 HU).
struct DicomSeriesWriteOptions {
  std::string series_uid;   // empty: a fresh 2.25.<random> UID
  std::string study_uid;    // empty: a fresh UID
  std::string patient_id = "ANONYMOUS";
  std::string modality = "CT";
  int series_number = 1;
};

// Writes `volume` as a DICOM series into `folder` (created if needed), files slice_0000.dcm ...
// Intensities are rounded to int16. Returns the series UID written. Errors name the folder.
StatusOr<std::string> WriteDicomSeries(const Volume& volume, const std::filesystem::path& folder,
                                       const DicomSeriesWriteOptions& options = {});

}  // namespace pancaim::imaging
