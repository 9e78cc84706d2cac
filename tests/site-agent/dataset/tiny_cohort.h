// A tiny synthetic two-site cohort (pancaim-sim's generator, all modalities, small files) shared by
// the site dataset tests: generated once into the build folder and reused by every test process.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace pancaim::sitedataset::testing {

// Folder of the cohort (sites "alpha" with 14 patients and "beta" with 8); generated on first use
// (atomically: concurrent test processes may race, one wins). Aborts the test on failure.
std::filesystem::path TinyCohort();

// A site configuration for `site_dir` with small CT crops (16x16x8), 32-pixel tiles (4 per slide)
// and the volume cache in `cache_dir`.
nlohmann::json TinySiteConfig(const std::filesystem::path& cache_dir);

// A fresh copy of site `name` of the tiny cohort in a new temporary folder (for tests that damage
// files); the copy's manifest paths stay valid (they are relative).
std::filesystem::path CopySite(const std::string& name);

}  // namespace pancaim::sitedataset::testing
