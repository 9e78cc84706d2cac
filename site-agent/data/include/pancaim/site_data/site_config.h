// The site configuration (site.json): which data this site has and how to prepare it, how to reach
// the coordinator, and what this site agrees to run. SiteConfigSchema() is the single source of
// truth: it validates files, fills defaults, and renders the key table in docs/data.md.
//
// The schema is built once and immutable (thread-safe); SiteConfig is a value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "pancaim/common/config_schema.h"
#include "pancaim/common/status.h"
#include "pancaim/imaging/preprocess_options.h"

namespace pancaim::sitedata {

// Sections: site, imaging, pathology, genomics, coordinator, policy. The last two are consumed by
// the agent runtime; they are defined here so that one file describes a site.
const config::Schema& SiteConfigSchema();

// Whole-slide settings, handed to the pathology reader.
struct PathologySettings {
  double target_mpp = 0.5;
  std::int64_t tile_size = 224;
  std::int64_t tiles_per_slide = 16;
  std::uint64_t seed = 0;
};

// Genomics settings, handed to the VCF reader.
struct GenomicsSettings {
  std::filesystem::path bed_path;  // empty: the PDAC gene panel shipped with the genomics reader
  bool pass_only = true;
};

// A validated site configuration with paths resolved against the configuration file's folder.
struct SiteConfig {
  std::string site_id;
  std::filesystem::path manifest_path;
  std::filesystem::path cache_dir;  // preprocessed-volume cache
  bool imaging_cache = true;
  imaging::PreprocessOptions imaging;
  PathologySettings pathology;
  GenomicsSettings genomics;
  nlohmann::json coordinator;  // validated section, for the agent runtime
  nlohmann::json policy;       // validated section, for the agent runtime
  nlohmann::json document;     // the whole validated document, defaults filled in
};

// Builds a SiteConfig from a document already validated by SiteConfigSchema(); relative paths are
// resolved against `base_dir`. Errors: InvalidArgument for values the schema cannot express
// (e.g. window_min >= window_max), naming the key.
StatusOr<SiteConfig> SiteConfigFromJson(const nlohmann::json& validated,
                                        const std::filesystem::path& base_dir);

// Reads, validates and resolves a site configuration file; errors start with the file's path.
StatusOr<SiteConfig> LoadSiteConfig(const std::filesystem::path& path);

}  // namespace pancaim::sitedata
