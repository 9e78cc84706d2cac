// Tests of clinical_table.h: typing, explicit missing values, located errors, and normalisation
// fitted on the training split only.
#include "pancaim/site_data/clinical_table.h"

#include <gtest/gtest.h>

#include <cmath>

namespace pancaim::sitedata {
namespace {

constexpr const char* kHeader =
    "patient_id,split,ct_path,ct_series_uid,mask_path,slide_paths,vcf_path,vcf_sample,age,sex,"
    "ca19_9,stage,pdac,survival_months,event\n";

Manifest MakeManifest(const std::string& rows) {
  StatusOr<Manifest> manifest = ParseManifest(std::string(kHeader) + rows, "m.csv");
  PANCAIM_CHECK(manifest.ok()) << manifest.status();
  return std::move(manifest).value();
}

TEST(ClinicalTable, TypesValuesAndKeepsMissingExplicit) {
  const Manifest manifest = MakeManifest(
      "P1,train,,,,,,,60,F,37,2,1,10.5,1\n"
      "P2,train,,,,,,,70,,,,0,,\n");
  std::vector<DataIssue> issues;
  StatusOr<ClinicalTable> table = ClinicalTable::FromManifest(manifest, false, &issues);
  ASSERT_TRUE(table.ok());
  EXPECT_TRUE(issues.empty());
  const ClinicalRow& p1 = table->rows()[0];
  EXPECT_EQ(p1.age, 60.0);
  EXPECT_EQ(p1.sex, 0.0);
  EXPECT_EQ(p1.stage, 2.0);
  EXPECT_EQ(p1.pdac, 1);
  EXPECT_EQ(p1.survival_months, 10.5);
  const ClinicalRow& p2 = table->rows()[1];
  EXPECT_FALSE(p2.sex.has_value());
  EXPECT_FALSE(p2.ca19_9.has_value());
  EXPECT_FALSE(p2.event.has_value());
  EXPECT_EQ(p2.pdac, 0);
}

TEST(ClinicalTable, NonNumericValueIsLocated) {
  const Manifest manifest = MakeManifest(
      "P1,train,,,,,,,sixty,F,,,,,\n"
      "P2,train,,,,,,,50,X,1e9,5,2,0,1\n");
  std::vector<DataIssue> issues;
  StatusOr<ClinicalTable> table = ClinicalTable::FromManifest(manifest, false, &issues);
  ASSERT_TRUE(table.ok());
  ASSERT_EQ(issues.size(), 6u);
  EXPECT_EQ(issues[0].ToString(), "m.csv:2:9 (age): patient P1: not a number: 'sixty'");
  EXPECT_FALSE(table->rows()[0].age.has_value());  // dropped, not zero
  EXPECT_EQ(issues[1].ToString(), "m.csv:3:10 (sex): patient P2: invalid sex 'X' (expected F or M)");
  EXPECT_NE(issues[2].ToString().find("(ca19_9)"), std::string::npos);
  EXPECT_NE(issues[3].ToString().find("m.csv:3:12 (stage): patient P2: value 5 outside [0, 4]"),
            std::string::npos);
  EXPECT_NE(issues[4].ToString().find("(pdac)"), std::string::npos);
  EXPECT_NE(issues[5].ToString().find("(survival_months): patient P2: value 0 outside (0, 1200]"),
            std::string::npos);

  StatusOr<ClinicalTable> strict = ClinicalTable::FromManifest(manifest, true, nullptr);
  EXPECT_EQ(strict.status().message(), "m.csv:2:9 (age): patient P1: not a number: 'sixty'");
}

TEST(ClinicalTable, RejectsNonFiniteAndPartialNumbers) {
  const Manifest manifest = MakeManifest(
      "P1,train,,,,,,,nan,F,,,,,\n"
      "P2,train,,,,,,,50kg,F,,,,,\n"
      "P3,train,,,,,,,2.5,F,,2.5,,,\n");
  std::vector<DataIssue> issues;
  ASSERT_TRUE(ClinicalTable::FromManifest(manifest, false, &issues).ok());
  ASSERT_EQ(issues.size(), 3u);
  EXPECT_NE(issues[2].message.find("not an integer"), std::string::npos);
}

TEST(ClinicalTable, NormalisationUsesTrainingSplitOnly) {
  const Manifest manifest = MakeManifest(
      "T1,train,,,,,,,40,F,0,1,,,\n"
      "T2,train,,,,,,,60,M,,3,,,\n"
      "V1,validation,,,,,,,1000,F,99999,4,,,\n"   // would shift the mean if it leaked
      "X1,test,,,,,,,50,,,,,,\n");
  std::vector<DataIssue> issues;
  StatusOr<ClinicalTable> table = ClinicalTable::FromManifest(manifest, false, &issues);
  ASSERT_TRUE(table.ok());
  // V1's age of 1000 is out of range and dropped; still, its other values must not leak.
  StatusOr<NormalisationStats> stats = table->FitNormalisation();
  ASSERT_TRUE(stats.ok());
  EXPECT_DOUBLE_EQ(stats->mean[0], 50.0);
  EXPECT_NEAR(stats->stddev[0], std::sqrt(200.0), 1e-9);
  EXPECT_EQ(stats->count[2], 1);   // CA19-9: only T1 in training
  EXPECT_EQ(stats->stddev[2], 1.0);  // one value: no spread
  EXPECT_DOUBLE_EQ(stats->mean[3], 2.0);

  const FeatureMatrix matrix = table->Normalise(*stats);
  ASSERT_EQ(matrix.rows(), 4u);
  ASSERT_EQ(matrix.cols(), 4u);
  const auto at = [&](std::size_t r, std::size_t c) { return matrix.values[r * 4 + c]; };
  const auto missing = [&](std::size_t r, std::size_t c) { return matrix.missing[r * 4 + c]; };
  EXPECT_NEAR(at(0, 0), -10.0 / std::sqrt(200.0), 1e-6);
  EXPECT_EQ(at(1, 1), 1.0f);  // sex stays 0/1
  EXPECT_EQ(missing(3, 1), 1);
  EXPECT_EQ(at(3, 1), 0.0f);
  EXPECT_EQ(missing(2, 0), 1);  // the dropped out-of-range age
  // Validation CA19-9 is scaled with training statistics: log1p(99999) - log1p(0).
  EXPECT_NEAR(at(2, 2), std::log1p(99999.0), 1e-4);
}

TEST(ClinicalTable, NoTrainingPatientsIsAnError) {
  const Manifest manifest = MakeManifest("X1,test,,,,,,,50,,,,,,\n");
  StatusOr<ClinicalTable> table = ClinicalTable::FromManifest(manifest, false, nullptr);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->FitNormalisation().status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace pancaim::sitedata
