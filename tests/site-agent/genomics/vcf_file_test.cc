#include "pancaim/genomics/vcf_file.h"

#include <fstream>
#include <iterator>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vcf_test_data.h"

namespace pancaim::genomics {
namespace {

using ::testing::HasSubstr;
using testing::IndexKind;

TEST(VcfFileTest, OpensBgzippedVcfWithTabixIndex) {
  const auto path = testdata::Write("two.vcf.gz", testdata::TwoSampleVcf(true));
  auto vcf = VcfFile::Open(path);
  ASSERT_TRUE(vcf.ok()) << vcf.status();
  EXPECT_EQ((*vcf)->format(), VcfFormat::kVcfGz);
  EXPECT_EQ((*vcf)->index_kind(), "tbi");
  EXPECT_EQ((*vcf)->samples(), (std::vector<std::string>{"TUMOR_A", "TUMOR_B"}));
  EXPECT_EQ((*vcf)->contigs(), (std::vector<std::string>{"chr9", "chr12", "chr17"}));
  auto b = (*vcf)->SampleIndex("TUMOR_B");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, 1);
}

TEST(VcfFileTest, OpensCsiIndexedVcfAndBcf) {
  const auto csi = testdata::Write("two-csi.vcf.gz", testdata::TwoSampleVcf(false), IndexKind::kCsi);
  auto vcf = VcfFile::Open(csi);
  ASSERT_TRUE(vcf.ok()) << vcf.status();
  EXPECT_EQ((*vcf)->index_kind(), "csi");
  const auto bcf_path = testdata::TempDir() / "two.bcf";
  ASSERT_TRUE(testing::ConvertToBcf(csi, bcf_path).ok());
  auto bcf = VcfFile::Open(bcf_path);
  ASSERT_TRUE(bcf.ok()) << bcf.status();
  EXPECT_EQ((*bcf)->format(), VcfFormat::kBcf);
  EXPECT_EQ((*bcf)->contigs(), (std::vector<std::string>{"9", "12", "17"}));
}

TEST(VcfFileTest, MissingIndexIsRefusedWithTheFixCommand) {
  const auto path = testdata::Write("noindex.vcf.gz", testdata::TwoSampleVcf(true), IndexKind::kNone);
  auto vcf = VcfFile::Open(path);
  ASSERT_FALSE(vcf.ok());
  EXPECT_EQ(vcf.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(vcf.status().message(), HasSubstr("noindex.vcf.gz"));
  EXPECT_THAT(vcf.status().message(), HasSubstr("no index"));
  EXPECT_THAT(vcf.status().message(), HasSubstr("bcftools index"));
}

TEST(VcfFileTest, SampleNotInHeaderListsTheSamples) {
  auto vcf = VcfFile::Open(testdata::Write("samples.vcf.gz", testdata::TwoSampleVcf(true)));
  ASSERT_TRUE(vcf.ok());
  auto index = (*vcf)->SampleIndex("PATIENT_7");
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(index.status().message(), HasSubstr("PATIENT_7"));
  EXPECT_THAT(index.status().message(), HasSubstr("samples.vcf.gz"));
  EXPECT_THAT(index.status().message(), HasSubstr("TUMOR_A, TUMOR_B"));
}

TEST(VcfFileTest, SitesOnlyVcfHasNoSampleToRead) {
  const std::string text = testdata::Header(true, {}) + "chr12\t25245350\t.\tC\tT\t60\tPASS\t.\n";
  auto vcf = VcfFile::Open(testdata::Write("sites.vcf.gz", text));
  ASSERT_TRUE(vcf.ok()) << vcf.status();
  EXPECT_EQ((*vcf)->SampleIndex("X").status().code(), StatusCode::kFailedPrecondition);
}

TEST(VcfFileTest, UncompressedOrMissingOrForeignFilesAreRefused) {
  const auto plain = testdata::TempDir() / "plain.vcf";
  std::ofstream(plain) << testdata::TwoSampleVcf(true);
  auto plain_vcf = VcfFile::Open(plain);
  EXPECT_EQ(plain_vcf.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(plain_vcf.status().message(), HasSubstr("bgzip"));

  EXPECT_EQ(VcfFile::Open(testdata::TempDir() / "absent.vcf.gz").status().code(),
            StatusCode::kNotFound);

  const auto text = testdata::TempDir() / "notes.vcf.gz";
  std::ofstream(text) << "patient notes, not a VCF\n";
  auto foreign = VcfFile::Open(text);
  ASSERT_FALSE(foreign.ok());
  EXPECT_THAT(foreign.status().message(), HasSubstr("notes.vcf.gz"));
}

TEST(VcfFileTest, BgzippedGarbageIsNotAVcf) {
  const auto path = testdata::Write("garbage.vcf.gz", "\x01\x02 not a variant file\n", IndexKind::kNone);
  auto vcf = VcfFile::Open(path);
  ASSERT_FALSE(vcf.ok());
  EXPECT_THAT(vcf.status().message(), HasSubstr("garbage.vcf.gz"));
}

TEST(VcfFileTest, TruncatedFileIsDataLoss) {
  const auto path = testdata::Write("full.vcf.gz", testdata::TwoSampleVcf(true));
  std::ifstream in(path, std::ios::binary);
  const std::string bytes(std::istreambuf_iterator<char>(in), {});
  const auto cut = testdata::TempDir() / "cut.vcf.gz";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() * 2 / 3);
  std::filesystem::copy_file(path.string() + ".tbi", cut.string() + ".tbi");
  auto vcf = VcfFile::Open(cut);
  ASSERT_FALSE(vcf.ok());
  EXPECT_EQ(vcf.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(vcf.status().message(), HasSubstr("cut.vcf.gz"));
  EXPECT_THAT(vcf.status().message(), HasSubstr("truncated"));
}

}  // namespace
}  // namespace pancaim::genomics
