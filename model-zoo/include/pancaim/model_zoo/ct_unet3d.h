// ct-unet3d: a small 3D U-Net for pancreas and tumour segmentation on a CT crop, in the spirit of
// nnU-Net: two conv3-GroupNorm-LeakyReLU per level, strided-convolution downsampling, transposed-
// convolution upsampling with skip connections; depth and width configurable. Trained with soft
// Dice (foreground classes) plus cross-entropy.
//
// Parameter names, for levels l = 0..depth-1 and decoder steps u = 0..depth-2 (deepest first):
//   encoder.<l>.conv1.weight [w_l, in, 3,3,3] (stride 2 for l >= 1), .norm1.*, .conv2.weight, .norm2.*
//   decoder.<u>.up.{weight,bias}  (ConvTranspose3d, kernel 2, stride 2), .conv1.*, .norm1.*,
//   .conv2.*, .norm2.*
//   head.{weight,bias}  [num_classes, width, 1, 1, 1]
// with w_l = width * 2^l. Input: Batch::ct [B, 1, D, H, W] with D, H, W divisible by 2^(depth-1);
// labels Batch::ct_mask [B, D, H, W] in [0, num_classes). Output: seg_logits [B, K, D, H, W].
#pragma once

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "pancaim/model_zoo/zoo_module.h"

namespace pancaim::zoo {

struct CtUnet3dOptions {
  TORCH_ARG(std::int64_t, in_channels) = 1;
  TORCH_ARG(std::int64_t, num_classes) = 3;  // background, pancreas, tumour
  TORCH_ARG(std::int64_t, width) = 8;        // channels at full resolution
  TORCH_ARG(std::int64_t, depth) = 3;        // resolution levels (>= 2)
  TORCH_ARG(std::int64_t, groups) = 4;
};

// Two conv3-GroupNorm-LeakyReLU(0.01) layers; the first may be strided (downsampling).
class UnetConvBlockImpl : public torch::nn::Module {
 public:
  UnetConvBlockImpl(std::int64_t in, std::int64_t out, std::int64_t stride, std::int64_t groups);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv3d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::GroupNorm norm1_{nullptr}, norm2_{nullptr};
};
TORCH_MODULE(UnetConvBlock);

// Upsampling step: transposed conv x2, concatenation with the skip, then a conv block.
class UnetUpBlockImpl : public torch::nn::Module {
 public:
  UnetUpBlockImpl(std::int64_t in, std::int64_t skip, std::int64_t out, std::int64_t groups);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& skip);

 private:
  torch::nn::ConvTranspose3d up_{nullptr};
  torch::nn::Conv3d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::GroupNorm norm1_{nullptr}, norm2_{nullptr};
};
TORCH_MODULE(UnetUpBlock);

class CtUnet3dImpl : public ZooModuleImpl {
 public:
  explicit CtUnet3dImpl(const CtUnet3dOptions& options);

  // volume [B, in_channels, D, H, W] -> logits [B, num_classes, D, H, W].
  torch::Tensor forward(const torch::Tensor& volume);

  Task task() const override { return Task::kSegmentation; }
  Status CheckBatch(const Batch& batch, bool need_labels) const override;
  ModelOutput ForwardBatch(const Batch& batch) override;

  const CtUnet3dOptions& options() const { return options_; }

 private:
  CtUnet3dOptions options_;
  torch::nn::ModuleList encoder_{nullptr};
  torch::nn::ModuleList decoder_{nullptr};
  torch::nn::Conv3d head_{nullptr};
};
TORCH_MODULE(CtUnet3d);

}  // namespace pancaim::zoo
