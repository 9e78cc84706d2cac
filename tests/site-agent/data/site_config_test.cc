// Tests of site_config.h: defaults, path resolution, documented keys, refused values.
#include "pancaim/site_data/site_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "pancaim/common/files.h"

namespace pancaim::sitedata {
namespace {

StatusOr<SiteConfig> FromText(const std::string& text, const std::filesystem::path& base = "/cfg") {
  PANCAIM_ASSIGN_OR_RETURN(auto json, config::ParseJson(text, "site.json"));
  PANCAIM_ASSIGN_OR_RETURN(auto validated, SiteConfigSchema().Validate(json));
  return SiteConfigFromJson(validated, base);
}

TEST(SiteConfig, DefaultsAndResolvedPaths) {
  StatusOr<SiteConfig> config = FromText(R"({"site": {"id": "nijmegen", "manifest": "data/manifest.csv"}})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->site_id, "nijmegen");
  EXPECT_EQ(config->manifest_path, "/cfg/data/manifest.csv");
  EXPECT_EQ(config->cache_dir, "/cfg/data/.pancaim-cache");
  EXPECT_EQ(config->imaging.window_min, -100.0);
  EXPECT_EQ(config->imaging.window_max, 240.0);
  EXPECT_EQ(config->imaging.size, (std::array<std::int64_t, 3>{128, 128, 64}));
  EXPECT_TRUE(config->imaging_cache);
  EXPECT_EQ(config->pathology.tile_size, 224);
  EXPECT_TRUE(config->genomics.pass_only);
  EXPECT_TRUE(config->genomics.bed_path.empty());
  EXPECT_EQ(config->coordinator.at("port"), 8443);
  EXPECT_EQ(config->policy.at("min_patients_per_round"), 10);
}

TEST(SiteConfig, ExplicitValues) {
  StatusOr<SiteConfig> config = FromText(R"({
    "site": {"id": "s", "manifest": "/abs/m.csv", "cache_dir": "cache"},
    "imaging": {"spacing_mm": [0.8, 0.8, 1.5], "size": [96, 96, 48], "normalisation": "zscore",
                "window_min": 0, "window_max": 1000, "cache": false},
    "pathology": {"target_mpp": 1.0, "tiles_per_slide": 8, "seed": 7},
    "genomics": {"bed_path": "panel.bed", "pass_only": false},
    "coordinator": {"address": "coord.example", "port": 9000, "ca_file": "ca.pem"},
    "policy": {"allowed_models": ["ct-cnn3d"], "max_rounds_per_run": 5}})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cache_dir, "/cfg/cache");
  EXPECT_EQ(config->imaging.normalisation, imaging::IntensityNormalisation::kZScore);
  EXPECT_EQ(config->imaging.spacing_mm[2], 1.5);
  EXPECT_FALSE(config->imaging_cache);
  EXPECT_EQ(config->pathology.seed, 7u);
  EXPECT_EQ(config->genomics.bed_path, "/cfg/panel.bed");
  EXPECT_EQ(config->policy.at("allowed_models")[0], "ct-cnn3d");
}

TEST(SiteConfig, RefusesBadValuesNamingTheKey) {
  EXPECT_NE(FromText(R"({"site": {"id": "s"}})").status().message().find("site.manifest"),
            std::string::npos);
  EXPECT_NE(FromText(R"({"site": {"id": "s", "manifest": "m"}, "imaging": {"sizee": 1}})")
                .status()
                .message()
                .find("imaging.sizee"),
            std::string::npos);
  EXPECT_NE(FromText(R"({"site": {"id": "s", "manifest": "m"}, "imaging": {"window_min": 300}})")
                .status()
                .message()
                .find("window"),
            std::string::npos);
  EXPECT_NE(FromText(R"({"site": {"id": "s", "manifest": "m"}, "imaging": {"size": [1, 2, 3, 4]}})")
                .status()
                .message()
                .find("exactly 3"),
            std::string::npos);
}

TEST(SiteConfig, EveryKeyIsDocumented) {
  const std::string markdown = SiteConfigSchema().Markdown("Site configuration keys", 3);
  for (const char* key : {"`site.id`", "`imaging.window_min`", "`pathology.target_mpp`",
                          "`genomics.bed_path`", "`coordinator.max_frame_bytes`",
                          "`policy.max_payload_bytes`"}) {
    EXPECT_NE(markdown.find(key), std::string::npos) << key;
  }
  std::function<void(const config::Schema&)> check = [&](const config::Schema& schema) {
    for (const auto& [key, field] : schema.fields()) {
      EXPECT_FALSE(field.doc().empty()) << key;
      if (field.object_schema() != nullptr) check(*field.object_schema());
    }
  };
  check(SiteConfigSchema());
}

TEST(SiteConfig, DocsDataMdIsInStepWithTheSchema) {
  // docs/data.md embeds `pancaim-site config-schema`; regenerate it there when this fails.
  StatusOr<std::string> docs = ReadFile(std::filesystem::path(PANCAIM_SOURCE_DIR) / "docs/data.md");
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_NE(docs->find(SiteConfigSchema().Markdown("Site configuration keys", 3)), std::string::npos)
      << "docs/data.md is out of date: paste the output of `pancaim-site config-schema`";
}

TEST(SiteConfig, LoadFileErrorsNameTheFile) {
  const auto path = std::filesystem::temp_directory_path() / "pancaim-site-config-test.json";
  std::ofstream(path) << "{\"site\": {\"id\": 3, \"manifest\": \"m\"}}";
  StatusOr<SiteConfig> config = LoadSiteConfig(path);
  EXPECT_NE(config.status().message().find(path.string()), std::string::npos) << config.status();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace pancaim::sitedata
