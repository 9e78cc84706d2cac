#include "tensor_conversion.h"

#include <algorithm>

#include <torch/torch.h>

#include "pancaim/common/check.h"

namespace pancaim::sitedataset {

torch::Tensor VolumeToTensor(const imaging::Volume& volume) {
  const auto shape = volume.ShapeDhw();
  PANCAIM_CHECK(static_cast<std::int64_t>(volume.voxels.size()) == shape[0] * shape[1] * shape[2])
      << "volume buffer does not match its geometry";
  return torch::from_blob(const_cast<float*>(volume.voxels.data()), {shape[0], shape[1], shape[2]},
                          torch::kFloat32)
      .clone();
}

torch::Tensor MaskToTensor(const imaging::Volume& mask) {
  return VolumeToTensor(mask).round().to(torch::kInt64);
}

torch::Tensor TilesToTensor(const std::vector<pathology::SampledTile>& tiles) {
  PANCAIM_CHECK(!tiles.empty()) << "no tiles";
  const int h = tiles.front().image.height;
  const int w = tiles.front().image.width;
  torch::Tensor out = torch::empty({static_cast<std::int64_t>(tiles.size()), h, w, 3}, torch::kUInt8);
  std::uint8_t* dst = out.data_ptr<std::uint8_t>();
  const std::size_t tile_bytes = static_cast<std::size_t>(h) * static_cast<std::size_t>(w) * 3;
  for (std::size_t t = 0; t < tiles.size(); ++t) {
    const pathology::RgbImage& image = tiles[t].image;
    PANCAIM_CHECK(image.height == h && image.width == w && image.pixels.size() == tile_bytes)
        << "tiles of different sizes";
    std::copy(image.pixels.begin(), image.pixels.end(), dst + t * tile_bytes);
  }
  return out.permute({0, 3, 1, 2}).to(torch::kFloat32).div_(255.0f).contiguous();
}

torch::Tensor FloatVectorToTensor(const std::vector<float>& values) {
  return torch::from_blob(const_cast<float*>(values.data()),
                          {static_cast<std::int64_t>(values.size())}, torch::kFloat32)
      .clone();
}

torch::Tensor MaskVectorToTensor(const std::vector<std::uint8_t>& mask) {
  return torch::from_blob(const_cast<std::uint8_t*>(mask.data()),
                          {static_cast<std::int64_t>(mask.size())}, torch::kUInt8)
      .ne(0);
}

}  // namespace pancaim::sitedataset
