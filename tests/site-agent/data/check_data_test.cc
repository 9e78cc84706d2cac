// Tests of check_data.h, check_report.h and the CT checker (src/ct_checker.cc) on a synthetic site
// with good and bad records.
#include "pancaim/site_data/check_data.h"

#include <gtest/gtest.h>

#include "synthetic_site.h"

namespace pancaim::sitedata {
namespace {

const ModalityReport& Section(const CheckDataReport& report, const std::string& name) {
  for (const auto& section : report.modalities) {
    if (section.modality == name) return section;
  }
  PANCAIM_CHECK(false) << "no section " << name;
  return report.modalities.front();
}

CheckDataOptions Quiet(bool strict) {
  CheckDataOptions options;
  options.strict = strict;
  options.progress = false;
  return options;
}

TEST(CheckData, CleanSiteReadsEverything) {
  testing::SyntheticSite site(/*bad_records=*/false);
  StatusOr<SiteConfig> config = LoadSiteConfig(site.config_path());
  ASSERT_TRUE(config.ok()) << config.status();
  StatusOr<CheckDataReport> report = RunCheckData(*config, Quiet(true));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->stopped.ok()) << report->stopped;
  EXPECT_EQ(report->TotalProblems(), 0);
  EXPECT_EQ(report->patients, 4);
  const ModalityReport& ct = Section(*report, "ct");
  EXPECT_EQ(ct.patients, 3);
  EXPECT_EQ(ct.patients_ok, 3);
  EXPECT_EQ(ct.files_read, 1 + 1 + 6 + 1);  // nii.gz + mask, 6 DICOM slices, mha
  EXPECT_EQ(ct.counts.at("DICOM series"), 1);
  EXPECT_EQ(ct.counts.at("NIfTI"), 1);
  EXPECT_EQ(ct.counts.at("MetaImage"), 1);
  EXPECT_EQ(ct.labels.pdac, 2);
  EXPECT_EQ(ct.labels.no_pdac, 1);
  ASSERT_EQ(ct.histograms.size(), 3u);
  EXPECT_EQ(ct.histograms[1].total(), 3);  // slice spacing
  const ModalityReport& pathology = Section(*report, "pathology");
  EXPECT_TRUE(pathology.checked);
  EXPECT_EQ(pathology.patients_ok, 1);
  EXPECT_EQ(pathology.files_read, 1);
  EXPECT_EQ(pathology.counts.at("vendor generic-tiff"), 1);
  const ModalityReport& genomics = Section(*report, "genomics");
  EXPECT_EQ(genomics.patients_ok, 1);
  EXPECT_EQ(genomics.counts.at("mutated KRAS"), 1);
  EXPECT_EQ(genomics.labels.pdac, 1);
  const ModalityReport& clinical = Section(*report, "clinical");
  EXPECT_EQ(clinical.patients, 4);
  EXPECT_TRUE(clinical.extra.contains("normalisation_on_training_split"));

  // The second run comes from the cache.
  StatusOr<CheckDataReport> again = RunCheckData(*config, Quiet(false));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Section(*again, "ct").counts.at("from cache"), 3);
  EXPECT_NE(again->ToText().find("OK: no problems found"), std::string::npos);
}

TEST(CheckData, LenientModeSkipsAndReportsBadRecords) {
  testing::SyntheticSite site(/*bad_records=*/true);
  StatusOr<SiteConfig> config = LoadSiteConfig(site.config_path());
  ASSERT_TRUE(config.ok());
  StatusOr<CheckDataReport> report = RunCheckData(*config, Quiet(false));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->stopped.ok());
  EXPECT_EQ(report->manifest_rows, 10u);
  ASSERT_EQ(report->manifest_issues.size(), 2u);  // duplicate P01, P07 without data
  EXPECT_NE(report->manifest_issues[0].message.find("duplicate"), std::string::npos);
  EXPECT_NE(report->manifest_issues[1].message.find("no data"), std::string::npos);
  const ModalityReport& ct = Section(*report, "ct");
  EXPECT_EQ(ct.patients, 5);
  EXPECT_EQ(ct.patients_ok, 3);
  ASSERT_EQ(ct.failures.size(), 2u);
  EXPECT_EQ(ct.failures[0].patient_id, "P04");
  EXPECT_NE(ct.failures[0].file.find("p04.nii.gz"), std::string::npos);
  EXPECT_NE(ct.failures[0].message.find("no such file"), std::string::npos);
  EXPECT_EQ(ct.failures[1].patient_id, "P05");
  EXPECT_NE(ct.failures[1].message.find("truncated"), std::string::npos);
  const ModalityReport& clinical = Section(*report, "clinical");
  ASSERT_EQ(clinical.failures.size(), 1u);
  EXPECT_NE(clinical.failures[0].ToString().find("manifest.csv:8:9 (age): patient P06: not a number"),
            std::string::npos);
  const ModalityReport& pathology = Section(*report, "pathology");
  ASSERT_EQ(pathology.failures.size(), 1u);
  EXPECT_NE(pathology.failures[0].file.find("missing.tiff"), std::string::npos);
  const ModalityReport& genomics = Section(*report, "genomics");
  ASSERT_EQ(genomics.failures.size(), 1u);
  EXPECT_NE(genomics.failures[0].message.find("index"), std::string::npos)
      << genomics.failures[0].message;
  EXPECT_EQ(report->TotalProblems(), 7);

  const std::string text = report->ToText();
  EXPECT_NE(text.find("FAILED"), std::string::npos);
  EXPECT_NE(text.find("7 problem(s) found"), std::string::npos);
  const nlohmann::json json = report->ToJson();
  EXPECT_EQ(json.at("problems"), 7);
  EXPECT_FALSE(json.at("ok").get<bool>());
  EXPECT_EQ(json.at("modalities").at("ct").at("failures").size(), 2u);
  EXPECT_EQ(json.at("modalities").at("ct").at("histograms").size(), 3u);
}

TEST(CheckData, StrictModeStopsAtTheFirstProblem) {
  testing::SyntheticSite site(/*bad_records=*/true);
  StatusOr<SiteConfig> config = LoadSiteConfig(site.config_path());
  ASSERT_TRUE(config.ok());
  StatusOr<CheckDataReport> report = RunCheckData(*config, Quiet(true));
  ASSERT_TRUE(report.ok());
  ASSERT_FALSE(report->stopped.ok());
  EXPECT_NE(report->stopped.message().find("manifest.csv:9:1 (patient_id)"), std::string::npos)
      << report->stopped;
  EXPECT_NE(report->ToText().find("STOPPED (strict)"), std::string::npos);
}

TEST(CheckData, UnreadableManifestIsAnError) {
  testing::SyntheticSite site(/*bad_records=*/false);
  StatusOr<SiteConfig> config = LoadSiteConfig(site.config_path());
  ASSERT_TRUE(config.ok());
  std::filesystem::remove(site.manifest_path());
  EXPECT_EQ(RunCheckData(*config, Quiet(false)).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace pancaim::sitedata
