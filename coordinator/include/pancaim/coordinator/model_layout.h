// ModelLayout: the structure of a global model (tensor names, dtypes, shapes) and the role each
// tensor plays in aggregation. Updates must match it exactly before anything is folded.
//
// Roles (the buffer rule, see docs/aggregation.md):
//  - kParameter: a floating-point tensor trained by gradient descent. Averaged, clipped, and moved
//    by server optimisers.
//  - kFloatBuffer: a floating-point tensor that is not a gradient-trained parameter, recognised by a
//    name suffix (default ".running_mean", ".running_var": BatchNorm running statistics). Averaged by
//    sample weight (or by the robust reducer); never clipped, never moved by a server optimiser.
//  - kIntegerBuffer: any integer or bool tensor (e.g. BatchNorm "num_batches_tracked"). Takes the
//    element-wise maximum over the accepted updates; never averaged or optimised.
//
// Floating-point tensors must be F32 or F64; F16/BF16 models are refused (Unimplemented) for now.
// Immutable once built; safe to share between threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/protocol/safetensors.h"

namespace pancaim::coordinator {

enum class TensorRole { kParameter, kFloatBuffer, kIntegerBuffer };

std::string_view TensorRoleName(TensorRole role);

// One tensor of the model.
struct TensorSpec {
  std::string name;
  protocol::DType dtype = protocol::DType::kF32;
  std::vector<std::int64_t> shape;
  std::int64_t num_elements = 0;
  TensorRole role = TensorRole::kParameter;
};

class ModelLayout {
 public:
  // Builds the layout of `model`. `buffer_suffixes` name float buffers (see above). Fails with
  // Unimplemented for F16/BF16 tensors and InvalidArgument for an empty model.
  static StatusOr<ModelLayout> FromModel(const protocol::SafetensorsView& model,
                                         const std::vector<std::string>& buffer_suffixes);

  // Tensors in the order of the model's data section.
  const std::vector<TensorSpec>& tensors() const { return tensors_; }

  // Checks that `update` has exactly this layout's tensor names, dtypes and shapes; the error
  // (InvalidArgument) names the first missing, extra or mismatched tensor. On success returns the
  // update's tensors in this layout's order.
  StatusOr<std::vector<const protocol::TensorView*>> Align(
      const protocol::SafetensorsView& update) const;

  // Total elements over floating-point tensors (parameters and float buffers).
  std::int64_t float_elements() const { return float_elements_; }
  std::int64_t integer_elements() const { return integer_elements_; }

 private:
  std::vector<TensorSpec> tensors_;
  std::int64_t float_elements_ = 0;
  std::int64_t integer_elements_ = 0;
};

bool IsFloatDType(protocol::DType dtype);

}  // namespace pancaim::coordinator
