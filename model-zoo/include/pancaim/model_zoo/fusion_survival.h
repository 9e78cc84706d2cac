// fusion-survival: multimodal survival prediction that works for any non-empty subset of
// modalities per patient.
//
// One encoder per enabled modality maps it to an embed_dim vector: CT (residual 3D trunk, as in
// ct-cnn3d, plus a projection), slide tiles (tile encoder + gated attention pooling, as in
// wsi-abmil), genomics (MLP) and clinical features (MLP over values and missing indicators). An
// encoder runs only on the patients that have its modality; absent modalities are excluded from the
// fusion by masking (never fed zeros), so a patient's prediction depends only on what is present.
// Fusion is gated attention over the present embeddings (softmax over present modalities only),
// then a linear risk head without bias. Trained with the Cox partial likelihood (Breslow ties).
//
// Parameter names (only for enabled modalities):
//   ct_encoder.*        (as ct-cnn3d's backbone.*)      ct_proj.{weight,bias} [E, ct features]
//   wsi_encoder.tile_encoder.*, wsi_encoder.attention.*  (as wsi-abmil's mil.*, with embed_dim E)
//   genomics_encoder.layers.<i>.{weight,bias}   clinical_encoder.layers.<i>.{weight,bias}
//   fusion_attention.{V,U,w}.{weight,bias}      risk_head.weight [1, E]
// Input: a Batch where every patient has at least one enabled modality (its `*_present` true).
// Output: risk [B] (log relative hazard) and attention [B, M] = fusion weights over the enabled
// modalities in the order ct, tiles, genomics, clinical (0 for absent ones).
#pragma once

#include <memory>

#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "pancaim/model_zoo/ct_cnn3d.h"
#include "pancaim/model_zoo/genomics_mlp.h"
#include "pancaim/model_zoo/wsi_abmil.h"
#include "pancaim/model_zoo/zoo_module.h"

namespace pancaim::zoo {

struct FusionSurvivalOptions {
  TORCH_ARG(bool, use_ct) = true;
  TORCH_ARG(bool, use_tiles) = true;
  TORCH_ARG(std::int64_t, genomics_features) = 0;  // 0 disables the genomics encoder
  TORCH_ARG(std::int64_t, clinical_features) = 0;  // 0 disables the clinical encoder
  TORCH_ARG(std::int64_t, embed_dim) = 32;
  TORCH_ARG(std::int64_t, attention_dim) = 16;
  TORCH_ARG(std::vector<std::int64_t>, hidden) = std::vector<std::int64_t>{64};  // MLP encoders
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(CtBackbone3dOptions, ct) = {};
  TORCH_ARG(MilPoolingOptions, mil) = {};  // its embed_dim is overridden by embed_dim above
};

class FusionSurvivalImpl : public ZooModuleImpl {
 public:
  // `frozen` as for WsiAbmilImpl (only with use_tiles and mil.encoder == "torchscript").
  explicit FusionSurvivalImpl(const FusionSurvivalOptions& options,
                              std::shared_ptr<torch::jit::Module> frozen = nullptr);

  Task task() const override { return Task::kSurvival; }
  Status CheckBatch(const Batch& batch, bool need_labels) const override;
  ModelOutput ForwardBatch(const Batch& batch) override;

  // Number of enabled modalities M.
  std::int64_t modality_count() const;
  const FusionSurvivalOptions& options() const { return options_; }

 private:
  // Embeddings [B, E] (zero rows where absent) and presence [B] of each enabled modality.
  void Encode(const Batch& batch, std::vector<torch::Tensor>& embeddings,
              std::vector<torch::Tensor>& present);

  FusionSurvivalOptions options_;
  CtBackbone3d ct_encoder_{nullptr};
  torch::nn::Linear ct_proj_{nullptr};
  MilPooling wsi_encoder_{nullptr};
  FeatureMlp genomics_encoder_{nullptr};
  FeatureMlp clinical_encoder_{nullptr};
  GatedAttention fusion_attention_{nullptr};
  torch::nn::Linear risk_head_{nullptr};
};
TORCH_MODULE(FusionSurvival);

}  // namespace pancaim::zoo
