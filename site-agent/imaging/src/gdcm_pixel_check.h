// Internal to pancaim::imaging: GDCM recovers a DICOM file whose Pixel Data is cut short (and ITK
// then reads it without error), so each slice's pixel data length is checked first.
#pragma once

#include <filesystem>

#include "pancaim/common/status.h"

namespace pancaim::imaging::internal {

// DataLoss naming the file when its native (uncompressed) Pixel Data holds fewer bytes than rows x
// columns x frames x samples x bits allocated need, or when GDCM cannot parse it. Encapsulated
// (compressed) pixel data is left to the decoder.
Status CheckDicomPixelData(const std::filesystem::path& file);

}  // namespace pancaim::imaging::internal
