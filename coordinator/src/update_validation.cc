#include "pancaim/coordinator/update_validation.h"

#include <cmath>
#include <limits>
#include <sstream>

#include "element_access.h"

namespace pancaim::coordinator {
namespace {

using internal::Load;

// Index of the first non-finite element, or -1. A value is infinite or NaN exactly when its
// magnitude bits (sign cleared) are at least the all-ones exponent; the bulk scan ORs that
// comparison, done on signed integers of the same width (the magnitude is non-negative), over a
// block, which vectorises to and/compare/or even on baseline x86-64 (SSE2). Only a block that
// holds a bad value is rescanned to find it.
template <typename T>
std::int64_t FirstNonFinite(const char* data, std::int64_t n) {
  using Bits = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
  constexpr Bits kMagnitude = std::numeric_limits<Bits>::max();
  constexpr Bits kLargestFinite =
      static_cast<Bits>(sizeof(T) == 4 ? 0x7f7fffffll : 0x7fefffffffffffffll);
  constexpr std::int64_t kBlock = 4096;
  for (std::int64_t start = 0; start < n; start += kBlock) {
    const std::int64_t end = std::min(n, start + kBlock);
    Bits bad = 0;
    for (std::int64_t i = start; i < end; ++i) {
      bad |= -static_cast<Bits>((Load<Bits>(data, i) & kMagnitude) > kLargestFinite);
    }
    if (bad != 0) {
      for (std::int64_t i = start; i < end; ++i) {
        if (!std::isfinite(Load<T>(data, i))) return i;
      }
    }
  }
  return -1;
}

template <typename T>
double SquaredDistance(const char* x, const char* g, std::int64_t n) {
  // Four partial sums in a fixed order: faster than one chain, still deterministic.
  double s[4] = {0, 0, 0, 0};
  std::int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int k = 0; k < 4; ++k) {
      const double d = static_cast<double>(Load<T>(x, i + k)) - Load<T>(g, i + k);
      s[k] += d * d;
    }
  }
  for (; i < n; ++i) {
    const double d = static_cast<double>(Load<T>(x, i)) - Load<T>(g, i);
    s[0] += d * d;
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
}

}  // namespace

StatusOr<ValidatedUpdate> ValidateUpdate(const ModelLayout& layout,
                                         const protocol::SafetensorsView& global,
                                         const protocol::SafetensorsView& update,
                                         const std::string& site, double sample_count,
                                         const UpdateValidationOptions& options) {
  const std::string who = "update from site '" + site + "'";
  auto aligned = layout.Align(update);
  if (!aligned.ok()) return aligned.status().WithContext(who);
  if (!(sample_count > 0) || !std::isfinite(sample_count)) {
    std::ostringstream text;
    text << who << ": sample count " << sample_count << " is not a positive number";
    return InvalidArgumentError(text.str());
  }
  PANCAIM_CHECK(global.tensors().size() == layout.tensors().size())
      << "the layout was not built from this global model";

  const bool need_norm = options.compute_delta_norm || options.max_delta_norm > 0;
  double squared = 0;
  for (std::size_t t = 0; t < layout.tensors().size(); ++t) {
    const TensorSpec& spec = layout.tensors()[t];
    if (spec.role == TensorRole::kIntegerBuffer) continue;
    const char* x = (*aligned)[t]->data.data();
    std::int64_t bad = -1;
    internal::DispatchFloat(spec.dtype, [&](auto tag) {
      using T = decltype(tag);
      bad = FirstNonFinite<T>(x, spec.num_elements);
      if (bad < 0 && need_norm && spec.role == TensorRole::kParameter) {
        squared += SquaredDistance<T>(x, global.tensors()[t].data.data(), spec.num_elements);
      }
    });
    if (bad >= 0) {
      double value = 0;
      internal::DispatchFloat(spec.dtype, [&](auto tag) {
        value = static_cast<double>(Load<decltype(tag)>(x, bad));
      });
      std::ostringstream text;
      text << who << ": tensor '" << spec.name << "' element " << bad << " is " << value
           << " (values must be finite)";
      return InvalidArgumentError(text.str());
    }
  }
  ValidatedUpdate result;
  if (need_norm) {
    result.delta_l2_norm_ = std::sqrt(squared);
    if (options.max_delta_norm > 0 && result.delta_l2_norm_ > options.max_delta_norm) {
      std::ostringstream text;
      text << who << ": parameter delta has L2 norm " << result.delta_l2_norm_
           << ", over the bound of " << options.max_delta_norm;
      return OutOfRangeError(text.str());
    }
  }
  result.site_ = site;
  result.sample_count_ = sample_count;
  result.tensors_ = std::move(aligned).value();
  return result;
}

}  // namespace pancaim::coordinator
