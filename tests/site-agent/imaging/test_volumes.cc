#include "test_volumes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

namespace pancaim::imaging::testing {

TempDir::TempDir() {
  std::random_device device;
  path_ = std::filesystem::temp_directory_path() /
          ("pancaim-imaging-" + std::to_string(device()) + std::to_string(device()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Volume MakePhantom(std::array<std::int64_t, 3> size, std::array<double, 3> spacing,
                   std::array<std::int64_t, 3> cube_at) {
  Volume volume;
  volume.geometry.size = size;
  volume.geometry.spacing = spacing;
  volume.geometry.origin = {-10.0, 20.0, -30.0};
  volume.voxels.resize(static_cast<std::size_t>(volume.geometry.NumVoxels()));
  std::size_t offset = 0;
  for (std::int64_t k = 0; k < size[2]; ++k) {
    for (std::int64_t j = 0; j < size[1]; ++j) {
      for (std::int64_t i = 0; i < size[0]; ++i, ++offset) {
        const double x = (i - (size[0] - 1) / 2.0) / (size[0] / 2.0);
        const double y = (j - (size[1] - 1) / 2.0) / (size[1] / 2.0);
        float value = x * x + y * y < 0.9 ? 40.0f : -1000.0f;
        const bool in_cube = i >= cube_at[0] && i < cube_at[0] + 4 && j >= cube_at[1] &&
                             j < cube_at[1] + 4 && k >= cube_at[2] && k < cube_at[2] + 4;
        if (in_cube) value = 200.0f;
        volume.voxels[offset] = value;
      }
    }
  }
  return volume;
}

Volume MakeCubeMask(const Volume& like, std::array<std::int64_t, 3> cube_at) {
  Volume mask = like;
  const auto& size = like.geometry.size;
  std::size_t offset = 0;
  for (std::int64_t k = 0; k < size[2]; ++k) {
    for (std::int64_t j = 0; j < size[1]; ++j) {
      for (std::int64_t i = 0; i < size[0]; ++i, ++offset) {
        const bool in_cube = i >= cube_at[0] && i < cube_at[0] + 4 && j >= cube_at[1] &&
                             j < cube_at[1] + 4 && k >= cube_at[2] && k < cube_at[2] + 4;
        mask.voxels[offset] = in_cube ? 1.0f : 0.0f;
      }
    }
  }
  return mask;
}

void WriteRawNifti(const std::filesystem::path& path, std::array<std::int64_t, 3> size,
                   const std::array<float, 12>& sform) {
  char header[352] = {};
  const auto put32 = [&header](int at, std::int32_t v) { std::memcpy(header + at, &v, 4); };
  const auto put16 = [&header](int at, std::int16_t v) { std::memcpy(header + at, &v, 2); };
  const auto putf = [&header](int at, float v) { std::memcpy(header + at, &v, 4); };
  put32(0, 348);
  put16(40, 3);
  for (int axis = 0; axis < 3; ++axis) put16(42 + 2 * axis, static_cast<std::int16_t>(size[axis]));
  for (int axis = 3; axis < 8; ++axis) put16(42 + 2 * axis, 1);
  put16(70, 16);  // DT_FLOAT32
  put16(72, 32);
  putf(76, 1.0f);  // qfac
  for (int axis = 0; axis < 3; ++axis) {
    // pixdim: the length of each sform column, as a consistent writer would store it.
    const float a = sform[static_cast<std::size_t>(axis)];
    const float b = sform[static_cast<std::size_t>(4 + axis)];
    const float c = sform[static_cast<std::size_t>(8 + axis)];
    putf(80 + 4 * axis, std::sqrt(a * a + b * b + c * c));
  }
  putf(108, 352.0f);
  putf(112, 1.0f);
  put16(252, 0);  // qform_code: unknown
  put16(254, 1);  // sform_code: scanner
  for (int i = 0; i < 12; ++i) putf(280 + 4 * i, sform[static_cast<std::size_t>(i)]);
  std::memcpy(header + 344, "n+1\0", 4);
  std::ofstream out(path, std::ios::binary);
  out.write(header, sizeof(header));
  const std::vector<float> voxels(static_cast<std::size_t>(size[0] * size[1] * size[2]), 1.0f);
  out.write(reinterpret_cast<const char*>(voxels.data()),
            static_cast<std::streamsize>(voxels.size() * sizeof(float)));
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteAll(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

void TruncateFile(const std::filesystem::path& path, std::uintmax_t keep) {
  std::filesystem::resize_file(path, keep);
}

std::filesystem::path MricronTemplate(const std::string& name) {
  const std::filesystem::path path = std::filesystem::path("/usr/share/mricron/templates") / name;
  return std::filesystem::exists(path) ? path : std::filesystem::path();
}

std::filesystem::path PydicomTestFile(const std::string& name) {
  const std::filesystem::path path =
      std::filesystem::path("/usr/lib/python3/dist-packages/pydicom/data/test_files") / name;
  return std::filesystem::exists(path) ? path : std::filesystem::path();
}

}  // namespace pancaim::imaging::testing
