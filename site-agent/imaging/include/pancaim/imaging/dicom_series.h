// DICOM folders: which series a folder holds and which one to read. A hospital export often puts
// several series (scout, arterial, venous phase) in one folder; the manifest can name the
// SeriesInstanceUID, otherwise the series with the most slices is taken.
//
// Free functions, stateless; thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pancaim/common/status.h"

namespace pancaim::imaging {

// One series found in a folder, files in slice order (sorted by GDCM along the slice normal).
struct DicomSeriesInfo {
  std::string uid;
  std::vector<std::filesystem::path> files;
};

// Lists the series in `folder` (not recursive), largest first. Errors: NotFound when the folder
// does not exist or holds no readable DICOM image series; ResourceExhausted when it holds more
// than `max_files` files.
StatusOr<std::vector<DicomSeriesInfo>> ListDicomSeries(const std::filesystem::path& folder,
                                                       std::int64_t max_files = 10000);

// Picks the series to read: the one whose UID is `wanted_uid` when given (NotFound listing the
// UIDs present otherwise), else the only or the largest one; InvalidArgument when the largest
// size is shared by several series (ambiguous: the manifest must name one). A remark about the
// choice is appended to `notes` when the folder held several series.
StatusOr<DicomSeriesInfo> ChooseDicomSeries(const std::filesystem::path& folder,
                                            const std::string& wanted_uid,
                                            std::vector<std::string>* notes,
                                            std::int64_t max_files = 10000);

}  // namespace pancaim::imaging
