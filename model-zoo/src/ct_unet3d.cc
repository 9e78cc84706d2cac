#include "pancaim/model_zoo/ct_unet3d.h"

#include <vector>

#include <torch/torch.h>

#include "batch_checks.h"
#include "pancaim/model_zoo/ct_cnn3d.h"

namespace pancaim::zoo {

namespace nn = torch::nn;

namespace {

torch::Tensor LeakyRelu(const torch::Tensor& x) {
  return torch::leaky_relu(x, /*negative_slope=*/0.01);
}

}  // namespace

UnetConvBlockImpl::UnetConvBlockImpl(std::int64_t in, std::int64_t out, std::int64_t stride,
                                     std::int64_t groups) {
  conv1_ = register_module(
      "conv1", nn::Conv3d(nn::Conv3dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
  norm1_ = register_module("norm1", nn::GroupNorm(GroupCount(out, groups), out));
  conv2_ = register_module("conv2",
                           nn::Conv3d(nn::Conv3dOptions(out, out, 3).padding(1).bias(false)));
  norm2_ = register_module("norm2", nn::GroupNorm(GroupCount(out, groups), out));
}

torch::Tensor UnetConvBlockImpl::forward(const torch::Tensor& x) {
  return LeakyRelu(norm2_(conv2_(LeakyRelu(norm1_(conv1_(x))))));
}

UnetUpBlockImpl::UnetUpBlockImpl(std::int64_t in, std::int64_t skip, std::int64_t out,
                                 std::int64_t groups) {
  up_ = register_module("up",
                        nn::ConvTranspose3d(nn::ConvTranspose3dOptions(in, out, 2).stride(2)));
  conv1_ = register_module(
      "conv1", nn::Conv3d(nn::Conv3dOptions(out + skip, out, 3).padding(1).bias(false)));
  norm1_ = register_module("norm1", nn::GroupNorm(GroupCount(out, groups), out));
  conv2_ = register_module("conv2",
                           nn::Conv3d(nn::Conv3dOptions(out, out, 3).padding(1).bias(false)));
  norm2_ = register_module("norm2", nn::GroupNorm(GroupCount(out, groups), out));
}

torch::Tensor UnetUpBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& skip) {
  torch::Tensor y = torch::cat({up_(x), skip}, /*dim=*/1);
  return LeakyRelu(norm2_(conv2_(LeakyRelu(norm1_(conv1_(y))))));
}

CtUnet3dImpl::CtUnet3dImpl(const CtUnet3dOptions& options)
    : ZooModuleImpl("CtUnet3d"), options_(options) {
  PANCAIM_CHECK(options.depth() >= 2 && options.width() >= 1 && options.num_classes() >= 2)
      << "ct-unet3d needs depth >= 2, width >= 1 and at least two classes";
  encoder_ = register_module("encoder", nn::ModuleList());
  decoder_ = register_module("decoder", nn::ModuleList());
  int64_t channels = options.in_channels();
  for (int64_t l = 0; l < options.depth(); ++l) {
    const int64_t out = options.width() << l;
    encoder_->push_back(UnetConvBlock(channels, out, l == 0 ? 1 : 2, options.groups()));
    channels = out;
  }
  for (int64_t l = options.depth() - 2; l >= 0; --l) {
    const int64_t out = options.width() << l;
    decoder_->push_back(UnetUpBlock(channels, out, out, options.groups()));
    channels = out;
  }
  head_ = register_module("head", nn::Conv3d(nn::Conv3dOptions(channels, options.num_classes(), 1)));
}

torch::Tensor CtUnet3dImpl::forward(const torch::Tensor& volume) {
  std::vector<torch::Tensor> skips;
  torch::Tensor x = volume;
  for (const auto& level : *encoder_) {
    x = level->as<UnetConvBlock>()->forward(x);
    skips.push_back(x);
  }
  skips.pop_back();  // the bottleneck is not a skip
  for (const auto& step : *decoder_) {
    x = step->as<UnetUpBlock>()->forward(x, skips.back());
    skips.pop_back();
  }
  return head_(x);
}

Status CtUnet3dImpl::CheckBatch(const Batch& batch, bool need_labels) const {
  const std::string model = "ct-unet3d";
  PANCAIM_RETURN_IF_ERROR(internal::RequireAllPresent(model, batch, batch.ct, batch.ct_present, "ct"));
  PANCAIM_RETURN_IF_ERROR(internal::RequireSize(model, batch.ct, "ct", 1, options_.in_channels()));
  const int64_t multiple = int64_t{1} << (options_.depth() - 1);
  for (int64_t d = 2; d < 5; ++d) {
    if (batch.ct.size(d) % multiple != 0) {
      return InvalidArgumentError(model + ": field 'ct' spatial size " +
                                  std::to_string(batch.ct.size(d)) + " is not a multiple of " +
                                  std::to_string(multiple) + " (2^(depth-1))");
    }
  }
  if (need_labels) {
    PANCAIM_RETURN_IF_ERROR(
        internal::RequireAllPresent(model, batch, batch.ct_mask, batch.ct_mask_present, "ct_mask"));
    const int64_t max_class = batch.ct_mask.max().item<int64_t>();
    if (max_class >= options_.num_classes()) {
      return InvalidArgumentError(model + ": field 'ct_mask' has class " +
                                  std::to_string(max_class) + ", the model has " +
                                  std::to_string(options_.num_classes()) + " classes");
    }
  }
  return Status::Ok();
}

ModelOutput CtUnet3dImpl::ForwardBatch(const Batch& batch) {
  ModelOutput out;
  out.seg_logits = forward(batch.ct);
  return out;
}

}  // namespace pancaim::zoo
