#include "pancaim/site_data/site_config.h"

namespace pancaim::sitedata {
namespace {

using config::Field;
using config::Schema;
using nlohmann::json;

Schema SiteSection() {
  Schema s("Who this site is and where its data lives.");
  s.Add("id", Field::String("Site identifier; must match the site name in the site's certificate.")
                  .Required());
  s.Add("manifest", Field::String("Path of the manifest CSV (relative to this file's folder); data "
                                  "paths in the manifest are relative to the manifest's folder.")
                        .Required());
  s.Add("cache_dir", Field::String("Folder for preprocessed-volume caches (relative to this file's "
                                   "folder); empty means `.pancaim-cache` next to the manifest.")
                         .Default(""));
  return s;
}

Schema ImagingSection() {
  Schema s("CT/MR preprocessing: resampling to a canonical orientation and spacing, crop/pad, "
           "intensity window.");
  s.Add("spacing_mm", Field::Array(Field::Number("Spacing in mm.").Range(0.01, 100),
                                   "Output voxel spacing in mm along x, y, z.")
                          .MinItems(3)
                          .Default(json::array({1.0, 1.0, 2.5})));
  s.Add("size", Field::Array(Field::Integer("Voxels.").Range(1, 1024),
                             "Output size in voxels along x, y, z (crop or pad to it).")
                    .MinItems(3)
                    .Default(json::array({128, 128, 64})));
  s.Add("window_min", Field::Number("Lower end of the intensity window (HU for CT).").Default(-100));
  s.Add("window_max", Field::Number("Upper end of the intensity window (HU for CT).").Default(240));
  s.Add("normalisation",
        Field::String("What happens after windowing: `window_to_unit` maps the window to 0..1 "
                      "(CT), `zscore` standardises per volume (MR), `none` keeps windowed values.")
            .OneOf({"window_to_unit", "zscore", "none"})
            .Default("window_to_unit"));
  s.Add("centre_on_mask", Field::Boolean("Centre the crop on the mask's foreground centroid when "
                                         "a mask is given (else on the volume's centre).")
                              .Default(true));
  s.Add("pad_value", Field::Number("Intensity given to voxels outside the scanned volume, before "
                                   "windowing (air: -1024 HU).")
                         .Default(-1024));
  s.Add("cache", Field::Boolean("Keep preprocessed volumes in the site's cache folder, keyed by "
                                "file content and these settings.")
                     .Default(true));
  return s;
}

Schema PathologySection() {
  Schema s("Whole-slide images: resolution, tiling and sampling.");
  s.Add("target_mpp", Field::Number("Target resolution in microns per pixel; the pyramid level "
                                    "closest to it is read.")
                          .Range(0.05, 64)
                          .Default(0.5));
  s.Add("tile_size", Field::Integer("Tile edge in pixels at the target resolution.")
                         .Range(16, 4096)
                         .Default(224));
  s.Add("tiles_per_slide", Field::Integer("Tiles sampled per slide per epoch.")
                               .Range(1, 100000)
                               .Default(16));
  s.Add("seed", Field::Integer("Seed of the tile sampler and colour augmentation.")
                    .Min(0)
                    .Default(0));
  return s;
}

Schema GenomicsSection() {
  Schema s("Variant calls: gene panel and filtering.");
  s.Add("bed_path", Field::String("BED file of gene regions (relative to this file's folder); "
                                  "empty means the PDAC panel shipped with the genomics reader.")
                        .Default(""));
  s.Add("pass_only", Field::Boolean("Keep only variants whose FILTER is PASS.").Default(true));
  return s;
}

Schema CoordinatorSection() {
  Schema s("How the agent reaches the coordinator (mutual TLS 1.3, outbound from the site).");
  s.Add("address", Field::String("Coordinator host name or IP address; empty when the site only "
                                 "checks or prepares data.")
                       .Default(""));
  s.Add("port", Field::Integer("Coordinator TCP port.").Range(1, 65535).Default(8443));
  s.Add("server_name", Field::String("Name expected in the coordinator's certificate (SNI and "
                                     "verification); empty means `address`.")
                           .Default(""));
  s.Add("ca_file", Field::String("PEM file of the consortium root CA.").Default(""));
  s.Add("cert_file", Field::String("PEM file of this site's certificate chain.").Default(""));
  s.Add("key_file", Field::String("PEM file of this site's private key (never leaves the site).")
                        .Default(""));
  s.Add("crl_file", Field::String("PEM file of the consortium CRL; `run` requires it (revocation "
                                  "is checked, fail closed).")
                        .Default(""));
  s.Add("max_frame_bytes", Field::Integer("Largest frame accepted from the coordinator, checked "
                                          "before allocation.")
                               .Range(1024, 1LL << 34)
                               .Default(1LL << 30));
  s.Add("max_header_bytes", Field::Integer("Largest JSON frame header accepted.")
                                .Range(256, 1 << 26)
                                .Default(1 << 20));
  return s;
}

Schema PolicySection() {
  Schema s("What this site agrees to run; requests outside it are refused.");
  s.Add("allowed_models", Field::Array(Field::String("Model name from the zoo."),
                                       "Models this site trains or evaluates; empty allows none.")
                              .Default(json::array()));
  s.Add("min_patients_per_round", Field::Integer("Fewest training patients a round may use; "
                                                 "smaller rounds are refused (privacy).")
                                      .Min(1)
                                      .Default(10));
  s.Add("max_rounds_per_run", Field::Integer("Most rounds this site joins in one run.")
                                  .Min(1)
                                  .Default(100));
  s.Add("max_payload_bytes", Field::Integer("Largest model payload the site accepts or sends.")
                                 .Range(1024, 1LL << 34)
                                 .Default(1LL << 30));
  return s;
}

std::filesystem::path ResolveAgainst(const std::filesystem::path& base, const std::string& text) {
  std::filesystem::path path(text);
  return path.is_absolute() ? path : (base / path).lexically_normal();
}

}  // namespace

const config::Schema& SiteConfigSchema() {
  static const Schema* schema = [] {
    auto* s = new Schema("Site configuration (site.json) of `pancaim-site`.");
    s->Add("site", Field::Object(SiteSection(), "This site and its data."));
    s->Add("imaging", Field::Object(ImagingSection(), "CT/MR preprocessing."));
    s->Add("pathology", Field::Object(PathologySection(), "Whole-slide settings."));
    s->Add("genomics", Field::Object(GenomicsSection(), "VCF settings."));
    s->Add("coordinator", Field::Object(CoordinatorSection(), "Coordinator connection."));
    s->Add("policy", Field::Object(PolicySection(), "Site policy."));
    return s;
  }();
  return *schema;
}

StatusOr<SiteConfig> SiteConfigFromJson(const json& validated, const std::filesystem::path& base_dir) {
  SiteConfig config;
  config.document = validated;
  const json& site = validated.at("site");
  config.site_id = site.at("id").get<std::string>();
  config.manifest_path = ResolveAgainst(base_dir, site.at("manifest").get<std::string>());
  const std::string cache = site.at("cache_dir").get<std::string>();
  config.cache_dir = cache.empty() ? config.manifest_path.parent_path() / ".pancaim-cache"
                                   : ResolveAgainst(base_dir, cache);
  const json& imaging = validated.at("imaging");
  if (imaging.at("spacing_mm").size() != 3 || imaging.at("size").size() != 3) {
    return InvalidArgumentError("key 'imaging.spacing_mm' and 'imaging.size' need exactly 3 values");
  }
  for (int axis = 0; axis < 3; ++axis) {
    config.imaging.spacing_mm[axis] = imaging.at("spacing_mm")[axis].get<double>();
    config.imaging.size[axis] = imaging.at("size")[axis].get<std::int64_t>();
  }
  config.imaging.window_min = imaging.at("window_min").get<double>();
  config.imaging.window_max = imaging.at("window_max").get<double>();
  PANCAIM_ASSIGN_OR_RETURN(config.imaging.normalisation,
                           imaging::ParseIntensityNormalisation(
                               imaging.at("normalisation").get<std::string>()));
  config.imaging.centre_on_mask = imaging.at("centre_on_mask").get<bool>();
  config.imaging.pad_value = imaging.at("pad_value").get<double>();
  config.imaging_cache = imaging.at("cache").get<bool>();
  if (Status valid = config.imaging.Validate(); !valid.ok()) return valid.WithContext("key 'imaging'");
  const json& pathology = validated.at("pathology");
  config.pathology.target_mpp = pathology.at("target_mpp").get<double>();
  config.pathology.tile_size = pathology.at("tile_size").get<std::int64_t>();
  config.pathology.tiles_per_slide = pathology.at("tiles_per_slide").get<std::int64_t>();
  config.pathology.seed = pathology.at("seed").get<std::uint64_t>();
  const json& genomics = validated.at("genomics");
  const std::string bed = genomics.at("bed_path").get<std::string>();
  if (!bed.empty()) config.genomics.bed_path = ResolveAgainst(base_dir, bed);
  config.genomics.pass_only = genomics.at("pass_only").get<bool>();
  config.coordinator = validated.at("coordinator");
  config.policy = validated.at("policy");
  return config;
}

StatusOr<SiteConfig> LoadSiteConfig(const std::filesystem::path& path) {
  PANCAIM_ASSIGN_OR_RETURN(json validated, config::LoadConfigFile(path, SiteConfigSchema()));
  StatusOr<SiteConfig> config = SiteConfigFromJson(validated, path.parent_path());
  if (!config.ok()) return config.status().WithContext(path.string());
  return config;
}

}  // namespace pancaim::sitedata
