// mnist-cnn: the CNN of McMahan et al., "Communication-Efficient Learning of Deep Networks from
// Decentralized Data" (AISTATS 2017), for reproducing FedAvg: two 5x5 convolutions (32 and 64
// channels, 'same' padding), each followed by ReLU and 2x2 max pooling, a 512-unit dense layer with
// ReLU, and a 10-way output: 1,663,370 parameters with the default options.
//
// Parameter names: conv1.{weight,bias} [32,1,5,5], conv2.{weight,bias} [64,32,5,5],
// fc1.{weight,bias} [512, 3136], fc2.{weight,bias} [10, 512].
// Input: Batch::image [B, 1, 28, 28]; labels Batch::label in [0, 10). Output: logits [B, 10].
#pragma once

#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "pancaim/model_zoo/zoo_module.h"

namespace pancaim::zoo {

struct MnistCnnOptions {
  TORCH_ARG(std::int64_t, in_channels) = 1;
  TORCH_ARG(std::int64_t, image_size) = 28;  // square input; must be a multiple of 4
  TORCH_ARG(std::int64_t, num_classes) = 10;
};

class MnistCnnImpl : public ZooModuleImpl {
 public:
  explicit MnistCnnImpl(const MnistCnnOptions& options = {});

  // images [B, in_channels, S, S] -> logits [B, num_classes].
  torch::Tensor forward(const torch::Tensor& images);

  Task task() const override { return Task::kClassification; }
  Status CheckBatch(const Batch& batch, bool need_labels) const override;
  ModelOutput ForwardBatch(const Batch& batch) override;

 private:
  MnistCnnOptions options_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(MnistCnn);

}  // namespace pancaim::zoo
