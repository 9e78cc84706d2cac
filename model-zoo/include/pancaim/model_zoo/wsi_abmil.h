// wsi-abmil: slide-level prediction from a bag of tiles with gated attention-based multiple-instance
// learning (Ilse, Tomczak & Welling, ICML 2018).
//
// Each tile is embedded by a tile encoder, either a small CNN trained in the federation or a frozen
// TorchScript encoder file supplied by the consortium (loaded with torch::jit::load, never trained,
// not part of the state dict: the file is identified out of band, e.g. by its hash), followed by a
// trainable projection. Gated attention scores each embedding h_k:
//   a_k = softmax_k( w^T (tanh(V h_k) * sigmoid(U h_k)) ),   z = sum_k a_k h_k
// and a linear classifier maps z to logits. The weights a_k are returned for heatmaps.
//
// Parameter names:
//   mil.tile_encoder.conv{0,1,2}.weight, .norm{0,1,2}.{weight,bias}   (CNN encoder only)
//   mil.tile_encoder.proj.{weight,bias}     [embed_dim, 4*cnn_width or encoder_features]
//   mil.attention.V.{weight,bias}  [attention_dim, embed_dim]
//   mil.attention.U.{weight,bias}  [attention_dim, embed_dim]
//   mil.attention.w.{weight,bias}  [1, attention_dim]
//   classifier.{weight,bias}       [num_classes, embed_dim]
// Input: Batch::tiles/tile_bag/tile_count (every row with >= 1 tile), Batch::label.
// Output: logits [B, num_classes], attention [B, Nmax] (row i's first tile_count[i] entries sum to
// 1, the rest 0). Not synchronized (a torch module).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "pancaim/model_zoo/zoo_module.h"

namespace torch::jit {
struct Module;
}

namespace pancaim::zoo {

struct MilPoolingOptions {
  TORCH_ARG(std::string, encoder) = "cnn";  // "cnn" or "torchscript"
  TORCH_ARG(std::string, encoder_path) = "";  // TorchScript file ("torchscript" only)
  TORCH_ARG(std::int64_t, encoder_features) = 0;  // TorchScript output features per tile
  TORCH_ARG(std::int64_t, cnn_width) = 16;
  TORCH_ARG(std::int64_t, groups) = 4;
  TORCH_ARG(std::int64_t, embed_dim) = 64;
  TORCH_ARG(std::int64_t, attention_dim) = 32;
};

// The small CNN tile encoder: three stride-2 conv3-GN-ReLU layers, global average pooling, and a
// linear projection to embed_dim. With a frozen TorchScript encoder only `proj` exists.
class TileEncoderImpl : public torch::nn::Module {
 public:
  // `frozen` may be null (CNN encoder); when set, its output [T, encoder_features] feeds `proj`.
  TileEncoderImpl(const MilPoolingOptions& options, std::shared_ptr<torch::jit::Module> frozen);
  torch::Tensor forward(const torch::Tensor& tiles);  // [T, 3, h, w] -> [T, embed_dim]

 private:
  std::shared_ptr<torch::jit::Module> frozen_;
  std::vector<torch::nn::Conv2d> convs_;      // registered as conv0..conv2
  std::vector<torch::nn::GroupNorm> norms_;  // registered as norm0..norm2
  torch::nn::Linear proj_{nullptr};
};
TORCH_MODULE(TileEncoder);

// Gated attention scorer: h [T, E] -> scores [T] (before the softmax).
class GatedAttentionImpl : public torch::nn::Module {
 public:
  GatedAttentionImpl(std::int64_t in_features, std::int64_t hidden);
  torch::Tensor forward(const torch::Tensor& h);

 private:
  torch::nn::Linear v_{nullptr}, u_{nullptr}, w_{nullptr};
};
TORCH_MODULE(GatedAttention);

// Result of pooling bags: one embedding per batch row and the attention weights.
struct MilResult {
  torch::Tensor embedding;  // [B, embed_dim]; zero for rows not pooled
  torch::Tensor attention;  // [B, Nmax]; zero padding and zero rows for rows not pooled
};

// Tile encoder plus gated attention pooling, shared by wsi-abmil and fusion-survival.
class MilPoolingImpl : public torch::nn::Module {
 public:
  MilPoolingImpl(const MilPoolingOptions& options, std::shared_ptr<torch::jit::Module> frozen);

  // Pools the bags of the rows where `rows` (bool [B]) is true; tiles of other rows are dropped
  // before encoding. tiles [T, 3, h, w], tile_bag int64 [T] in [0, B).
  MilResult Pool(const torch::Tensor& tiles, const torch::Tensor& tile_bag, const torch::Tensor& rows);

 private:
  std::int64_t embed_dim_;
  TileEncoder tile_encoder_{nullptr};
  GatedAttention attention_{nullptr};
};
TORCH_MODULE(MilPooling);

struct WsiAbmilOptions {
  TORCH_ARG(MilPoolingOptions, mil) = {};
  TORCH_ARG(std::int64_t, num_classes) = 2;
  TORCH_ARG(double, dropout) = 0.0;  // on the slide embedding
};

class WsiAbmilImpl : public ZooModuleImpl {
 public:
  // `frozen` must be set exactly when options.mil().encoder() == "torchscript" (see
  // LoadFrozenEncoder); the registry does this.
  explicit WsiAbmilImpl(const WsiAbmilOptions& options,
                        std::shared_ptr<torch::jit::Module> frozen = nullptr);

  // Logits and attention for bags given as in Batch (tile_bag rows in [0, batch_size)).
  ModelOutput forward(const torch::Tensor& tiles, const torch::Tensor& tile_bag,
                      std::int64_t batch_size);

  Task task() const override { return Task::kClassification; }
  Status CheckBatch(const Batch& batch, bool need_labels) const override;
  ModelOutput ForwardBatch(const Batch& batch) override;

  const WsiAbmilOptions& options() const { return options_; }

 private:
  WsiAbmilOptions options_;
  MilPooling mil_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(WsiAbmil);

// Loads a TorchScript tile encoder, puts it in eval mode with gradients off, and checks that it maps
// a [1, 3, tile_size, tile_size] tile to `features` values. Errors name the file.
StatusOr<std::shared_ptr<torch::jit::Module>> LoadFrozenEncoder(const std::string& path,
                                                                std::int64_t features,
                                                                std::int64_t tile_size);

}  // namespace pancaim::zoo
