// bench-ct-preprocess: CT volumes/s through pancaim::imaging next to a baseline from ITK itself,
// measured in the same run on the same files. Writes N synthetic abdomen-like CT volumes (noisy
// int-valued HU, float32 NIfTI .nii.gz through ITK), then times:
//   baseline  itk::ImageFileReader<float, 3> of each file (decompress + parse, nothing else)
//   read      imaging::ReadVolume: the same read plus the truncation check (inflates the gzip
//             stream once more, because niftilib zero-fills short files silently)
//   pipeline  imaging::LoadCase: read with integrity checks, canonical resample, window, normalise
//   cached    imaging::VolumeCache hits (hash inputs + read the preprocessed entry)
// and prints volumes/s and the ratio to the baseline (best of --passes).
#include <itkImageFileReader.h>
#include <itkNiftiImageIOFactory.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>

#include "pancaim/imaging/volume_cache.h"

namespace {

using pancaim::imaging::Volume;

Volume NoisyAbdomen(std::array<std::int64_t, 3> size, std::uint32_t seed) {
  Volume v;
  v.geometry.size = size;
  v.geometry.spacing = {0.78, 0.78, 2.5};
  v.voxels.resize(static_cast<std::size_t>(v.geometry.NumVoxels()));
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 12.0f);
  std::size_t o = 0;
  for (std::int64_t k = 0; k < size[2]; ++k) {
    for (std::int64_t j = 0; j < size[1]; ++j) {
      for (std::int64_t i = 0; i < size[0]; ++i, ++o) {
        const double x = (i - size[0] / 2.0) / (size[0] * 0.45);
        const double y = (j - size[1] / 2.0) / (size[1] * 0.35);
        const double r = x * x + y * y;
        float hu = r < 1.0 ? (r < 0.05 ? 60.0f : 40.0f) : -1000.0f;
        // CT values are integers; noise only inside the body, as scanners store air flat-ish.
        if (r < 1.0) hu = std::round(hu + noise(rng));
        v.voxels[o] = hu;
      }
    }
  }
  return v;
}

double Time(const std::function<bool()>& pass, int passes) {
  double best = 1e300;
  for (int p = 0; p < passes; ++p) {
    const auto start = std::chrono::steady_clock::now();
    if (!pass()) return -1;
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"CT volumes/s through the imaging pipeline next to a plain ITK read, same files"};
  int volumes = 6;
  int passes = 3;
  std::vector<std::int64_t> size = {256, 256, 96};
  std::string work = (std::filesystem::temp_directory_path() / "pancaim-bench-ct").string();
  app.add_option("--volumes", volumes, "Synthetic volumes to write and read")->check(CLI::Range(1, 1000));
  app.add_option("--passes", passes, "Timed passes (best is reported)")->check(CLI::Range(1, 100));
  app.add_option("--size", size, "Volume size x y z")->expected(3);
  app.add_option("--work-dir", work, "Scratch folder (removed at the end)");
  CLI11_PARSE(app, argc, argv);

  namespace im = pancaim::imaging;
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  std::vector<std::filesystem::path> files;
  std::fprintf(stderr, "writing %d volumes of %lldx%lldx%lld...\n", volumes,
               static_cast<long long>(size[0]), static_cast<long long>(size[1]),
               static_cast<long long>(size[2]));
  for (int n = 0; n < volumes; ++n) {
    files.push_back(std::filesystem::path(work) / ("ct" + std::to_string(n) + ".nii.gz"));
    const auto status = im::WriteVolume(NoisyAbdomen({size[0], size[1], size[2]}, n), files.back());
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", status.ToString().c_str());
      return 1;
    }
  }
  im::PreprocessOptions options;  // defaults: 1x1x2.5 mm, 128x128x64, -100..240 HU
  itk::NiftiImageIOFactory::RegisterOneFactory();

  const double baseline = Time([&] {
    for (const auto& file : files) {
      auto reader = itk::ImageFileReader<itk::Image<float, 3>>::New();
      reader->SetFileName(file.string());
      try {
        reader->Update();
      } catch (const itk::ExceptionObject& e) {
        std::fprintf(stderr, "%s\n", e.GetDescription());
        return false;
      }
    }
    return true;
  }, passes);
  const auto load_all = [&](im::VolumeCache* cache) {
    for (const auto& file : files) {
      im::CaseSource source;
      source.image.path = file;
      auto loaded = cache ? cache->Load(source, options) : im::LoadCase(source, options);
      if (!loaded.ok()) {
        std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
        return false;
      }
    }
    return true;
  };
  const double read_only = Time([&] {
    for (const auto& file : files) {
      im::VolumeSource source;
      source.path = file;
      if (!im::ReadVolume(source).ok()) return false;
    }
    return true;
  }, passes);
  const double pipeline = Time([&] { return load_all(nullptr); }, passes);
  im::VolumeCache cache(std::filesystem::path(work) / "cache");
  if (!load_all(&cache)) return 1;  // fill
  const double cached = Time([&] { return load_all(&cache); }, passes);
  std::filesystem::remove_all(work);
  if (baseline < 0 || read_only < 0 || pipeline < 0 || cached < 0) return 1;

  const double n = volumes;
  std::printf("CT volumes %lldx%lldx%lld float32 .nii.gz, %d volumes, best of %d passes\n",
              static_cast<long long>(size[0]), static_cast<long long>(size[1]),
              static_cast<long long>(size[2]), volumes, passes);
  std::printf("| reader | volumes/s | ratio to baseline |\n|---|---|---|\n");
  std::printf("| itk::ImageFileReader (baseline) | %.2f | 1.00 |\n", n / baseline);
  std::printf("| imaging::ReadVolume (integrity checks + read) | %.2f | %.2f |\n", n / read_only,
              baseline / read_only);
  std::printf("| imaging::LoadCase (checks + resample + window) | %.2f | %.2f |\n", n / pipeline,
              baseline / pipeline);
  std::printf("| imaging::VolumeCache hit | %.2f | %.2f |\n", n / cached, baseline / cached);
  return 0;
}
