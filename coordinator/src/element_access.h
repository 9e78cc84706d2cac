// Internal: typed access to the little-endian bytes of a tensor. Loads and stores go through
// memcpy so they are correct for any alignment (a safetensors data section only guarantees the
// alignment its writer chose); compilers turn these into plain vector loads.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "pancaim/common/check.h"
#include "pancaim/protocol/safetensors.h"

namespace pancaim::coordinator::internal {

static_assert(std::endian::native == std::endian::little,
              "aggregation reads safetensors bytes in place and assumes a little-endian host");

template <typename T>
inline T Load(const char* base, std::int64_t index) {
  T value;
  std::memcpy(&value, base + index * static_cast<std::int64_t>(sizeof(T)), sizeof(T));
  return value;
}

template <typename T>
inline void Store(char* base, std::int64_t index, T value) {
  std::memcpy(base + index * static_cast<std::int64_t>(sizeof(T)), &value, sizeof(T));
}

// Calls f(T{}) with T = float or double for a floating-point dtype the layout accepts.
template <typename F>
inline void DispatchFloat(protocol::DType dtype, F&& f) {
  if (dtype == protocol::DType::kF32) {
    f(float{});
  } else {
    PANCAIM_CHECK(dtype == protocol::DType::kF64) << "unsupported float dtype";
    f(double{});
  }
}

// Reads element `index` of an integer or bool tensor as int64.
inline std::int64_t LoadInteger(protocol::DType dtype, const char* base, std::int64_t index) {
  using protocol::DType;
  switch (dtype) {
    case DType::kI64:
      return Load<std::int64_t>(base, index);
    case DType::kI32:
      return Load<std::int32_t>(base, index);
    case DType::kI16:
      return Load<std::int16_t>(base, index);
    case DType::kI8:
      return Load<std::int8_t>(base, index);
    case DType::kU8:
    case DType::kBool:
      return Load<std::uint8_t>(base, index);
    default:
      PANCAIM_CHECK(false) << "not an integer dtype";
      return 0;
  }
}

// Writes `value` (known to come from a tensor of this dtype, so it fits) as element `index`.
inline void StoreInteger(protocol::DType dtype, char* base, std::int64_t index,
                         std::int64_t value) {
  using protocol::DType;
  switch (dtype) {
    case DType::kI64:
      return Store<std::int64_t>(base, index, value);
    case DType::kI32:
      return Store<std::int32_t>(base, index, static_cast<std::int32_t>(value));
    case DType::kI16:
      return Store<std::int16_t>(base, index, static_cast<std::int16_t>(value));
    case DType::kI8:
      return Store<std::int8_t>(base, index, static_cast<std::int8_t>(value));
    case DType::kU8:
    case DType::kBool:
      return Store<std::uint8_t>(base, index, static_cast<std::uint8_t>(value));
    default:
      PANCAIM_CHECK(false) << "not an integer dtype";
  }
}

}  // namespace pancaim::coordinator::internal
