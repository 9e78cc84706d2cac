// A small synthetic site on disk for check-data tests: CT volumes in several formats, masks, a
// manifest with deliberate bad records, and site.json. Removed by the destructor.
#pragma once

#include <filesystem>
#include <string>

#include "../imaging/test_volumes.h"

namespace pancaim::sitedata::testing {

class SyntheticSite {
 public:
  // Writes the files; `bad_records` adds a missing CT, a truncated .nii.gz, a duplicate id, a
  // patient with no data and a non-numeric age.
  explicit SyntheticSite(bool bad_records);

  const std::filesystem::path& root() const { return dir_.path(); }
  std::filesystem::path config_path() const { return dir_.path() / "site.json"; }
  std::filesystem::path manifest_path() const { return dir_.path() / "data/manifest.csv"; }

 private:
  imaging::testing::TempDir dir_;
};

}  // namespace pancaim::sitedata::testing
