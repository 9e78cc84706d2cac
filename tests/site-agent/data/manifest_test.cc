// Tests of manifest.h: header validation, row checks located at file:line:column, duplicate ids,
// patients with no data, path resolution, strict mode.
#include "pancaim/site_data/manifest.h"

#include <gtest/gtest.h>

#include <random>

namespace pancaim::sitedata {
namespace {

constexpr const char* kHeader =
    "patient_id,split,ct_path,ct_series_uid,mask_path,slide_paths,vcf_path,vcf_sample,age,sex,"
    "ca19_9,stage,pdac,survival_months,event\n";

TEST(Manifest, ReadsRowsAndResolvesPaths) {
  const std::string text = std::string(kHeader) +
                           "P1,train,ct/p1.nii.gz,,masks/p1.nii.gz,\"s/a.svs; s/b.tiff\","
                           "g/p1.vcf.gz,S1,64,F,120,2,1,14.5,1\n"
                           "P2,test,/abs/dicom,1.2.3,,,,,,,,,0,30,0\n";
  StatusOr<Manifest> manifest = ParseManifest(text, "/data/site/manifest.csv");
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  ASSERT_EQ(manifest->patients.size(), 2u);
  const PatientRecord& p1 = manifest->patients[0];
  EXPECT_EQ(p1.line, 2);
  EXPECT_EQ(*p1.ct_path, "/data/site/ct/p1.nii.gz");
  EXPECT_EQ(*p1.mask_path, "/data/site/masks/p1.nii.gz");
  EXPECT_EQ(p1.slide_paths, (std::vector<std::filesystem::path>{"/data/site/s/a.svs",
                                                                  "/data/site/s/b.tiff"}));
  EXPECT_EQ(p1.vcf_sample, "S1");
  EXPECT_EQ(p1.clinical_cells.at("ca19_9"), "120");
  const PatientRecord& p2 = manifest->patients[1];
  EXPECT_EQ(p2.split, Split::kTest);
  EXPECT_EQ(*p2.ct_path, "/abs/dicom");
  EXPECT_EQ(p2.ct_series_uid, "1.2.3");
  EXPECT_TRUE(manifest->issues.empty());
}

TEST(Manifest, AcceptsAnyColumnOrder) {
  const std::string text =
      "event,survival_months,pdac,stage,ca19_9,sex,age,vcf_sample,vcf_path,slide_paths,mask_path,"
      "ct_series_uid,ct_path,split,patient_id\n"
      "1,10,1,,,,70,,,,,,ct.nii,validation,P9\n";
  StatusOr<Manifest> manifest = ParseManifest(text, "m.csv");
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  ASSERT_EQ(manifest->patients.size(), 1u);
  EXPECT_EQ(manifest->patients[0].patient_id, "P9");
  EXPECT_EQ(manifest->patients[0].split, Split::kValidation);
  EXPECT_EQ(manifest->ColumnNumber("patient_id"), 15);
}

TEST(Manifest, HeaderErrors) {
  std::string unknown = kHeader;
  unknown.replace(unknown.find("event"), 5, "evnt");
  EXPECT_EQ(ParseManifest(unknown + "P1,train\n", "m.csv").status().message(),
            "m.csv:1:15: unknown column 'evnt'");
  std::string missing = kHeader;
  missing.replace(missing.find(",event"), 6, "");
  EXPECT_EQ(ParseManifest(missing, "m.csv").status().message(), "m.csv:1: missing column 'event'");
  EXPECT_FALSE(ParseManifest("", "m.csv").ok());
}

TEST(Manifest, RowProblemsAreLocatedAndSkipped) {
  const std::string text = std::string(kHeader) +
                           "P1,train,a.nii,,,,,,50,M,,,1,12,1\n"
                           "P1,train,b.nii,,,,,,51,M,,,1,12,1\n"   // duplicate id
                           "P3,training,c.nii,,,,,,,,,,,,\n"        // bad split
                           "P4,test,,,,,,,,,,,1,5,1\n"               // no data (labels only)
                           "P 5,test,e.nii,,,,,,,,,,,,\n"           // bad id
                           "P6,test,,,m.nii,,,,40,,,,,,\n"         // mask without CT
                           "P7,test,f.nii\n";                        // short row
  StatusOr<Manifest> manifest = ParseManifest(text, "m.csv");
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->rows, 7u);
  ASSERT_EQ(manifest->patients.size(), 1u);
  ASSERT_EQ(manifest->issues.size(), 6u);
  EXPECT_EQ(manifest->issues[0].ToString(),
            "m.csv:3:1 (patient_id): patient P1: duplicate patient id (first on line 2)");
  EXPECT_EQ(manifest->issues[1].ToString(),
            "m.csv:4:2 (split): patient P3: invalid split 'training' (expected train, validation "
            "or test)");
  EXPECT_EQ(manifest->issues[2].ToString(),
            "m.csv:5: patient P4: patient has no data (no CT/MR, slide, VCF or clinical value)");
  EXPECT_NE(manifest->issues[3].ToString().find("m.csv:6:1 (patient_id): invalid patient id"),
            std::string::npos);
  EXPECT_NE(manifest->issues[4].ToString().find("m.csv:7:5 (mask_path)"), std::string::npos);
  EXPECT_EQ(manifest->issues[5].ToString(), "m.csv:8: expected 15 cells, found 3");
}

TEST(Manifest, StrictModeFailsOnFirstProblem) {
  const std::string text = std::string(kHeader) + "P1,train,a.nii,,,,,,,,,,,,\n" +
                           "P1,train,a.nii,,,,,,,,,,,,\n";
  ManifestReadOptions options;
  options.strict = true;
  StatusOr<Manifest> manifest = ParseManifest(text, "m.csv", options);
  ASSERT_FALSE(manifest.ok());
  EXPECT_NE(manifest.status().message().find("m.csv:3:1 (patient_id)"), std::string::npos);
}

TEST(Manifest, MissingFileIsNotFound) {
  StatusOr<Manifest> manifest = ReadManifest("/nonexistent/manifest.csv");
  EXPECT_EQ(manifest.status().code(), StatusCode::kNotFound);
  EXPECT_NE(manifest.status().message().find("/nonexistent/manifest.csv"), std::string::npos);
}

}  // namespace
}  // namespace pancaim::sitedata

namespace pancaim::sitedata {
namespace {

// Never crash on any input: random edits of a valid manifest (bytes flipped, inserted, deleted,
// quotes and separators injected) must give a manifest or a Status, nothing else.
TEST(Manifest, RandomlyDamagedManifestsNeverCrash) {
  const std::string valid = std::string(kHeader) +
                            "P1,train,ct/p1.nii.gz,,m.nii,\"a.svs;b.svs\",g.vcf.gz,S1,64,F,120,2,1,14.5,1\n"
                            "P2,test,dicom,1.2.3,,,,,,,,,0,30,0\n";
  std::mt19937 rng(12345);
  const std::string specials = "\",;\r\n\0\xff.";
  int parsed = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string text = valid;
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = rng() % text.size();
      switch (rng() % 4) {
        case 0: text[at] = static_cast<char>(rng() % 256); break;
        case 1: text.insert(at, 1, specials[rng() % specials.size()]); break;
        case 2: text.erase(at, 1 + rng() % 8); break;
        default: text = text.substr(0, at); break;
      }
    }
    StatusOr<Manifest> manifest = ParseManifest(text, "fuzz.csv");
    if (manifest.ok()) {
      ++parsed;
      for (const auto& issue : manifest->issues) EXPECT_FALSE(issue.ToString().empty());
    } else {
      EXPECT_NE(manifest.status().message().find("fuzz.csv"), std::string::npos)
          << manifest.status();
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace pancaim::sitedata
