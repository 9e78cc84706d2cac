// Conversion between LibTorch tensors and safetensors bytes, in one place.
//
// A TensorMap is a model's state dict: every parameter and buffer (BatchNorm running statistics,
// counters), by its stable dotted name ("encoder.conv1.weight"). Names are the wire format.
//
// Supported dtypes: float64/32/16, bfloat16, int64/32/16/8, uint8, bool (the safetensors set).
// Tensors are written contiguous, little-endian, from CPU.
//
// When bytes are copied (and when not):
//   Encode: a CUDA tensor is copied to CPU and a non-contiguous one made contiguous first (one
//           copy each); then every tensor is copied once into the output buffer. A CPU contiguous
//           tensor is read in place.
//   Decode: no copy. Each tensor is a CPU tensor that *views* the shared buffer (which it keeps
//           alive) when its data is aligned to its element size, which holds for every buffer
//           EncodeSafetensors writes. A misaligned tensor (possible in files from other writers)
//           is copied into its own storage.
// Tensors that view the buffer must be treated as read-only (the buffer is const): clone() before
// modifying one in place. LoadStateDict copies into the module, so loading is always safe.
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

// The safetensors dtype of a torch scalar type; InvalidArgument for types outside the set above.
StatusOr<protocol::DType> ToDType(torch::ScalarType type);
torch::ScalarType ToScalarType(protocol::DType dtype);

// Serializes `tensors` with `metadata` into safetensors bytes. Data is laid out by element size,
// largest first, then by name, so every tensor is aligned for zero-copy decoding; the JSON header
// lists tensors in that order. Deterministic: equal inputs give equal bytes. Errors name the
// tensor: undefined, sparse or of an unsupported dtype.
StatusOr<std::string> EncodeSafetensors(const TensorMap& tensors, const Metadata& metadata = {});

// A decoded safetensors buffer as tensors plus metadata. A value; its tensors may view (and keep
// alive) the decoded buffer.
struct DecodedTensors {
  TensorMap tensors;
  Metadata metadata;
};

// Parses and validates `buffer` (see protocol/safetensors.h) and wraps each tensor (views when
// aligned, see above). Errors are those of SafetensorsView::Parse, and InvalidArgument for a
// BOOL byte other than 0 or 1 (torch's bool must hold exactly those).
StatusOr<DecodedTensors> DecodeSafetensors(std::shared_ptr<const std::string> buffer,
                                           const protocol::SafetensorsLimits& limits = {});

// Every parameter and buffer of `module`, by its full dotted name, detached and on its device.
// The tensors share storage with the module (no copy): clone() them to keep a snapshot.
TensorMap StateDict(const torch::nn::Module& module);

// Copies `tensors` into `module`'s parameters and buffers. Fails, naming the tensor, when a name is
// missing or extra, or a shape or dtype differs; the module is untouched on failure.
Status LoadStateDict(torch::nn::Module& module, const TensorMap& tensors);

// Writes a checkpoint file atomically (see common/files.h); reads one back, validated. Errors
// start with the file's path.
Status SaveSafetensorsFile(const std::string& path, const TensorMap& tensors,
                           const Metadata& metadata = {});
StatusOr<DecodedTensors> LoadSafetensorsFile(const std::string& path);

}  // namespace pancaim::tensorio
