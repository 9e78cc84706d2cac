#include "pancaim/model_zoo/genomics_mlp.h"

#include <torch/torch.h>

#include "batch_checks.h"

namespace pancaim::zoo {

namespace nn = torch::nn;

FeatureMlpImpl::FeatureMlpImpl(std::int64_t in_features, const std::vector<std::int64_t>& hidden,
                               double dropout)
    : out_features_(in_features) {
  layers_ = register_module("layers", nn::ModuleList());
  for (std::int64_t width : hidden) {
    PANCAIM_CHECK(width > 0) << "hidden layer widths must be positive";
    layers_->push_back(nn::Linear(out_features_, width));
    out_features_ = width;
  }
  dropout_ = register_module("dropout", nn::Dropout(dropout));
}

torch::Tensor FeatureMlpImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = x;
  for (const auto& layer : *layers_) y = dropout_(torch::relu(layer->as<nn::Linear>()->forward(y)));
  return y;
}

torch::Tensor ClinicalInput(const torch::Tensor& clinical, const torch::Tensor& missing) {
  return torch::cat({clinical.masked_fill(missing, 0.0), missing.to(clinical.scalar_type())},
                    /*dim=*/1);
}

GenomicsMlpImpl::GenomicsMlpImpl(const GenomicsMlpOptions& options)
    : ZooModuleImpl("GenomicsMlp"), options_(options), survival_(options.output() == "survival") {
  PANCAIM_CHECK(options.output() == "survival" || options.output() == "classification")
      << "genomics-mlp output must be 'classification' or 'survival'";
  PANCAIM_CHECK(options.genomics_features() > 0 || options.clinical_features() > 0)
      << "genomics-mlp needs genomics_features or clinical_features";
  const int64_t in = options.genomics_features() + 2 * options.clinical_features();
  layers_ = register_module("mlp", FeatureMlp(in, options.hidden(), options.dropout()));
  head_ = register_module(
      "head", nn::Linear(nn::LinearOptions(layers_->out_features(),
                                           survival_ ? 1 : options.num_classes())
                             .bias(!survival_)));
}

torch::Tensor GenomicsMlpImpl::forward(const torch::Tensor& features) {
  return head_(layers_(features));
}

Status GenomicsMlpImpl::CheckBatch(const Batch& batch, bool need_labels) const {
  const std::string model = "genomics-mlp";
  if (options_.genomics_features() > 0) {
    PANCAIM_RETURN_IF_ERROR(internal::RequireAllPresent(model, batch, batch.genomics,
                                                        batch.genomics_present, "genomics"));
    PANCAIM_RETURN_IF_ERROR(
        internal::RequireSize(model, batch.genomics, "genomics", 1, options_.genomics_features()));
  }
  if (options_.clinical_features() > 0 && batch.clinical.defined()) {
    PANCAIM_RETURN_IF_ERROR(
        internal::RequireSize(model, batch.clinical, "clinical", 1, options_.clinical_features()));
  }
  if (!need_labels) return Status::Ok();
  if (survival_) {
    return internal::RequireAllPresent(model, batch, batch.survival_time, batch.survival_present,
                                       "survival_time");
  }
  return internal::RequireLabels(model, batch, options_.num_classes());
}

ModelOutput GenomicsMlpImpl::ForwardBatch(const Batch& batch) {
  std::vector<torch::Tensor> parts;
  if (options_.genomics_features() > 0) parts.push_back(batch.genomics);
  if (options_.clinical_features() > 0) {
    if (batch.clinical.defined()) {
      parts.push_back(ClinicalInput(batch.clinical, batch.clinical_missing));
    } else {
      // No patient in the batch has clinical data: every value is missing.
      torch::Tensor missing = torch::ones({batch.size, options_.clinical_features()},
                                          batch.label.options().dtype(torch::kBool));
      parts.push_back(ClinicalInput(torch::zeros(missing.sizes(), batch.label.options().dtype(torch::kFloat32)),
                                    missing));
    }
  }
  torch::Tensor out = forward(torch::cat(parts, /*dim=*/1));
  ModelOutput result;
  if (survival_) {
    result.risk = out.squeeze(1);
  } else {
    result.logits = out;
  }
  return result;
}

}  // namespace pancaim::zoo
