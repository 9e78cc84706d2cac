#include "pancaim/pathology/slide_inspect.h"

#include <cstdio>

namespace pancaim::pathology {

StatusOr<SlideSummary> InspectSlide(const std::filesystem::path& path,
                                    const TileSamplerOptions& options) {
  PANCAIM_ASSIGN_OR_RETURN(const auto sampler, SlideTileSampler::Create(path, options));
  if (!sampler->grid().tiles.empty()) {
    PANCAIM_RETURN_IF_ERROR(sampler->ReadTile(0).status());
  }
  SlideSummary summary;
  summary.path = path.string();
  summary.vendor = sampler->slide().vendor();
  summary.levels = sampler->slide().levels();
  summary.mpp_x = sampler->resolution().mpp_x;
  summary.mpp_y = sampler->resolution().mpp_y;
  summary.mpp_source = sampler->resolution().source;
  summary.target_mpp = options.target_mpp;
  summary.read_level = sampler->grid().read.level;
  summary.tissue_fraction = sampler->tissue().TissueFraction();
  summary.tissue_threshold = sampler->tissue().threshold();
  summary.grid_tiles = sampler->grid().columns * sampler->grid().rows;
  summary.tissue_tiles = static_cast<std::int64_t>(sampler->grid().tiles.size());
  return summary;
}

nlohmann::json ToJson(const SlideSummary& summary) {
  nlohmann::json levels = nlohmann::json::array();
  for (const SlideLevel& level : summary.levels) {
    levels.push_back({{"width", level.width}, {"height", level.height},
                      {"downsample", level.downsample}});
  }
  return {{"path", summary.path},
          {"vendor", summary.vendor},
          {"levels", levels},
          {"mpp_x", summary.mpp_x},
          {"mpp_y", summary.mpp_y},
          {"mpp_source", summary.mpp_source},
          {"target_mpp", summary.target_mpp},
          {"read_level", summary.read_level},
          {"tissue_fraction", summary.tissue_fraction},
          {"tissue_threshold", summary.tissue_threshold},
          {"grid_tiles", summary.grid_tiles},
          {"tissue_tiles", summary.tissue_tiles}};
}

std::string ToString(const SlideSummary& summary) {
  const SlideLevel level0 = summary.levels.empty() ? SlideLevel{} : summary.levels.front();
  char line[512];
  std::snprintf(line, sizeof(line),
                "%s %lldx%lld, %zu levels, %.4g um/px (%s), tissue %.1f%%, %lld tissue tiles at "
                "%.4g um/px",
                summary.vendor.c_str(), static_cast<long long>(level0.width),
                static_cast<long long>(level0.height), summary.levels.size(), summary.mpp_x,
                summary.mpp_source.c_str(), 100.0 * summary.tissue_fraction,
                static_cast<long long>(summary.tissue_tiles), summary.target_mpp);
  return line;
}

}  // namespace pancaim::pathology
