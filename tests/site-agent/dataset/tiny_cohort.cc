#include "tiny_cohort.h"

#include <unistd.h>

#include <atomic>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "pancaim/scenarios/cohort_generator.h"
#include "pancaim/scenarios/scenario_config.h"

namespace pancaim::sitedataset::testing {
namespace fs = std::filesystem;

namespace {

nlohmann::json TinyScenario() {
  auto site = [](const char* name, int patients, double prevalence, const char* format) {
    return nlohmann::json{
        {"name", name},
        {"patients", patients},
        {"prevalence", prevalence},
        {"ct", {{"format", format}, {"size", {24, 24, 12}}, {"pixel_spacing_mm", 10.0},
                {"slice_thickness_mm", 8.0}}},
        {"slide", {{"size_px", 256}, {"tile_px", 64}, {"mpp", 2.0}}},
        {"missing", {{"ct", 0.1}, {"mask", 0.3}, {"slide", 0.2}, {"genomics", 0.3}}},
        {"genomics", {{"background_variants", 3}}}};
  };
  return nlohmann::json{
      {"name", "site-dataset-tests"},
      {"seed", 5},
      {"cohort",
       {{"splits", {{"train", 0.6}, {"validation", 0.2}, {"test", 0.2}}},
        {"sites", {site("alpha", 14, 0.5, "nifti"), site("beta", 8, 0.5, "dicom")}}}}};
}

fs::path UniqueTemp(const std::string& stem) {
  static std::atomic<int> counter{0};
  std::random_device device;
  return fs::temp_directory_path() /
         (stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
          std::to_string(device()));
}

}  // namespace

fs::path TinyCohort() {
  const fs::path target = fs::path(PANCAIM_BINARY_DIR) / "test-data" / "site-dataset-cohort-v1";
  if (fs::exists(target / "summary.json")) return target;
  auto scenario = scenarios::ParseScenarioConfig(TinyScenario(), "tiny scenario");
  EXPECT_TRUE(scenario.ok()) << scenario.status();
  if (!scenario.ok()) std::abort();
  const fs::path staging = UniqueTemp("site-dataset-cohort");
  scenarios::GenerateOptions options;
  options.out_dir = staging;
  options.threads = 1;
  options.show_progress = false;
  options.oracle_samples = 0;
  auto summary = scenarios::GenerateCohort(*scenario, options);
  EXPECT_TRUE(summary.ok()) << summary.status();
  if (!summary.ok()) std::abort();
  fs::create_directories(target.parent_path());
  std::error_code error;
  fs::rename(staging, target, error);  // fails when another process won the race
  if (error) fs::remove_all(staging, error);
  return target;
}

nlohmann::json TinySiteConfig(const fs::path& cache_dir) {
  return nlohmann::json{
      {"site", {{"id", "alpha"}, {"manifest", "manifest.csv"}, {"cache_dir", cache_dir.string()}}},
      {"imaging", {{"size", {16, 16, 8}}, {"spacing_mm", {12.0, 12.0, 12.0}}}},
      {"pathology", {{"target_mpp", 2.0}, {"tile_size", 32}, {"tiles_per_slide", 4}}}};
}

fs::path CopySite(const std::string& name) {
  const fs::path copy = UniqueTemp("site-dataset-" + name);
  fs::create_directories(copy);
  fs::copy(TinyCohort() / name, copy, fs::copy_options::recursive);
  return copy;
}

}  // namespace pancaim::sitedataset::testing
