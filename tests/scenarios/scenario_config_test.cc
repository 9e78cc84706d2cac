#include "pancaim/scenarios/scenario_config.h"

#include <fstream>

#include <gtest/gtest.h>

#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

using nlohmann::json;

json MinimalScenario() {
  return {{"cohort", {{"sites", {{{"name", "alpha"}}}}}}};
}

TEST(ScenarioConfigTest, DefaultsFillEverySection) {
  auto parsed = ParseScenarioConfig(MinimalScenario(), "test.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const SiteConfig& site = parsed->cohort.sites.at(0);
  // The schema's defaults and the structs' defaults are the same numbers.
  SiteConfig reference;
  EXPECT_EQ(site.patients, reference.patients);
  EXPECT_DOUBLE_EQ(site.prevalence, reference.prevalence);
  EXPECT_EQ(site.ct.size, reference.ct.size);
  EXPECT_EQ(site.ct.dicom, reference.ct.dicom);
  EXPECT_DOUBLE_EQ(site.ct.pixel_spacing_mm, reference.ct.pixel_spacing_mm);
  EXPECT_DOUBLE_EQ(site.ct.slice_thickness_mm, reference.ct.slice_thickness_mm);
  EXPECT_DOUBLE_EQ(site.ct.noise_hu, reference.ct.noise_hu);
  EXPECT_EQ(site.slide.size_px, reference.slide.size_px);
  EXPECT_DOUBLE_EQ(site.slide.mpp, reference.slide.mpp);
  EXPECT_EQ(site.slide.tile_px, reference.slide.tile_px);
  EXPECT_DOUBLE_EQ(site.missing.mask, reference.missing.mask);
  EXPECT_DOUBLE_EQ(site.missing.genomics, reference.missing.genomics);
  EXPECT_EQ(site.genomics.mean_depth, reference.genomics.mean_depth);
  EXPECT_EQ(parsed->seed, 1u);
  EXPECT_EQ(parsed->federation["strategy"], "fedavg");
  EXPECT_EQ(parsed->federation["rounds"], 10);
  EXPECT_EQ(parsed->federation["baselines"]["centralized"], true);
}

TEST(ScenarioConfigTest, UnknownKeyIsNamed) {
  json doc = MinimalScenario();
  doc["cohort"]["sites"][0]["scaner"] = 1;
  auto parsed = ParseScenarioConfig(doc, "pdac.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("pdac.json"), std::string::npos);
  EXPECT_NE(parsed.status().message().find("cohort.sites[0].scaner"), std::string::npos)
      << parsed.status();
}

TEST(ScenarioConfigTest, ImpossibleValuesAreRefused) {
  json doc = MinimalScenario();
  doc["cohort"]["sites"][0]["prevalence"] = 1.5;
  auto parsed = ParseScenarioConfig(doc, "s.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("cohort.sites[0].prevalence"), std::string::npos);

  doc = MinimalScenario();
  doc["cohort"]["sites"][0]["patients"] = 0;
  EXPECT_FALSE(ParseScenarioConfig(doc, "s.json").ok());

  doc = MinimalScenario();
  doc["cohort"]["sites"][0]["ct"] = {{"format", "analyze"}};
  EXPECT_FALSE(ParseScenarioConfig(doc, "s.json").ok());

  doc = MinimalScenario();
  doc["cohort"]["sites"][0]["ct"] = {{"size", {64, 64}}};
  auto short_size = ParseScenarioConfig(doc, "s.json");
  ASSERT_FALSE(short_size.ok());
  EXPECT_NE(short_size.status().message().find("ct.size"), std::string::npos);

  doc = MinimalScenario();
  doc["cohort"]["sites"][0]["slide"] = {{"tile_px", 100}};
  EXPECT_FALSE(ParseScenarioConfig(doc, "s.json").ok());

  doc = MinimalScenario();
  doc["federation"] = {{"strategy", "fedmagic"}};
  EXPECT_FALSE(ParseScenarioConfig(doc, "s.json").ok());
}

TEST(ScenarioConfigTest, SiteNamesMustBeFolderNamesAndUnique) {
  json doc = MinimalScenario();
  doc["cohort"]["sites"][0]["name"] = "../etc";
  EXPECT_FALSE(ParseScenarioConfig(doc, "s.json").ok());
  doc = MinimalScenario();
  doc["cohort"]["sites"].push_back({{"name", "alpha"}});
  auto duplicate = ParseScenarioConfig(doc, "s.json");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.status().message().find("duplicate"), std::string::npos);
}

TEST(ScenarioConfigTest, SplitsMustSumToOne) {
  json doc = MinimalScenario();
  doc["cohort"]["splits"] = {{"train", 0.9}, {"validation", 0.2}, {"test", 0.1}};
  auto parsed = ParseScenarioConfig(doc, "s.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("cohort.splits"), std::string::npos);
}

TEST(ScenarioConfigTest, ShippedScenarioIsValid) {
  auto parsed = LoadScenarioConfig(std::string(PANCAIM_SOURCE_DIR) +
                                   "/scenarios/pdac-3-hospitals.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->cohort.sites.size(), 3u);
  bool any_dicom = false, any_nifti = false;
  for (const auto& site : parsed->cohort.sites) {
    any_dicom = any_dicom || site.ct.dicom;
    any_nifti = any_nifti || !site.ct.dicom;
  }
  EXPECT_TRUE(any_dicom);
  EXPECT_TRUE(any_nifti);
}

TEST(ScenarioConfigTest, FileErrorsNameTheFile) {
  testing::TempDir dir;
  auto missing = LoadScenarioConfig(dir.path() / "absent.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("absent.json"), std::string::npos);
  std::ofstream(dir.path() / "broken.json") << "{\"cohort\": ";
  auto broken = LoadScenarioConfig(dir.path() / "broken.json");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("broken.json"), std::string::npos);
}

TEST(ScenarioConfigTest, DefaultScenarioIsHeterogeneous) {
  ScenarioConfig scenario = DefaultScenario(3, 10);
  ASSERT_EQ(scenario.cohort.sites.size(), 3u);
  EXPECT_NE(scenario.cohort.sites[0].prevalence, scenario.cohort.sites[1].prevalence);
  EXPECT_NE(scenario.cohort.sites[0].ct.slice_thickness_mm,
            scenario.cohort.sites[1].ct.slice_thickness_mm);
  EXPECT_TRUE(scenario.cohort.sites[1].ct.dicom);
  EXPECT_EQ(scenario.cohort.sites[2].patients, 10);
}

TEST(ScenarioConfigTest, DocsCarryTheSchemaTable) {
  // docs/synthetic-cohorts.md embeds the generated key table; regenerate it with
  // `pancaim-sim schema` when this fails.
  std::ifstream file(std::string(PANCAIM_SOURCE_DIR) + "/docs/synthetic-cohorts.md");
  ASSERT_TRUE(file) << "docs/synthetic-cohorts.md missing";
  std::string docs((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_NE(docs.find(ScenarioConfigMarkdown()), std::string::npos)
      << "docs/synthetic-cohorts.md is out of date: paste the output of `pancaim-sim schema`";
}

}  // namespace
}  // namespace pancaim::scenarios
