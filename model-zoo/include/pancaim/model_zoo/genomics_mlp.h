// genomics-mlp: gene-panel and clinical features to a class logit (classification) or a risk score
// (survival, trained with the Cox partial likelihood).
//
// The input row is [genomics (G), clinical values with missing ones zeroed (C), clinical missing
// indicators as 0/1 (C)]: the model sees which values are missing instead of imputed numbers.
// Parameter names: mlp.layers.<i>.{weight,bias} for the hidden Linear layers (ReLU, dropout between),
// then head.{weight,bias} [num_classes, last] for classification, or head.weight [1, last] (no
// bias: the Cox likelihood ignores a constant) for survival.
// Input: Batch::genomics [B, G] on every row when G > 0; Batch::clinical/clinical_missing [B, C]
// when C > 0 (rows without clinical data count as all missing). Output: logits [B, K] or risk [B].
#pragma once

#include <string>
#include <vector>

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "pancaim/model_zoo/zoo_module.h"

namespace pancaim::zoo {

// A stack of Linear-ReLU(-Dropout) layers: in -> hidden[0] -> ... -> hidden[n-1], each followed by
// ReLU and dropout. Parameter names layers.<i>.{weight,bias}. Used by genomics-mlp and by
// fusion-survival's genomics and clinical encoders.
class FeatureMlpImpl : public torch::nn::Module {
 public:
  FeatureMlpImpl(std::int64_t in_features, const std::vector<std::int64_t>& hidden, double dropout);
  torch::Tensor forward(const torch::Tensor& x);
  std::int64_t out_features() const { return out_features_; }

 private:
  torch::nn::ModuleList layers_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  std::int64_t out_features_;
};
TORCH_MODULE(FeatureMlp);

// [values with missing zeroed, missing indicators] as float [B, 2C].
torch::Tensor ClinicalInput(const torch::Tensor& clinical, const torch::Tensor& missing);

struct GenomicsMlpOptions {
  TORCH_ARG(std::int64_t, genomics_features) = 0;
  TORCH_ARG(std::int64_t, clinical_features) = 0;
  TORCH_ARG(std::vector<std::int64_t>, hidden) = std::vector<std::int64_t>{64, 32};
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(std::string, output) = "classification";  // or "survival"
  TORCH_ARG(std::int64_t, num_classes) = 2;              // classification only
};

class GenomicsMlpImpl : public ZooModuleImpl {
 public:
  explicit GenomicsMlpImpl(const GenomicsMlpOptions& options);

  // Input rows as described above [B, G + 2C] -> logits [B, K] or risk [B, 1].
  torch::Tensor forward(const torch::Tensor& features);

  Task task() const override { return survival_ ? Task::kSurvival : Task::kClassification; }
  Status CheckBatch(const Batch& batch, bool need_labels) const override;
  ModelOutput ForwardBatch(const Batch& batch) override;

  const GenomicsMlpOptions& options() const { return options_; }

 private:
  GenomicsMlpOptions options_;
  bool survival_;
  FeatureMlp layers_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(GenomicsMlp);

}  // namespace pancaim::zoo
