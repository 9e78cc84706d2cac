// bench-slide-tiles: tile throughput of the slide pipeline (SlideTileSampler::ReadTile, with and
// without colour augmentation) next to plain openslide_read_region of the same regions on the
// same file, in the same run. Without --slide it writes a synthetic pyramidal JPEG TIFF first.
#include <openslide/openslide.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

#include "pancaim/common/progress.h"
#include "pancaim/pathology/slide_tile_sampler.h"
#include "pancaim/pathology/testing/synthetic_slide.h"

namespace {

using pancaim::pathology::DeterministicRng;
using pancaim::pathology::SlideTileSampler;
using pancaim::pathology::TileSamplerOptions;

double Seconds(const std::function<bool()>& work) {
  const auto start = std::chrono::steady_clock::now();
  if (!work()) return -1;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Slide tiles/s: pancaim::pathology tiler vs plain openslide_read_region"};
  std::string slide_path;
  int width = 16384, height = 12288, tiles = 400, passes = 2;
  TileSamplerOptions options;
  options.tile_size = 224;
  options.target_mpp = 0.5;
  app.add_option("--slide", slide_path, "Slide to read (default: write a synthetic one)");
  app.add_option("--width", width, "Synthetic slide width, level 0 pixels");
  app.add_option("--height", height, "Synthetic slide height, level 0 pixels");
  app.add_option("--tiles", tiles, "Tiles per timed pass")->check(CLI::PositiveNumber);
  app.add_option("--passes", passes, "Timed passes of each reader (best is reported)")->check(CLI::PositiveNumber);
  app.add_option("--tile-size", options.tile_size, "Tile edge in pixels")->check(CLI::PositiveNumber);
  app.add_option("--target-mpp", options.target_mpp, "Tile resolution, microns per pixel");
  CLI11_PARSE(app, argc, argv);

  std::filesystem::path path = slide_path;
  std::filesystem::path temp_dir;
  if (path.empty()) {
    temp_dir = std::filesystem::temp_directory_path() / ("bench-slide-" + std::to_string(::getpid()));
    std::filesystem::create_directories(temp_dir);
    path = temp_dir / "synthetic.tiff";
    pancaim::pathology::testing::SyntheticSlideOptions synthetic;
    synthetic.width = width;
    synthetic.height = height;
    synthetic.levels = 5;
    synthetic.tissue_blobs = 5;
    pancaim::ProgressDisplay progress("writing synthetic slide", 1);
    const pancaim::Status written = pancaim::pathology::testing::WriteSyntheticSlide(path, synthetic);
    progress.Finish();
    if (!written.ok()) {
      std::fprintf(stderr, "error: %s\n", written.ToString().c_str());
      return 1;
    }
  }
  const auto prepare_start = std::chrono::steady_clock::now();
  auto sampler = SlideTileSampler::Create(path, options, "bench");
  if (!sampler.ok()) {
    std::fprintf(stderr, "error: %s\n", sampler.status().ToString().c_str());
    return 1;
  }
  const double prepare_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - prepare_start).count();
  const auto& grid = (*sampler)->grid();
  if (grid.tiles.empty()) {
    std::fprintf(stderr, "error: no tissue tiles in %s\n", path.c_str());
    return 1;
  }
  // The same seeded tile order for both readers.
  std::vector<std::size_t> order;
  DeterministicRng rng(7);
  for (int i = 0; i < tiles; ++i) order.push_back(rng.Below(grid.tiles.size()));

  openslide_t* osr = openslide_open(path.c_str());
  if (osr == nullptr || openslide_get_error(osr) != nullptr) {
    std::fprintf(stderr, "error: openslide_open failed on %s\n", path.c_str());
    return 1;
  }
  std::vector<std::uint32_t> argb(static_cast<std::size_t>(grid.read.read_width) * grid.read.read_height);
  const auto baseline = [&] {
    for (std::size_t i : order) {
      openslide_read_region(osr, argb.data(), grid.tiles[i].x, grid.tiles[i].y, grid.read.level,
                            grid.read.read_width, grid.read.read_height);
    }
    return openslide_get_error(osr) == nullptr;
  };
  const auto tiler = [&](bool augment) {
    for (std::size_t position = 0; position < order.size(); ++position) {
      auto tile = (*sampler)->ReadTile(order[position]);
      if (!tile.ok()) return false;
      if (augment) {
        DeterministicRng tile_rng(position);
        pancaim::pathology::AugmentColors(options.augment, tile_rng, *tile);
      }
    }
    return true;
  };
  double best_base = 1e30, best_tiler = 1e30, best_aug = 1e30;
  pancaim::ProgressDisplay progress("timed passes", passes);
  for (int pass = 0; pass < passes; ++pass) {
    const double b = Seconds(baseline), t = Seconds([&] { return tiler(false); }),
                 a = Seconds([&] { return tiler(true); });
    if (b < 0 || t < 0 || a < 0) {
      std::fprintf(stderr, "error: a tile read failed\n");
      return 1;
    }
    best_base = std::min(best_base, b), best_tiler = std::min(best_tiler, t), best_aug = std::min(best_aug, a);
    progress.Advance();
  }
  progress.Finish();
  openslide_close(osr);
  const auto& level0 = (*sampler)->slide().levels()[0];
  std::printf("slide: %s (%lldx%lld, %zu levels, %.3g um/px from %s)\n", path.filename().c_str(),
              static_cast<long long>(level0.width), static_cast<long long>(level0.height),
              (*sampler)->slide().levels().size(), (*sampler)->resolution().mpp_x,
              (*sampler)->resolution().source.c_str());
  std::printf("prepare (open, tissue mask, grid): %.3f s; %zu tissue tiles of %lld in the grid\n",
              prepare_s, grid.tiles.size(), static_cast<long long>(grid.columns * grid.rows));
  std::printf("tiles: %d per pass, %dx%d px at %.3g um/px, read at level %d as %dx%d, best of %d\n",
              tiles, options.tile_size, options.tile_size, options.target_mpp, grid.read.level,
              grid.read.read_width, grid.read.read_height, passes);
  std::printf("baseline openslide_read_region: %10.1f tiles/s\n", tiles / best_base);
  std::printf("tiler ReadTile (RGB + resize):   %10.1f tiles/s  ratio %.2f\n", tiles / best_tiler,
              best_base / best_tiler);
  std::printf("tiler ReadTile + HED jitter:     %10.1f tiles/s  ratio %.2f\n", tiles / best_aug,
              best_base / best_aug);
  if (!temp_dir.empty()) std::filesystem::remove_all(temp_dir);
  return 0;
}
