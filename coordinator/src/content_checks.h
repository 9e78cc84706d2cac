// Internal: the content checks of a site update (finite values, parameter-delta norm), shared by
// ValidateUpdate (a read-only pass before the fold) and the weighted-mean reducer's fused
// check-and-fold pass, so both give the same verdicts, the same messages and the same norm bits.
// Also the structural checks both paths run first. Pure functions; thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "element_access.h"
#include "pancaim/common/status.h"
#include "pancaim/coordinator/model_layout.h"
#include "pancaim/protocol/safetensors.h"

namespace pancaim::coordinator::internal {

// Whether any element of [begin, end) is NaN or infinite. A value is non-finite exactly when its
// magnitude bits (sign cleared) exceed those of the largest finite value; the comparison is done
// on signed integers of the same width (the magnitude is non-negative) and OR-reduced without a
// branch, so GCC vectorises it even for baseline x86-64 (SSE2: and, compare, or per 4 floats) and
// it runs at memory speed.
template <typename T>
using FloatBits = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;

// All ones when element `i` is non-finite, else 0 (branch-free, for OR-reduction).
template <typename T>
inline FloatBits<T> NonFiniteMask(const char* data, std::int64_t i) {
  using Bits = FloatBits<T>;
  constexpr Bits kMagnitude = std::numeric_limits<Bits>::max();
  constexpr Bits kLargestFinite =
      static_cast<Bits>(sizeof(T) == 4 ? 0x7f7fffffll : 0x7fefffffffffffffll);
  return -static_cast<Bits>((Load<Bits>(data, i) & kMagnitude) > kLargestFinite);
}

template <typename T>
inline bool AnyNonFinite(const char* data, std::int64_t begin, std::int64_t end) {
  FloatBits<T> bad = 0;
  for (std::int64_t i = begin; i < end; ++i) bad |= NonFiniteMask<T>(data, i);
  return bad != 0;
}

// Index of the first non-finite element in [begin, end), or -1. Scans blocks with AnyNonFinite
// and only rescans, element by element, a block that holds a bad value.
template <typename T>
inline std::int64_t FirstNonFinite(const char* data, std::int64_t begin, std::int64_t end) {
  constexpr std::int64_t kBlock = 4096;
  for (std::int64_t start = begin; start < end; start += kBlock) {
    const std::int64_t stop = std::min(end, start + kBlock);
    if (!AnyNonFinite<T>(data, start, stop)) continue;
    for (std::int64_t i = start; i < stop; ++i) {
      if (AnyNonFinite<T>(data, i, i + 1)) return i;
    }
  }
  return -1;
}

// Sum of (x[i] - g[i])^2 over one tensor, in double, in a fixed order: four partial sums (element
// i goes to sum i % 4), the last n % 4 elements into the first, combined as (s0 + s1) + (s2 + s3).
// Faster than one chain and deterministic. Add() may be called on consecutive ranges of the
// tensor (every range but the last starting and ending at a multiple of 4): the result is then the
// same bits as one call over the whole tensor.
template <typename T>
class SquaredDistanceSum {
 public:
  void Add(const char* x, const char* g, std::int64_t begin, std::int64_t end) {
    std::int64_t i = begin;
    for (; i + 4 <= end; i += 4) {
      for (int k = 0; k < 4; ++k) {
        const double d = static_cast<double>(Load<T>(x, i + k)) - Load<T>(g, i + k);
        s_[k] += d * d;
      }
    }
    for (; i < end; ++i) {
      const double d = static_cast<double>(Load<T>(x, i)) - Load<T>(g, i);
      s_[0] += d * d;
    }
  }
  double Total() const { return (s_[0] + s_[1]) + (s_[2] + s_[3]); }

 private:
  double s_[4] = {0, 0, 0, 0};
};

// The checks that need no pass over the values: the update's tensor names, dtypes and shapes
// equal the layout's (InvalidArgument naming the tensor), and a positive, finite sample count.
// Returns the update's tensors in layout order. Errors start with "update from site '<site>'".
StatusOr<std::vector<const protocol::TensorView*>> CheckUpdateStructure(
    const ModelLayout& layout, const protocol::SafetensorsView& update, const std::string& site,
    double sample_count);

// The rejection of an update from `site` whose tensor `tensor` holds `value` (not finite) at
// element `index` (InvalidArgument).
Status NonFiniteValueError(const std::string& site, const std::string& tensor, std::int64_t index,
                           double value);

// The rejection of an update from `site` whose parameter delta norm `norm` exceeds `bound`
// (OutOfRange).
Status DeltaNormBoundError(const std::string& site, double norm, double bound);

}  // namespace pancaim::coordinator::internal
