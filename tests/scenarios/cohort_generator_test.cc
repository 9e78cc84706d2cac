#include "pancaim/scenarios/cohort_generator.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;

ScenarioConfig TinyScenario() {
  nlohmann::json site = {{"patients", 4},
                         {"prevalence", 0.6},
                         {"ct", {{"size", {24, 24, 8}}, {"pixel_spacing_mm", 10.0}}},
                         {"slide", {{"size_px", 256}, {"tile_px", 128}}},
                         {"missing", {{"ct", 0.0}, {"slide", 0.3}, {"genomics", 0.3}}},
                         {"genomics", {{"background_variants", 3}}}};
  nlohmann::json a = site, b = site;
  a["name"] = "alpha";
  b["name"] = "beta";
  b["ct"]["format"] = "dicom";
  auto parsed = ParseScenarioConfig({{"seed", 77}, {"cohort", {{"sites", {a, b}}}}}, "tiny");
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return std::move(parsed).value();
}

GenerateOptions Options(const fs::path& out, int threads) {
  GenerateOptions options;
  options.out_dir = out;
  options.threads = threads;
  options.show_progress = false;
  options.oracle_samples = 500;
  return options;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::map<std::string, std::string> Snapshot(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) {
      files[fs::relative(entry.path(), root).string()] = ReadAll(entry.path());
    }
  }
  return files;
}

std::vector<std::vector<std::string>> ReadCsv(const fs::path& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream text(ReadAll(path));
  std::string line;
  while (std::getline(text, line)) {
    std::vector<std::string> cells;
    std::stringstream cells_text(line);
    std::string cell;
    while (std::getline(cells_text, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    rows.push_back(cells);
  }
  return rows;
}

TEST(CohortGeneratorTest, SameSeedGivesByteIdenticalFilesWhateverTheThreads) {
  testing::TempDir dir;
  auto first = GenerateCohort(TinyScenario(), Options(dir.path() / "one", 1));
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = GenerateCohort(TinyScenario(), Options(dir.path() / "two", 3));
  ASSERT_TRUE(second.ok()) << second.status();
  auto a = Snapshot(dir.path() / "one"), b = Snapshot(dir.path() / "two");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    EXPECT_TRUE(bytes == b[name]) << name << " differs";
  }
  EXPECT_TRUE(a.count("alpha/manifest.csv"));
  EXPECT_TRUE(a.count("summary.json"));
}

TEST(CohortGeneratorTest, ManifestIsWellFormedAndPointsAtFiles) {
  testing::TempDir dir;
  auto summary = GenerateCohort(TinyScenario(), Options(dir.path(), 2));
  ASSERT_TRUE(summary.ok()) << summary.status();
  ASSERT_EQ(summary->sites.size(), 2u);
  std::set<std::string> ids;
  for (const char* site : {"alpha", "beta"}) {
    auto rows = ReadCsv(dir.path() / site / "manifest.csv");
    ASSERT_EQ(rows.size(), 5u);  // header + 4 patients
    EXPECT_EQ(rows[0].size(), 15u);
    EXPECT_EQ(rows[0][0], "patient_id");
    for (std::size_t r = 1; r < rows.size(); ++r) {
      const auto& row = rows[r];
      ASSERT_EQ(row.size(), 15u) << site << " row " << r;
      EXPECT_TRUE(ids.insert(row[0]).second) << "duplicate id " << row[0];
      EXPECT_TRUE(row[1] == "train" || row[1] == "validation" || row[1] == "test");
      for (int column : {2, 4, 5, 6}) {
        if (!row[column].empty()) {
          EXPECT_TRUE(fs::exists(dir.path() / site / row[column])) << row[column];
        }
      }
      if (!row[6].empty()) {
        EXPECT_TRUE(fs::exists(dir.path() / site / (row[6] + ".tbi")));
        EXPECT_EQ(row[7], row[0]);
      }
      bool dicom = std::string(site) == "beta";
      EXPECT_EQ(fs::is_directory(dir.path() / site / row[2]), dicom);
      EXPECT_EQ(row[3].empty(), !dicom);
      EXPECT_TRUE(row[9] == "F" || row[9] == "M");
      EXPECT_TRUE(row[12] == "0" || row[12] == "1");
      if (row[12] == "0") {
        EXPECT_TRUE(row[11].empty());
      }
      EXPECT_GT(std::stod(row[13]), 0.0);
      EXPECT_TRUE(row[14] == "0" || row[14] == "1");
    }
  }
  auto site_config = nlohmann::json::parse(ReadAll(dir.path() / "beta" / "site.json"));
  EXPECT_EQ(site_config["site"]["id"], "beta");
  EXPECT_EQ(site_config["site"]["manifest"], "manifest.csv");
  auto truth = ReadCsv(dir.path() / "ground_truth.csv");
  EXPECT_EQ(truth.size(), 9u);
  EXPECT_TRUE(fs::exists(dir.path() / "scenario.json"));
}

TEST(CohortGeneratorTest, RefusesANonEmptyFolderUnlessForced) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "keep.txt") << "not ours";
  auto refused = GenerateCohort(TinyScenario(), Options(dir.path(), 1));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(dir.path().string()), std::string::npos);
  GenerateOptions forced = Options(dir.path(), 1);
  forced.overwrite = true;
  ASSERT_TRUE(GenerateCohort(TinyScenario(), forced).ok());
  ASSERT_TRUE(GenerateCohort(TinyScenario(), forced).ok());
  EXPECT_TRUE(fs::exists(dir.path() / "keep.txt"));  // never deletes what it did not write
}

TEST(CohortGeneratorTest, SummaryCarriesBestAchievableMetrics) {
  testing::TempDir dir;
  auto summary = GenerateCohort(TinyScenario(), Options(dir.path(), 1));
  ASSERT_TRUE(summary.ok());
  EXPECT_TRUE(summary->has_oracle);
  EXPECT_GT(summary->oracle.auc_all_modalities, 0.7);
  auto json = nlohmann::json::parse(ReadAll(dir.path() / "summary.json"));
  EXPECT_EQ(json["sites"][1]["ct_format"], "dicom");
  EXPECT_TRUE(json["best_achievable"]["detection_auc"].contains("all_modalities"));
  EXPECT_NE(FormatSummary(*summary).find("best achievable"), std::string::npos);
}

}  // namespace
}  // namespace pancaim::scenarios
