#include "batch_checks.h"

#include <torch/torch.h>

namespace pancaim::zoo::internal {

Status RequireAllPresent(const std::string& model, const Batch& batch, const torch::Tensor& tensor,
                         const torch::Tensor& present, const std::string& field) {
  if (!tensor.defined() || !present.defined()) {
    return InvalidArgumentError(model + ": batch has no '" + field + "'");
  }
  torch::Tensor cpu = present.cpu();
  for (int64_t i = 0; i < batch.size; ++i) {
    if (!cpu[i].item<bool>()) {
      return InvalidArgumentError(model + ": patient '" + batch.patient_ids[static_cast<size_t>(i)] +
                                  "': field '" + field + "' is missing");
    }
  }
  return Status::Ok();
}

Status RequireLabels(const std::string& model, const Batch& batch, std::int64_t classes) {
  torch::Tensor cpu = batch.label.cpu();
  for (int64_t i = 0; i < batch.size; ++i) {
    const int64_t label = cpu[i].item<int64_t>();
    if (label < 0 || label >= classes) {
      return InvalidArgumentError(model + ": patient '" + batch.patient_ids[static_cast<size_t>(i)] +
                                  "': field 'label' is " +
                                  (label < 0 ? std::string("missing") : std::to_string(label)) +
                                  ", expected a class in [0, " + std::to_string(classes) + ")");
    }
  }
  return Status::Ok();
}

Status RequireSize(const std::string& model, const torch::Tensor& tensor, const std::string& field,
                   std::int64_t dim, std::int64_t expected) {
  if (tensor.size(dim) != expected) {
    return InvalidArgumentError(model + ": field '" + field + "' has size " +
                                std::to_string(tensor.size(dim)) + " in dimension " +
                                std::to_string(dim) + ", the model expects " +
                                std::to_string(expected));
  }
  return Status::Ok();
}

}  // namespace pancaim::zoo::internal
