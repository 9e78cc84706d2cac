#include "pancaim/protocol/safetensors.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "untrusted_json.h"

namespace pancaim::protocol {
namespace {

// Tensor bytes are copied verbatim; the format is little-endian, so is every host we build for.
static_assert(std::endian::native == std::endian::little,
              "the safetensors codec assumes a little-endian host");

using nlohmann::json;

constexpr std::size_t kLengthPrefixBytes = 8;
constexpr std::string_view kMetadataKey = "__metadata__";
// A safetensors header nests three levels (root, tensor entry, shape array); leave some slack.
constexpr std::size_t kMaxHeaderDepth = 8;

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  std::size_t size;
};

constexpr std::array<DTypeInfo, 10> kDTypes = {{
    {DType::kF64, "F64", 8},
    {DType::kF32, "F32", 4},
    {DType::kF16, "F16", 2},
    {DType::kBF16, "BF16", 2},
    {DType::kI64, "I64", 8},
    {DType::kI32, "I32", 4},
    {DType::kI16, "I16", 2},
    {DType::kI8, "I8", 1},
    {DType::kU8, "U8", 1},
    {DType::kBool, "BOOL", 1},
}};

const DTypeInfo& Info(DType dtype) {
  for (const auto& info : kDTypes) {
    if (info.dtype == dtype) return info;
  }
  PANCAIM_CHECK(false) << "unknown DType value " << static_cast<int>(dtype);
  return kDTypes[0];
}

std::string SupportedDTypeNames() {
  std::string out;
  for (const auto& info : kDTypes) {
    if (!out.empty()) out += ", ";
    out += info.name;
  }
  return out;
}

std::uint64_t ReadLittleEndian64(std::string_view bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  return value;
}

std::string Where(const std::string& name) { return "safetensors tensor '" + name + "'"; }

// Product of `shape` times `element_size`, refusing negative entries and any overflow (of either
// int64 or size_t) on the way. `where` names the tensor in errors.
StatusOr<std::uint64_t> CheckedByteCount(const std::vector<std::int64_t>& shape,
                                         std::size_t element_size, const std::string& where) {
  std::uint64_t elements = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      return InvalidArgumentError(where + ": shape[" + std::to_string(i) + "] is negative (" +
                                  std::to_string(shape[i]) + ")");
    }
    if (__builtin_mul_overflow(elements, static_cast<std::uint64_t>(shape[i]), &elements) ||
        elements > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return InvalidArgumentError(where + ": shape overflows: the product of its dimensions "
                                          "does not fit in 64 bits");
    }
  }
  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(elements, element_size, &bytes) ||
      bytes > std::numeric_limits<std::size_t>::max()) {
    return InvalidArgumentError(where + ": shape overflows: its byte count does not fit in "
                                        "64 bits");
  }
  return bytes;
}

// A tensor entry of the header before its bytes are located.
struct Entry {
  TensorView view;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

StatusOr<std::vector<std::int64_t>> ParseShape(const json& value, const std::string& where,
                                               const SafetensorsLimits& limits) {
  if (!value.is_array()) return InvalidArgumentError(where + ": 'shape' is not an array");
  if (value.size() > limits.max_rank) {
    return InvalidArgumentError(where + ": 'shape' has rank " + std::to_string(value.size()) +
                                ", over the limit of " + std::to_string(limits.max_rank));
  }
  std::vector<std::int64_t> shape;
  shape.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const json& dim = value[i];
    const std::string at = where + ": shape[" + std::to_string(i) + "]";
    if (dim.is_number_unsigned()) {
      if (dim.get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max()) {
        return InvalidArgumentError(at + " overflows int64");
      }
      shape.push_back(static_cast<std::int64_t>(dim.get<std::uint64_t>()));
    } else if (dim.is_number_integer()) {
      shape.push_back(dim.get<std::int64_t>());  // negative: refused by CheckedByteCount
    } else {
      return InvalidArgumentError(at + " is not an integer");
    }
  }
  return shape;
}

StatusOr<std::pair<std::uint64_t, std::uint64_t>> ParseOffsets(const json& value,
                                                               const std::string& where) {
  if (!value.is_array() || value.size() != 2) {
    return InvalidArgumentError(where + ": 'data_offsets' must be an array of exactly 2 "
                                        "integers [begin, end]");
  }
  for (std::size_t i = 0; i < 2; ++i) {
    if (!value[i].is_number_unsigned()) {
      return InvalidArgumentError(where + ": data_offsets[" + std::to_string(i) +
                                  "] is not a non-negative integer");
    }
  }
  std::uint64_t begin = value[0].get<std::uint64_t>();
  std::uint64_t end = value[1].get<std::uint64_t>();
  if (end < begin) {
    return InvalidArgumentError(where + ": data_offsets end " + std::to_string(end) +
                                " is before begin " + std::to_string(begin));
  }
  return std::make_pair(begin, end);
}

StatusOr<Entry> ParseEntry(const std::string& name, const json& value,
                           const SafetensorsLimits& limits) {
  const std::string where = Where(name);
  if (!value.is_object()) return InvalidArgumentError(where + ": entry is not a JSON object");
  for (const auto& [key, unused] : value.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      return InvalidArgumentError(where + ": unknown key '" + key +
                                  "' (known: dtype, shape, data_offsets)");
    }
  }
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!value.contains(key)) return InvalidArgumentError(where + ": missing '" + key + "'");
  }
  Entry entry;
  entry.view.name = name;
  const json& dtype = value["dtype"];
  if (!dtype.is_string()) return InvalidArgumentError(where + ": 'dtype' is not a string");
  auto parsed_dtype = ParseDType(dtype.get_ref<const std::string&>());
  if (!parsed_dtype.ok()) return parsed_dtype.status().WithContext(where);
  entry.view.dtype = *parsed_dtype;
  PANCAIM_ASSIGN_OR_RETURN(entry.view.shape, ParseShape(value["shape"], where, limits));
  PANCAIM_ASSIGN_OR_RETURN(std::uint64_t bytes,
                           CheckedByteCount(entry.view.shape, DTypeSize(entry.view.dtype), where));
  PANCAIM_ASSIGN_OR_RETURN(auto offsets, ParseOffsets(value["data_offsets"], where));
  entry.begin = offsets.first;
  entry.end = offsets.second;
  if (entry.end - entry.begin != bytes) {
    return InvalidArgumentError(where + ": data_offsets span " +
                                std::to_string(entry.end - entry.begin) + " bytes but dtype " +
                                std::string(DTypeName(entry.view.dtype)) + " and shape need " +
                                std::to_string(bytes));
  }
  return entry;
}

StatusOr<std::map<std::string, std::string>> ParseMetadata(const json& value) {
  if (!value.is_object()) {
    return InvalidArgumentError("safetensors '__metadata__' is not a JSON object");
  }
  std::map<std::string, std::string> metadata;
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      return InvalidArgumentError("safetensors '__metadata__." + key + "' is not a string");
    }
    metadata.emplace(key, item.get<std::string>());
  }
  return metadata;
}

// Tensors must tile the data section exactly: sorted by offset, each starts where the previous
// one ended, the first at 0 and the last at the section's end.
Status CheckTiling(std::vector<Entry>& entries, std::uint64_t data_bytes) {
  for (const Entry& entry : entries) {
    if (entry.end > data_bytes) {
      return DataLossError(Where(entry.view.name) + ": data_offsets end " +
                           std::to_string(entry.end) + " is past the end of the data section (" +
                           std::to_string(data_bytes) + " bytes)");
    }
  }
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t expected = 0;
  const std::string* previous = nullptr;
  for (const Entry& entry : entries) {
    if (entry.begin < expected) {
      return InvalidArgumentError(Where(entry.view.name) + ": data_offsets [" +
                                  std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
                                  ") overlap tensor '" + *previous + "'");
    }
    if (entry.begin > expected) {
      return InvalidArgumentError(
          Where(entry.view.name) + ": gap of " + std::to_string(entry.begin - expected) +
          " bytes before its data_offsets begin " + std::to_string(entry.begin) +
          (previous ? " (after tensor '" + *previous + "')" : std::string(" (at the start)")));
    }
    expected = entry.end;
    previous = &entry.view.name;
  }
  if (expected != data_bytes) {
    return InvalidArgumentError("safetensors data section has " +
                                std::to_string(data_bytes - expected) +
                                " bytes after the last tensor");
  }
  return Status::Ok();
}

}  // namespace

std::string_view DTypeName(DType dtype) { return Info(dtype).name; }

std::size_t DTypeSize(DType dtype) { return Info(dtype).size; }

StatusOr<DType> ParseDType(std::string_view name) {
  for (const auto& info : kDTypes) {
    if (info.name == name) return info.dtype;
  }
  return InvalidArgumentError("dtype '" + std::string(name) + "' is not supported (supported: " +
                              SupportedDTypeNames() + ")");
}

std::int64_t TensorView::NumElements() const {
  std::int64_t count = 1;
  for (std::int64_t dim : shape) count *= dim;
  return count;
}

const TensorView* SafetensorsView::Find(std::string_view name) const {
  for (const auto& tensor : tensors_) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

StatusOr<SafetensorsView> SafetensorsView::Parse(std::string_view buffer,
                                                 const SafetensorsLimits& limits) {
  if (buffer.size() < kLengthPrefixBytes) {
    return DataLossError("safetensors buffer truncated: " + std::to_string(buffer.size()) +
                         " bytes, the header length prefix alone needs 8");
  }
  const std::uint64_t header_bytes = ReadLittleEndian64(buffer);
  if (header_bytes > limits.max_header_bytes) {
    return ResourceExhaustedError("safetensors header length " + std::to_string(header_bytes) +
                                  " is over the limit of " +
                                  std::to_string(limits.max_header_bytes) + " bytes");
  }
  if (header_bytes > buffer.size() - kLengthPrefixBytes) {
    return DataLossError("safetensors header length " + std::to_string(header_bytes) +
                         " is past the end of the buffer (" +
                         std::to_string(buffer.size() - kLengthPrefixBytes) +
                         " bytes follow the prefix)");
  }
  const std::string_view header_text = buffer.substr(kLengthPrefixBytes, header_bytes);
  const std::string_view data = buffer.substr(kLengthPrefixBytes + header_bytes);
  PANCAIM_ASSIGN_OR_RETURN(
      json header, internal::ParseUntrustedJson(header_text, "safetensors header", kMaxHeaderDepth));
  if (!header.is_object()) {
    return InvalidArgumentError("safetensors header is not a JSON object");
  }
  SafetensorsView view;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == kMetadataKey) {
      PANCAIM_ASSIGN_OR_RETURN(view.metadata_, ParseMetadata(value));
      continue;
    }
    if (entries.size() >= limits.max_tensors) {
      return ResourceExhaustedError("safetensors header lists more than " +
                                    std::to_string(limits.max_tensors) + " tensors");
    }
    PANCAIM_ASSIGN_OR_RETURN(Entry entry, ParseEntry(name, value, limits));
    entries.push_back(std::move(entry));
  }
  PANCAIM_RETURN_IF_ERROR(CheckTiling(entries, data.size()));
  view.tensors_.reserve(entries.size());
  for (Entry& entry : entries) {
    entry.view.data = data.substr(entry.begin, entry.end - entry.begin);
    view.tensors_.push_back(std::move(entry.view));
  }
  return view;
}

StatusOr<std::string> SerializeSafetensors(const std::vector<TensorView>& tensors,
                                           const std::map<std::string, std::string>& metadata) {
  // ordered_json keeps the header in data order, with metadata first, like Python's writer.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    header[std::string(kMetadataKey)] = metadata;
  }
  std::set<std::string_view> names;
  std::uint64_t offset = 0;
  for (const TensorView& tensor : tensors) {
    const std::string where = Where(tensor.name);
    if (tensor.name == kMetadataKey) {
      return InvalidArgumentError("'__metadata__' is reserved and cannot name a tensor");
    }
    if (!names.insert(tensor.name).second) {
      return InvalidArgumentError("duplicate tensor name '" + tensor.name + "'");
    }
    PANCAIM_ASSIGN_OR_RETURN(std::uint64_t bytes,
                             CheckedByteCount(tensor.shape, DTypeSize(tensor.dtype), where));
    if (bytes != tensor.data.size()) {
      return InvalidArgumentError(where + ": has " + std::to_string(tensor.data.size()) +
                                  " bytes of data but dtype and shape need " +
                                  std::to_string(bytes));
    }
    header[tensor.name] = {{"dtype", DTypeName(tensor.dtype)},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string header_text = header.dump();
  // Pad with spaces (allowed by the specification) so the data section starts 8-byte aligned.
  header_text.append((8 - (kLengthPrefixBytes + header_text.size()) % 8) % 8, ' ');
  std::string out;
  out.reserve(kLengthPrefixBytes + header_text.size() + offset);
  const std::uint64_t length = header_text.size();
  for (std::size_t i = 0; i < 8; ++i) out.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  out += header_text;
  for (const TensorView& tensor : tensors) out.append(tensor.data);
  return out;
}

}  // namespace pancaim::protocol
