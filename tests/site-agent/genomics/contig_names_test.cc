#include "pancaim/genomics/contig_names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pancaim::genomics {
namespace {

using ::testing::HasSubstr;

TEST(ContigNamesTest, TogglesBetweenUcscAndEnsemblStyles) {
  EXPECT_EQ(OtherContigStyle("chr7"), "7");
  EXPECT_EQ(OtherContigStyle("7"), "chr7");
  EXPECT_EQ(OtherContigStyle("chrX"), "X");
  EXPECT_EQ(OtherContigStyle("chrM"), "MT");
  EXPECT_EQ(OtherContigStyle("MT"), "chrM");
}

TEST(ContigNamesTest, MatchesBothWays) {
  auto bed_chr = MatchContigs({"chr12", "chr17", "chrX"}, {"12", "17", "22"}, "v.vcf.gz");
  ASSERT_TRUE(bed_chr.ok()) << bed_chr.status();
  EXPECT_EQ(bed_chr->at("chr12"), "12");
  EXPECT_EQ(bed_chr->count("chrX"), 0u);  // absent from the VCF: left out, not an error

  auto bed_plain = MatchContigs({"12", "17"}, {"chr12", "chr17"}, "v.vcf.gz");
  ASSERT_TRUE(bed_plain.ok());
  EXPECT_EQ(bed_plain->at("17"), "chr17");

  auto same = MatchContigs({"chr1"}, {"chr1", "1"}, "v.vcf.gz");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->at("chr1"), "chr1");  // exact name wins
}

TEST(ContigNamesTest, NoOverlapListsBothNamingStyles) {
  auto none = MatchContigs({"chr12", "chr17"}, {"NC_000012.12", "NC_000017.11"}, "p1.vcf.gz");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(none.status().message(), HasSubstr("p1.vcf.gz"));
  EXPECT_THAT(none.status().message(), HasSubstr("NC_000012.12"));
  EXPECT_THAT(none.status().message(), HasSubstr("chr12"));
}

}  // namespace
}  // namespace pancaim::genomics
