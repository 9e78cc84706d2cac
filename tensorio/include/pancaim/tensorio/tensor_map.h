// Conversion between LibTorch tensors and safetensors bytes, in one place.
//
// A TensorMap is a model's state dict: every parameter and buffer (BatchNorm running statistics,
// counters), by its stable dotted name ("encoder.conv1.weight"). Names are the wire format.
//
// Supported dtypes: float64/32/16, bfloat16, int64/32/16/8, uint8, bool (the safetensors set).
// Tensors are written contiguous, little-endian, from CPU (CUDA tensors are copied to CPU first).
// Reading creates CPU tensors that *view* the shared buffer when the data is suitably aligned (the
// buffer is kept alive by the tensors), and copies otherwise.
// Functions are thread-safe; a TensorMap is a value, unsynchronized.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <torch/types.h>
#include <torch/nn/module.h>

#include "pancaim/common/status.h"
#include "pancaim/protocol/safetensors.h"

namespace pancaim::tensorio {

using TensorMap = std::map<std::string, torch::Tensor>;
using Metadata = std::map<std::string, std::string>;

StatusOr<protocol::DType> ToDType(torch::ScalarType type);
torch::ScalarType ToScalarType(protocol::DType dtype);

// Serializes `tensors` (sorted by name) with `metadata` into safetensors bytes.
StatusOr<std::string> EncodeSafetensors(const TensorMap& tensors, const Metadata& metadata = {});

// A decoded safetensors buffer as tensors plus metadata.
struct DecodedTensors {
  TensorMap tensors;
  Metadata metadata;
};

// Parses and validates `buffer` (see protocol/safetensors.h) and wraps each tensor.
StatusOr<DecodedTensors> DecodeSafetensors(std::shared_ptr<const std::string> buffer,
                                           const protocol::SafetensorsLimits& limits = {});

// Every parameter and buffer of `module`, by its full dotted name, detached and on its device.
TensorMap StateDict(const torch::nn::Module& module);

// Copies `tensors` into `module`'s parameters and buffers. Fails, naming the tensor, when a name is
// missing or extra, or a shape or dtype differs; the module is untouched on failure.
Status LoadStateDict(torch::nn::Module& module, const TensorMap& tensors);

// Writes a checkpoint file atomically (see common/files.h); reads one back, validated.
Status SaveSafetensorsFile(const std::string& path, const TensorMap& tensors,
                           const Metadata& metadata = {});
StatusOr<DecodedTensors> LoadSafetensorsFile(const std::string& path);

}  // namespace pancaim::tensorio
