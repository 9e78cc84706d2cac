#include "pancaim/model_zoo/mnist_cnn.h"

#include <torch/torch.h>

#include "batch_checks.h"

namespace pancaim::zoo {

namespace nn = torch::nn;

MnistCnnImpl::MnistCnnImpl(const MnistCnnOptions& options)
    : ZooModuleImpl("MnistCnn"), options_(options) {
  PANCAIM_CHECK(options.image_size() > 0 && options.image_size() % 4 == 0)
      << "mnist-cnn image_size must be a positive multiple of 4";
  conv1_ = register_module("conv1",
                           nn::Conv2d(nn::Conv2dOptions(options.in_channels(), 32, 5).padding(2)));
  conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(32, 64, 5).padding(2)));
  const int64_t side = options.image_size() / 4;
  fc1_ = register_module("fc1", nn::Linear(64 * side * side, 512));
  fc2_ = register_module("fc2", nn::Linear(512, options.num_classes()));
}

torch::Tensor MnistCnnImpl::forward(const torch::Tensor& images) {
  torch::Tensor x = torch::max_pool2d(torch::relu(conv1_(images)), /*kernel_size=*/2);
  x = torch::max_pool2d(torch::relu(conv2_(x)), /*kernel_size=*/2);
  x = torch::relu(fc1_(x.flatten(/*start_dim=*/1)));
  return fc2_(x);
}

Status MnistCnnImpl::CheckBatch(const Batch& batch, bool need_labels) const {
  const std::string model = "mnist-cnn";
  PANCAIM_RETURN_IF_ERROR(
      internal::RequireAllPresent(model, batch, batch.image, batch.image_present, "image"));
  PANCAIM_RETURN_IF_ERROR(internal::RequireSize(model, batch.image, "image", 1, options_.in_channels()));
  PANCAIM_RETURN_IF_ERROR(internal::RequireSize(model, batch.image, "image", 2, options_.image_size()));
  PANCAIM_RETURN_IF_ERROR(internal::RequireSize(model, batch.image, "image", 3, options_.image_size()));
  if (need_labels) PANCAIM_RETURN_IF_ERROR(internal::RequireLabels(model, batch, options_.num_classes()));
  return Status::Ok();
}

ModelOutput MnistCnnImpl::ForwardBatch(const Batch& batch) {
  ModelOutput out;
  out.logits = forward(batch.image);
  return out;
}

}  // namespace pancaim::zoo
