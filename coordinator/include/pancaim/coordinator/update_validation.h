// Content validation of one site update against the global model, before anything is folded.
//
// Checks, in order: the same tensor names, dtypes and shapes as the global model; a sample count
// that is positive and finite; every floating-point value finite (no NaN or infinity); and, when a
// bound is set, the L2 norm of the parameter delta (update - global, over kParameter tensors).
// A rejection is an InvalidArgument (OutOfRange for the norm bound) Status whose message starts with
// "update from site '<site>'" and names the tensor and element at fault.
//
// Round-level checks (run id, round, base model version, duplicates) live in AggregationRound.
// Aggregator::ValidateAndFold runs these same checks (same messages, same norm bits) fused with
// the fold, in one pass over an update whose bytes the caller hands over.
// Pure functions over byte views; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/coordinator/model_layout.h"
#include "pancaim/protocol/safetensors.h"

namespace pancaim::coordinator {

struct UpdateValidationOptions {
  // Reject updates whose parameter delta has an L2 norm above this; 0 = no bound.
  double max_delta_norm = 0;
  // Compute the delta norm even without a bound (the aggregator needs it to clip).
  bool compute_delta_norm = false;
};

class ValidatedUpdate;

// Validates `update` from `site` against `global` (whose layout is `layout`, built from it).
// The returned object points into `update`'s tensors (see ValidatedUpdate).
StatusOr<ValidatedUpdate> ValidateUpdate(const ModelLayout& layout,
                                         const protocol::SafetensorsView& global,
                                         const protocol::SafetensorsView& update,
                                         const std::string& site, double sample_count,
                                         const UpdateValidationOptions& options = {});

// An update that passed ValidateUpdate. Only ValidateUpdate makes one, so a function taking a
// ValidatedUpdate cannot be handed unchecked bytes. Holds pointers into the update's
// SafetensorsView: the view and its buffer must outlive this object. Not synchronized.
class ValidatedUpdate {
 public:
  const std::string& site() const { return site_; }
  double sample_count() const { return sample_count_; }
  // L2 norm of (update - global) over parameter tensors; -1 when it was not computed.
  double delta_l2_norm() const { return delta_l2_norm_; }
  // The update's tensors in the global model's layout order.
  const std::vector<const protocol::TensorView*>& tensors() const { return tensors_; }

 private:
  friend StatusOr<ValidatedUpdate> ValidateUpdate(const ModelLayout&,
                                                  const protocol::SafetensorsView&,
                                                  const protocol::SafetensorsView&,
                                                  const std::string&, double,
                                                  const UpdateValidationOptions&);
  ValidatedUpdate() = default;

  std::string site_;
  double sample_count_ = 0;
  double delta_l2_norm_ = -1;
  std::vector<const protocol::TensorView*> tensors_;
};

}  // namespace pancaim::coordinator
