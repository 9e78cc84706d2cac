#include "pancaim/scenarios/idx_reader.h"

#include "pancaim/common/files.h"

namespace pancaim::scenarios {
namespace {

constexpr std::uint8_t kUnsignedByte = 0x08;
constexpr std::size_t kMaxDims = 4;

std::uint32_t BigEndian32(std::string_view bytes, std::size_t offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + offset);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

}  // namespace

StatusOr<IdxArray> ParseIdx(std::string_view bytes, std::string_view source) {
  const std::string where(source);
  if (bytes.size() < 4) {
    return InvalidArgumentError(where + ": " + std::to_string(bytes.size()) +
                                " bytes, too short for an IDX header");
  }
  const auto* header = reinterpret_cast<const unsigned char*>(bytes.data());
  if (header[0] == 0x1f && header[1] == 0x8b) {
    return InvalidArgumentError(where + ": gzip-compressed; decompress it first (gunzip)");
  }
  if (header[0] != 0 || header[1] != 0) {
    return InvalidArgumentError(where + ": bad IDX magic number (first two bytes must be zero)");
  }
  if (header[2] != kUnsignedByte) {
    return InvalidArgumentError(where + ": IDX type code " + std::to_string(header[2]) +
                                " is not supported (only 8 = unsigned byte)");
  }
  const std::size_t dim_count = header[3];
  if (dim_count < 1 || dim_count > kMaxDims) {
    return InvalidArgumentError(where + ": " + std::to_string(dim_count) +
                                " dimensions (expected 1.." + std::to_string(kMaxDims) + ")");
  }
  const std::size_t header_bytes = 4 + 4 * dim_count;
  if (bytes.size() < header_bytes) {
    return InvalidArgumentError(where + ": truncated header (" + std::to_string(bytes.size()) +
                                " bytes, need " + std::to_string(header_bytes) + ")");
  }
  IdxArray out;
  std::uint64_t elements = 1;
  for (std::size_t d = 0; d < dim_count; ++d) {
    const std::uint32_t size = BigEndian32(bytes, 4 + 4 * d);
    if (size == 0) {
      return InvalidArgumentError(where + ": dimension " + std::to_string(d) + " has size 0");
    }
    elements *= size;
    // The file's own length bounds the product; stop before it can overflow.
    if (elements > bytes.size()) {
      return InvalidArgumentError(where + ": sizes promise more data than the file's " +
                                  std::to_string(bytes.size()) + " bytes");
    }
    out.dims.push_back(size);
  }
  const std::uint64_t data_bytes = bytes.size() - header_bytes;
  if (data_bytes != elements) {
    return InvalidArgumentError(where + ": " + std::to_string(data_bytes) +
                                " data bytes, the header's sizes need " +
                                std::to_string(elements) +
                                (data_bytes < elements ? " (truncated)" : " (trailing bytes)"));
  }
  out.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header_bytes), bytes.end());
  return out;
}

StatusOr<IdxArray> ReadIdxFile(const std::filesystem::path& path, std::uint64_t max_bytes) {
  PANCAIM_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path, max_bytes));
  return ParseIdx(bytes, path.string());
}

StatusOr<LabeledImages> ReadMnist(const std::filesystem::path& images,
                                  const std::filesystem::path& labels) {
  PANCAIM_ASSIGN_OR_RETURN(IdxArray image_array, ReadIdxFile(images));
  PANCAIM_ASSIGN_OR_RETURN(IdxArray label_array, ReadIdxFile(labels));
  if (image_array.dims.size() != 3) {
    return InvalidArgumentError(images.string() + ": images need 3 dimensions, got " +
                                std::to_string(image_array.dims.size()));
  }
  if (label_array.dims.size() != 1) {
    return InvalidArgumentError(labels.string() + ": labels need 1 dimension, got " +
                                std::to_string(label_array.dims.size()));
  }
  if (image_array.dims[0] != label_array.dims[0]) {
    return InvalidArgumentError(labels.string() + ": " + std::to_string(label_array.dims[0]) +
                                " labels for " + std::to_string(image_array.dims[0]) +
                                " images in " + images.string());
  }
  for (std::size_t i = 0; i < label_array.data.size(); ++i) {
    if (label_array.data[i] > 9) {
      return InvalidArgumentError(labels.string() + ": label " + std::to_string(i) + " is " +
                                  std::to_string(label_array.data[i]) + " (expected 0..9)");
    }
  }
  LabeledImages out;
  out.count = image_array.dims[0];
  out.rows = image_array.dims[1];
  out.cols = image_array.dims[2];
  out.pixels = std::move(image_array.data);
  out.labels = std::move(label_array.data);
  return out;
}

}  // namespace pancaim::scenarios
