#include "gdcm_pixel_check.h"

#include <gdcmByteValue.h>
#include <gdcmImage.h>
#include <gdcmImageReader.h>

#include <cstdint>
#include <cstring>
#include <string_view>

#include "pancaim/common/files.h"

namespace pancaim::imaging::internal {

namespace {

// Bytes of Pixel Data actually present after the (7FE0,0010) element whose declared length is
// `declared`, or -1 when no such element header is found (then no conclusion is drawn). GDCM
// reports the declared length even when the file ends early, so the file's bytes are inspected.
std::int64_t PresentPixelBytes(std::string_view bytes, std::uint32_t declared) {
  static constexpr char kTag[4] = {'\xe0', '\x7f', '\x10', '\x00'};  // little endian
  for (std::size_t at = bytes.find(std::string_view(kTag, 4)); at != std::string_view::npos;
       at = bytes.find(std::string_view(kTag, 4), at + 1)) {
    // Explicit VR (OB/OW: 2 reserved bytes, 4-byte length) or implicit VR (4-byte length).
    for (const std::size_t header : {std::size_t{12}, std::size_t{8}}) {
      if (at + header > bytes.size()) continue;
      if (header == 12 && bytes.substr(at + 4, 2) != "OW" && bytes.substr(at + 4, 2) != "OB") {
        continue;
      }
      std::uint32_t length = 0;
      std::memcpy(&length, bytes.data() + at + header - 4, 4);
      if (length == declared) return static_cast<std::int64_t>(bytes.size() - at - header);
    }
  }
  return -1;
}

}  // namespace

Status CheckDicomPixelData(const std::filesystem::path& file) {
  gdcm::ImageReader reader;
  reader.SetFileName(file.c_str());
  if (!reader.Read()) {
    return DataLossError(file.string() + ": GDCM cannot parse the file (truncated or corrupt)");
  }
  const gdcm::Image& image = reader.GetImage();
  const gdcm::DataElement& pixel_data = image.GetDataElement();
  const gdcm::ByteValue* bytes = pixel_data.GetByteValue();
  if (bytes == nullptr) return Status::Ok();  // encapsulated (compressed) fragments
  const unsigned long long expected = image.GetBufferLength();
  unsigned long long present = bytes->GetLength();
  if (present >= expected) {
    PANCAIM_ASSIGN_OR_RETURN(std::string raw, ReadFile(file, std::uint64_t{1} << 31));
    const std::int64_t in_file = PresentPixelBytes(raw, bytes->GetLength());
    if (in_file >= 0 && static_cast<unsigned long long>(in_file) < present) present = in_file;
  }
  if (present < expected) {
    return DataLossError(file.string() + ": truncated pixel data: " + std::to_string(expected) +
                         " bytes expected, " + std::to_string(present) + " present");
  }
  return Status::Ok();
}

}  // namespace pancaim::imaging::internal
