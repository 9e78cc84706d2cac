#include "pancaim/pathology/slide_tile_sampler.h"

#include <numeric>

#include "pancaim/pathology/deterministic_rng.h"

namespace pancaim::pathology {

StatusOr<std::unique_ptr<SlideTileSampler>> SlideTileSampler::Create(
    const std::filesystem::path& path, const TileSamplerOptions& options,
    const std::string& slide_key) {
  PANCAIM_CHECK(options.tile_size > 0 && options.target_mpp > 0 && options.tiles_per_slide >= 0)
      << "invalid TileSamplerOptions";
  std::unique_ptr<SlideTileSampler> sampler(new SlideTileSampler());
  sampler->options_ = options;
  sampler->key_hash_ = HashKey(slide_key.empty() ? path.filename().string() : slide_key);
  PANCAIM_ASSIGN_OR_RETURN(sampler->slide_, Slide::Open(path));
  PANCAIM_ASSIGN_OR_RETURN(sampler->resolution_,
                           ResolveResolution(*sampler->slide_, options.fallback_mpp));
  PANCAIM_ASSIGN_OR_RETURN(const LevelChoice choice,
                           ChooseLevel(*sampler->slide_, sampler->resolution_, options.target_mpp,
                                       options.tile_size));
  PANCAIM_ASSIGN_OR_RETURN(sampler->tissue_, DetectTissue(*sampler->slide_, options.tissue));
  PANCAIM_ASSIGN_OR_RETURN(sampler->grid_, BuildTileGrid(*sampler->slide_, choice, sampler->tissue_,
                                                         options.min_tissue_fraction));
  return sampler;
}

std::vector<std::size_t> SlideTileSampler::SampleIndices(std::uint64_t epoch) const {
  const std::size_t available = grid_.tiles.size();
  const std::size_t wanted = static_cast<std::size_t>(options_.tiles_per_slide);
  std::vector<std::size_t> drawn;
  if (available == 0 || wanted == 0) return drawn;
  DeterministicRng rng(MixSeed(MixSeed(options_.seed, key_hash_), epoch));
  if (options_.with_replacement && wanted > available) {
    for (std::size_t i = 0; i < wanted; ++i) drawn.push_back(rng.Below(available));
    return drawn;
  }
  // Partial Fisher-Yates: the first `count` positions of a uniformly shuffled index list.
  const std::size_t count = std::min(wanted, available);
  std::vector<std::size_t> order(available);
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (std::size_t i = 0; i < count; ++i) {
    std::swap(order[i], order[i + rng.Below(available - i)]);
  }
  drawn.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count));
  return drawn;
}

StatusOr<RgbImage> SlideTileSampler::ReadTile(std::size_t index) const {
  PANCAIM_CHECK(index < grid_.tiles.size()) << "tile " << index << " of " << grid_.tiles.size();
  const TileLocation& tile = grid_.tiles[index];
  const LevelChoice& read = grid_.read;
  PANCAIM_ASSIGN_OR_RETURN(RgbImage region, slide_->ReadRegion(read.level, tile.x, tile.y,
                                                               read.read_width, read.read_height));
  return Resize(region, options_.tile_size, options_.tile_size);
}

StatusOr<std::vector<SampledTile>> SlideTileSampler::SampleEpoch(std::uint64_t epoch) const {
  std::vector<SampledTile> tiles;
  const std::vector<std::size_t> indices = SampleIndices(epoch);
  const std::uint64_t epoch_seed = MixSeed(MixSeed(MixSeed(options_.seed, key_hash_), epoch), 0xc0101);
  for (std::size_t position = 0; position < indices.size(); ++position) {
    SampledTile tile;
    tile.grid_index = indices[position];
    tile.location = grid_.tiles[tile.grid_index];
    PANCAIM_ASSIGN_OR_RETURN(tile.image, ReadTile(tile.grid_index));
    DeterministicRng rng(MixSeed(epoch_seed, position));
    AugmentColors(options_.augment, rng, tile.image);
    tiles.push_back(std::move(tile));
  }
  return tiles;
}

}  // namespace pancaim::pathology
