// check-data on real files from outside the project, shipped by Debian packages: NIfTI templates
// (mricron-data), DICOM test files (python3-pydicom) and a VCF (htslib-test). Skips when a
// package is missing. The report must be clean: these are valid files.
#include <gtest/gtest.h>

#include <fstream>

#include "pancaim/genomics/testing/vcf_writer.h"
#include "pancaim/imaging/dicom_series.h"
#include "pancaim/site_data/check_data.h"
#include "../imaging/test_volumes.h"

namespace pancaim::sitedata {
namespace {

TEST(DebianSite, CheckDataOnRealFilesIsClean) {
  const auto ch2 = imaging::testing::MricronTemplate("ch2.nii.gz");
  const auto aal = imaging::testing::MricronTemplate("aal.nii.gz");
  const auto ct = imaging::testing::PydicomTestFile("CT_small.dcm");
  const auto mr = imaging::testing::PydicomTestFile("MR_small.dcm");
  const std::filesystem::path vcf_text = "/usr/share/htslib-test/test/tabix/vcf_file.vcf";
  if (ch2.empty() || aal.empty() || ct.empty() || mr.empty() || !std::filesystem::exists(vcf_text)) {
    GTEST_SKIP() << "needs mricron-data, python3-pydicom and htslib-test";
  }
  imaging::testing::TempDir dir;
  const auto data = dir.path();
  std::filesystem::create_directories(data / "ct_dicom");
  std::filesystem::copy_file(ct, data / "ct_dicom/CT_small.dcm");
  std::filesystem::create_directories(data / "mixed");
  std::filesystem::copy_file(ct, data / "mixed/ct.dcm");
  std::filesystem::copy_file(mr, data / "mixed/mr.dcm");
  StatusOr<std::vector<imaging::DicomSeriesInfo>> series = imaging::ListDicomSeries(data / "mixed");
  ASSERT_TRUE(series.ok() && series->size() == 2u) << series.status();
  ASSERT_TRUE(genomics::testing::BgzipAndIndex(vcf_text, data / "vcf_file.vcf.gz").ok());
  std::ofstream(data / "manifest.csv")
      << "patient_id,split,ct_path,ct_series_uid,mask_path,slide_paths,vcf_path,vcf_sample,age,"
         "sex,ca19_9,stage,pdac,survival_months,event\n"
      << "R01,train," << ch2.string() << ",," << aal.string() << ",,vcf_file.vcf.gz,A,61,F,80,2,1,20,1\n"
      << "R02,train,ct_dicom,,,,vcf_file.vcf.gz,B,55,M,12,,0,48,0\n"
      << "R03,validation,mixed," << (*series)[1].uid << ",,,,,70,F,,,1,7,1\n";
  std::ofstream(data / "site.json") << R"({"site": {"id": "debian", "manifest": "manifest.csv"},
      "imaging": {"size": [64, 64, 32], "spacing_mm": [2, 2, 2], "cache": false}})";
  StatusOr<SiteConfig> config = LoadSiteConfig(data / "site.json");
  ASSERT_TRUE(config.ok()) << config.status();
  CheckDataOptions options;
  options.strict = true;
  options.progress = false;
  StatusOr<CheckDataReport> report = RunCheckData(*config, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->stopped.ok()) << report->stopped;
  EXPECT_EQ(report->TotalProblems(), 0) << report->ToText();
  for (const auto& section : report->modalities) {
    if (section.modality == "ct") {
      EXPECT_EQ(section.patients_ok, 3);
      EXPECT_EQ(section.files_read, 4);  // ch2 + aal, one DICOM slice, the named series' slice
    }
    if (section.modality == "genomics") {
      EXPECT_EQ(section.patients_ok, 2);
    }
  }
}

}  // namespace
}  // namespace pancaim::sitedata
