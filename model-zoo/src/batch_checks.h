// Helpers shared by the models' CheckBatch implementations (private to model-zoo).
#pragma once

#include <string>

#include <torch/types.h>

#include "pancaim/common/status.h"
#include "pancaim/model_zoo/sample.h"

namespace pancaim::zoo::internal {

// InvalidArgument "<model>: patient '<id>': <what>" for the first row where `present` is false (or
// for the batch when `tensor` is undefined).
Status RequireAllPresent(const std::string& model, const Batch& batch, const torch::Tensor& tensor,
                         const torch::Tensor& present, const std::string& field);

// Requires a label in [0, classes) on every row.
Status RequireLabels(const std::string& model, const Batch& batch, std::int64_t classes);

// Requires `tensor.size(dim) == expected`.
Status RequireSize(const std::string& model, const torch::Tensor& tensor, const std::string& field,
                   std::int64_t dim, std::int64_t expected);

}  // namespace pancaim::zoo::internal
