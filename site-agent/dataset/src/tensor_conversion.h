// Conversions from the readers' buffers to the tensors of zoo::Sample (internal to this library).
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "pancaim/imaging/volume.h"
#include "pancaim/pathology/slide_tile_sampler.h"

namespace pancaim::sitedataset {

// float32 [D, H, W] copy of the volume's voxels (x fastest in the buffer).
torch::Tensor VolumeToTensor(const imaging::Volume& volume);
// int64 [D, H, W] labels, voxel values rounded.
torch::Tensor MaskToTensor(const imaging::Volume& mask);
// float32 [N, 3, h, w] in [0, 1]; tiles non-empty and of one size (checked).
torch::Tensor TilesToTensor(const std::vector<pathology::SampledTile>& tiles);
// float32 [n] and bool [n] copies.
torch::Tensor FloatVectorToTensor(const std::vector<float>& values);
torch::Tensor MaskVectorToTensor(const std::vector<std::uint8_t>& mask);

}  // namespace pancaim::sitedataset
