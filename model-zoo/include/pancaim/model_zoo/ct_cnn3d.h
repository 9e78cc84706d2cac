// ct-cnn3d: a 3D residual CNN that classifies a cropped CT volume (PDAC vs no PDAC).
//
// Normalisation is GroupNorm, never BatchNorm: BatchNorm keeps running mean/variance buffers that
// each site estimates on its own (non-IID) scanners and case mix, and averaging those statistics
// across sites gives values that fit no site; its batch-dependent outputs also make tiny local
// batches (1-2 volumes on a GPU) noisy. GroupNorm normalises within each sample, has no buffers, and
// behaves the same in training and evaluation and at every site.
//
// Parameter names (the wire format), for stages s = 0..stages-1 and blocks b = 0..blocks-1:
//   backbone.stem_conv.weight                    [width, in_channels, 3, 3, 3]
//   backbone.stem_norm.{weight,bias}
//   backbone.stages.<s*blocks+b>.conv1.weight, .norm1.{weight,bias}, .conv2.weight, .norm2.*
//   backbone.stages.<i>.shortcut_conv.weight, .shortcut_norm.*   (first block of stages s >= 1)
//   classifier.{weight,bias}                     [num_classes, width * 2^(stages-1)]
// Input: Batch::ct [B, 1, D, H, W] (every row present), labels Batch::label in [0, num_classes).
// Output: logits [B, num_classes]. Not synchronized (a torch module).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "pancaim/model_zoo/zoo_module.h"

namespace pancaim::zoo {

// Options of the residual 3D trunk shared by ct-cnn3d and fusion-survival's CT encoder.
struct CtBackbone3dOptions {
  TORCH_ARG(std::int64_t, in_channels) = 1;
  TORCH_ARG(std::int64_t, width) = 16;             // channels of the first stage; doubles per stage
  TORCH_ARG(std::int64_t, stages) = 3;             // each stage after the first halves D, H and W
  TORCH_ARG(std::int64_t, blocks_per_stage) = 1;
  TORCH_ARG(std::int64_t, groups) = 8;  // GroupNorm groups (reduced to gcd with the channel count)
};

// Basic residual block: conv3-GN-ReLU-conv3-GN plus identity or 1x1x1 projection, then ReLU.
class ResBlock3dImpl : public torch::nn::Module {
 public:
  ResBlock3dImpl(std::int64_t in, std::int64_t out, std::int64_t stride, std::int64_t groups);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv3d conv1_{nullptr}, conv2_{nullptr}, shortcut_conv_{nullptr};
  torch::nn::GroupNorm norm1_{nullptr}, norm2_{nullptr}, shortcut_norm_{nullptr};
};
TORCH_MODULE(ResBlock3d);

// Stem plus residual stages, ending in global average pooling: [B, C, D, H, W] -> [B, features].
class CtBackbone3dImpl : public torch::nn::Module {
 public:
  explicit CtBackbone3dImpl(const CtBackbone3dOptions& options);
  torch::Tensor forward(const torch::Tensor& volume);
  std::int64_t out_features() const { return out_features_; }

 private:
  torch::nn::Conv3d stem_conv_{nullptr};
  torch::nn::GroupNorm stem_norm_{nullptr};
  torch::nn::ModuleList stages_{nullptr};
  std::int64_t out_features_ = 0;
};
TORCH_MODULE(CtBackbone3d);

struct CtCnn3dOptions {
  TORCH_ARG(CtBackbone3dOptions, backbone) = {};
  TORCH_ARG(std::int64_t, num_classes) = 2;
  TORCH_ARG(double, dropout) = 0.0;  // before the classifier
};

class CtCnn3dImpl : public ZooModuleImpl {
 public:
  explicit CtCnn3dImpl(const CtCnn3dOptions& options);

  // volume [B, in_channels, D, H, W] -> logits [B, num_classes].
  torch::Tensor forward(const torch::Tensor& volume);

  Task task() const override { return Task::kClassification; }
  Status CheckBatch(const Batch& batch, bool need_labels) const override;
  ModelOutput ForwardBatch(const Batch& batch) override;

  const CtCnn3dOptions& options() const { return options_; }

 private:
  CtCnn3dOptions options_;
  CtBackbone3d backbone_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(CtCnn3d);

// GroupNorm group count for `channels`: gcd(groups, channels), so any width is valid.
std::int64_t GroupCount(std::int64_t channels, std::int64_t groups);

}  // namespace pancaim::zoo
