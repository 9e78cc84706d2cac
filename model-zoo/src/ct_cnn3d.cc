#include "pancaim/model_zoo/ct_cnn3d.h"

#include <numeric>

#include <torch/torch.h>

#include "batch_checks.h"

namespace pancaim::zoo {

namespace nn = torch::nn;

std::int64_t GroupCount(std::int64_t channels, std::int64_t groups) {
  PANCAIM_CHECK(channels > 0 && groups > 0) << "channels and groups must be positive";
  return std::gcd(channels, groups);
}

ResBlock3dImpl::ResBlock3dImpl(std::int64_t in, std::int64_t out, std::int64_t stride,
                               std::int64_t groups) {
  conv1_ = register_module(
      "conv1", nn::Conv3d(nn::Conv3dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
  norm1_ = register_module("norm1", nn::GroupNorm(GroupCount(out, groups), out));
  conv2_ = register_module("conv2",
                           nn::Conv3d(nn::Conv3dOptions(out, out, 3).padding(1).bias(false)));
  norm2_ = register_module("norm2", nn::GroupNorm(GroupCount(out, groups), out));
  if (stride != 1 || in != out) {
    shortcut_conv_ = register_module(
        "shortcut_conv", nn::Conv3d(nn::Conv3dOptions(in, out, 1).stride(stride).bias(false)));
    shortcut_norm_ = register_module("shortcut_norm", nn::GroupNorm(GroupCount(out, groups), out));
  }
}

torch::Tensor ResBlock3dImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::relu(norm1_(conv1_(x)));
  y = norm2_(conv2_(y));
  torch::Tensor shortcut = shortcut_conv_ ? shortcut_norm_(shortcut_conv_(x)) : x;
  return torch::relu(y + shortcut);
}

CtBackbone3dImpl::CtBackbone3dImpl(const CtBackbone3dOptions& options) {
  PANCAIM_CHECK(options.stages() >= 1 && options.blocks_per_stage() >= 1 && options.width() >= 1)
      << "ct backbone needs at least one stage, block and channel";
  const int64_t width = options.width();
  stem_conv_ = register_module(
      "stem_conv",
      nn::Conv3d(nn::Conv3dOptions(options.in_channels(), width, 3).padding(1).bias(false)));
  stem_norm_ = register_module("stem_norm", nn::GroupNorm(GroupCount(width, options.groups()), width));
  stages_ = register_module("stages", nn::ModuleList());
  int64_t channels = width;
  for (int64_t s = 0; s < options.stages(); ++s) {
    const int64_t out = width << s;
    for (int64_t b = 0; b < options.blocks_per_stage(); ++b) {
      const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
      stages_->push_back(ResBlock3d(channels, out, stride, options.groups()));
      channels = out;
    }
  }
  out_features_ = channels;
}

torch::Tensor CtBackbone3dImpl::forward(const torch::Tensor& volume) {
  torch::Tensor x = torch::relu(stem_norm_(stem_conv_(volume)));
  for (const auto& block : *stages_) x = block->as<ResBlock3d>()->forward(x);
  return x.mean({2, 3, 4});
}

CtCnn3dImpl::CtCnn3dImpl(const CtCnn3dOptions& options)
    : ZooModuleImpl("CtCnn3d"), options_(options) {
  PANCAIM_CHECK(options.num_classes() >= 2) << "ct-cnn3d needs at least two classes";
  backbone_ = register_module("backbone", CtBackbone3d(options.backbone()));
  dropout_ = register_module("dropout", nn::Dropout(options.dropout()));
  classifier_ = register_module(
      "classifier", nn::Linear(backbone_->out_features(), options.num_classes()));
}

torch::Tensor CtCnn3dImpl::forward(const torch::Tensor& volume) {
  return classifier_(dropout_(backbone_(volume)));
}

Status CtCnn3dImpl::CheckBatch(const Batch& batch, bool need_labels) const {
  const std::string model = "ct-cnn3d";
  PANCAIM_RETURN_IF_ERROR(internal::RequireAllPresent(model, batch, batch.ct, batch.ct_present, "ct"));
  PANCAIM_RETURN_IF_ERROR(
      internal::RequireSize(model, batch.ct, "ct", 1, options_.backbone().in_channels()));
  if (need_labels) PANCAIM_RETURN_IF_ERROR(internal::RequireLabels(model, batch, options_.num_classes()));
  return Status::Ok();
}

ModelOutput CtCnn3dImpl::ForwardBatch(const Batch& batch) {
  ModelOutput out;
  out.logits = forward(batch.ct);
  return out;
}

}  // namespace pancaim::zoo
