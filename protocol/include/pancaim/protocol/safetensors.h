// The safetensors format (https://github.com/huggingface/safetensors), used for model checkpoints on
// disk and for model/update payloads on the wire, so any model we write opens with Python's
// `safetensors` or `torch` tooling.
//
// Layout: 8-byte little-endian header length N; N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"key": "string value", ...}}
// then the data section; offsets are relative to its start, raw little-endian values.
//
// Parsing validates everything before any tensor byte is touched: header length cap, well-formed
// JSON, known dtype, shape entries non-negative with no overflow, byte count = product(shape) x
// dtype size, offsets in range, tensors contiguous and non-overlapping covering the data section
// exactly, no duplicate names. A malformed buffer gives an InvalidArgument/DataLoss Status naming
// the tensor and field (ResourceExhausted when a SafetensorsLimits bound is exceeded), never a
// crash or an out-of-bounds read.
//
// Pure functions over byte spans: no I/O, no LibTorch (see tensorio/ for torch conversion).
// Views do not own bytes: the caller keeps the buffer alive. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"

namespace pancaim::protocol {

// Element types of the safetensors specification that we support.
enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };

std::string_view DTypeName(DType dtype);         // "F32", "BOOL", ...
StatusOr<DType> ParseDType(std::string_view name);  // refuses names we do not support
std::size_t DTypeSize(DType dtype);              // bytes per element

// One tensor: name, element type, shape and its raw little-endian bytes (a view, not owned).
struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;  // empty = scalar (one element)
  std::string_view data;            // exactly NumElements() * DTypeSize(dtype) bytes

  std::int64_t NumElements() const;  // product of shape; 1 for a scalar
};

// Bounds applied while parsing untrusted bytes.
struct SafetensorsLimits {
  std::uint64_t max_header_bytes = 16u << 20;  // JSON header
  std::uint64_t max_tensors = 1u << 16;
  std::uint64_t max_rank = 16;
};

// A parsed safetensors buffer: tensors in the order of their data offsets, plus metadata.
// Holds views into the buffer given to Parse(); that buffer must outlive this object.
class SafetensorsView {
 public:
  static StatusOr<SafetensorsView> Parse(std::string_view buffer,
                                         const SafetensorsLimits& limits = {});

  const std::vector<TensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // nullptr when absent.
  const TensorView* Find(std::string_view name) const;

 private:
  std::vector<TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Serializes tensors (in the given order) and metadata. The header is padded with spaces to a
// multiple of 8 bytes so that data is aligned. Fails on duplicate names, a "__metadata__" tensor
// name, or a data size that does not match dtype and shape (a programmer error in the caller's
// bookkeeping, but reported as a Status because shapes may come from configuration).
StatusOr<std::string> SerializeSafetensors(const std::vector<TensorView>& tensors,
                                           const std::map<std::string, std::string>& metadata = {});

}  // namespace pancaim::protocol
