// Test helpers for the imaging tests: synthetic phantoms, temporary folders, and the Debian
// packages' real files when installed.
#pragma once

#include <array>
#include <filesystem>
#include <string>

#include "pancaim/imaging/volume.h"
#include "pancaim/imaging/volume_io.h"

namespace pancaim::imaging::testing {

// A VolumeSource for a path, with no series UID.
inline VolumeSource Src(std::filesystem::path path, std::string series_uid = "") {
  VolumeSource source;
  source.path = std::move(path);
  source.series_uid = std::move(series_uid);
  return source;
}

// A fresh empty folder under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A CT-like phantom: air (-1000 HU) outside an ellipsoidal body of soft tissue (40 HU) and a
// bright cube (200 HU) whose first voxel is at index `cube_at` (4 voxels wide).
Volume MakePhantom(std::array<std::int64_t, 3> size, std::array<double, 3> spacing,
                   std::array<std::int64_t, 3> cube_at = {2, 2, 2});

// A label mask on `like`'s grid: 1 inside the cube of MakePhantom(cube_at), 0 elsewhere.
Volume MakeCubeMask(const Volume& like, std::array<std::int64_t, 3> cube_at);

// Writes an uncompressed NIfTI-1 file by hand (float32 voxels), with qform_code 0 and the given
// sform rows (3x4, row-major): lets tests build headers ITK itself would never write.
void WriteRawNifti(const std::filesystem::path& path, std::array<std::int64_t, 3> size,
                   const std::array<float, 12>& sform);

// Whole file as bytes (empty when unreadable), and bytes written to a file.
std::string ReadAll(const std::filesystem::path& path);
void WriteAll(const std::filesystem::path& path, const std::string& bytes);

// Keeps the first `keep` bytes of a file.
void TruncateFile(const std::filesystem::path& path, std::uintmax_t keep);

// A file of the mricron-data package (e.g. "ch2.nii.gz"), or empty when not installed.
std::filesystem::path MricronTemplate(const std::string& name);

// A test file of python3-pydicom (e.g. "CT_small.dcm"), or empty when not installed.
std::filesystem::path PydicomTestFile(const std::string& name);

}  // namespace pancaim::imaging::testing
