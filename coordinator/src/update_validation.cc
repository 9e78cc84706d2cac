#include "pancaim/coordinator/update_validation.h"

#include <cmath>
#include <sstream>

#include "content_checks.h"
#include "element_access.h"

namespace pancaim::coordinator {
namespace internal {
namespace {

std::string Who(const std::string& site) { return "update from site '" + site + "'"; }

}  // namespace

StatusOr<std::vector<const protocol::TensorView*>> CheckUpdateStructure(
    const ModelLayout& layout, const protocol::SafetensorsView& update, const std::string& site,
    double sample_count) {
  auto aligned = layout.Align(update);
  if (!aligned.ok()) return aligned.status().WithContext(Who(site));
  if (!(sample_count > 0) || !std::isfinite(sample_count)) {
    std::ostringstream text;
    text << Who(site) << ": sample count " << sample_count << " is not a positive number";
    return InvalidArgumentError(text.str());
  }
  return aligned;
}

Status NonFiniteValueError(const std::string& site, const std::string& tensor, std::int64_t index,
                           double value) {
  std::ostringstream text;
  text << Who(site) << ": tensor '" << tensor << "' element " << index << " is " << value
       << " (values must be finite)";
  return InvalidArgumentError(text.str());
}

Status DeltaNormBoundError(const std::string& site, double norm, double bound) {
  std::ostringstream text;
  text << Who(site) << ": parameter delta has L2 norm " << norm << ", over the bound of " << bound;
  return OutOfRangeError(text.str());
}

}  // namespace internal

StatusOr<ValidatedUpdate> ValidateUpdate(const ModelLayout& layout,
                                         const protocol::SafetensorsView& global,
                                         const protocol::SafetensorsView& update,
                                         const std::string& site, double sample_count,
                                         const UpdateValidationOptions& options) {
  PANCAIM_ASSIGN_OR_RETURN(std::vector<const protocol::TensorView*> aligned,
                           internal::CheckUpdateStructure(layout, update, site, sample_count));
  PANCAIM_CHECK(global.tensors().size() == layout.tensors().size())
      << "the layout was not built from this global model";

  const bool need_norm = options.compute_delta_norm || options.max_delta_norm > 0;
  double squared = 0;
  for (std::size_t t = 0; t < layout.tensors().size(); ++t) {
    const TensorSpec& spec = layout.tensors()[t];
    if (spec.role == TensorRole::kIntegerBuffer) continue;
    const char* x = aligned[t]->data.data();
    Status status;
    internal::DispatchFloat(spec.dtype, [&](auto tag) {
      using T = decltype(tag);
      const std::int64_t bad = internal::FirstNonFinite<T>(x, 0, spec.num_elements);
      if (bad >= 0) {
        status = internal::NonFiniteValueError(site, spec.name, bad,
                                               static_cast<double>(internal::Load<T>(x, bad)));
      } else if (need_norm && spec.role == TensorRole::kParameter) {
        internal::SquaredDistanceSum<T> sum;
        sum.Add(x, global.tensors()[t].data.data(), 0, spec.num_elements);
        squared += sum.Total();
      }
    });
    PANCAIM_RETURN_IF_ERROR(status);
  }
  ValidatedUpdate result;
  if (need_norm) {
    result.delta_l2_norm_ = std::sqrt(squared);
    if (options.max_delta_norm > 0 && result.delta_l2_norm_ > options.max_delta_norm) {
      return internal::DeltaNormBoundError(site, result.delta_l2_norm_, options.max_delta_norm);
    }
  }
  result.site_ = site;
  result.sample_count_ = sample_count;
  result.tensors_ = std::move(aligned);
  return result;
}

}  // namespace pancaim::coordinator
