// Reader for IDX files (the format of the MNIST data set: LeCun et al.): a 4-byte magic number
// (two zero bytes, a type code, the number of dimensions), big-endian 32-bit sizes, then the data.
// Only unsigned-byte data (type 0x08) is accepted, which is what MNIST uses. Validation is
// strict: magic, type, dimension count 1..4, every size ≥ 1, and a file length exactly equal to
// header + product of sizes, all checked before the data is copied; bounded by `max_bytes`.
//
// Plain values and functions; thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"

namespace pancaim::scenarios {

// An unsigned-byte IDX array, row-major.
struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;
};

// Parses IDX bytes. InvalidArgument naming `source` and what is wrong (bad magic, unsupported
// type, truncated or oversized data).
StatusOr<IdxArray> ParseIdx(std::string_view bytes, std::string_view source);

// Reads and parses an IDX file of at most `max_bytes` (gzip-compressed files are refused with a
// message saying to decompress them).
StatusOr<IdxArray> ReadIdxFile(const std::filesystem::path& path,
                               std::uint64_t max_bytes = std::uint64_t{256} << 20);

// MNIST-style images with their labels.
struct LabeledImages {
  std::uint32_t count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // count × rows × cols
  std::vector<std::uint8_t> labels;  // count, each 0..9
};

// Reads an images file (3 dimensions) and a labels file (1 dimension) and checks they agree:
// same count, labels 0..9. Errors name the file.
StatusOr<LabeledImages> ReadMnist(const std::filesystem::path& images,
                                  const std::filesystem::path& labels);

}  // namespace pancaim::scenarios
