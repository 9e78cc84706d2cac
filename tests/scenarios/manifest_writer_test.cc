#include "pancaim/scenarios/manifest_writer.h"

#include <gtest/gtest.h>

namespace pancaim::scenarios {
namespace {

TEST(ManifestWriterTest, HeaderFollowsTheContract) {
  std::string text = FormatManifest({});
  EXPECT_EQ(text,
            "patient_id,split,ct_path,ct_series_uid,mask_path,slide_paths,vcf_path,vcf_sample,age,"
            "sex,ca19_9,stage,pdac,survival_months,event\n");
}

TEST(ManifestWriterTest, RowsWriteMissingAsEmptyAndJoinSlides) {
  ManifestRow row;
  row.patient_id = "a-0001";
  row.split = "test";
  row.ct_path = "ct/a-0001";
  row.ct_series_uid = "2.25.1";
  row.slide_paths = {"slides/a.tif", "slides/b.tif"};
  row.age = 61.25;
  row.sex = "F";
  row.stage = 3;
  row.pdac = true;
  row.survival_months = 7.04;
  row.event = true;
  std::string text = FormatManifest({row});
  EXPECT_NE(text.find("\na-0001,test,ct/a-0001,2.25.1,,slides/a.tif;slides/b.tif,,,61.2,F,,3,1,7.0,1\n"),
            std::string::npos)
      << text;
}

TEST(ManifestWriterTest, QuotesCellsThatNeedIt) {
  EXPECT_EQ(CsvCell("plain"), "plain");
  EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvCell("two\nlines"), "\"two\nlines\"");
}

}  // namespace
}  // namespace pancaim::scenarios
