#include "pancaim/genomics/vcf_inspect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vcf_test_data.h"

namespace pancaim::genomics {
namespace {

using ::testing::HasSubstr;

// Real VCFs from Debian's htslib-test package (HTSlib's own test data), when installed.
const std::filesystem::path kHtslibTestDir = "/usr/share/htslib-test/test";

TEST(VcfInspectTest, SummarisesASyntheticVcfAgainstTheShippedPanel) {
  const auto path = testdata::Write("inspect.vcf.gz", testdata::TwoSampleVcf(true));
  auto summary = InspectVcf(path, "TUMOR_A", PdacPanelGrch38());
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->format, "vcf.gz");
  EXPECT_EQ(summary->index_kind, "tbi");
  EXPECT_EQ(summary->sample_count, 2);
  EXPECT_EQ(summary->contig_style, "chr");
  EXPECT_EQ(summary->features.records_read, 5);
  EXPECT_EQ(summary->mutated_genes, (std::vector<std::string>{"KRAS"}));
  const nlohmann::json json = ToJson(*summary);
  EXPECT_EQ(json["records"], 5);
  EXPECT_EQ(json["genes"].size(), 18u);
  EXPECT_EQ(json["mutated_genes"][0], "KRAS");
  EXPECT_THAT(ToString(*summary), HasSubstr("mutated: KRAS (VAF 0.30)"));
}

TEST(VcfInspectTest, EveryBadInputIsAStatusNamingTheFile) {
  const auto good = testdata::Write("good-inspect.vcf.gz", testdata::TwoSampleVcf(true));
  const auto noindex = testdata::Write("noindex-inspect.vcf.gz", testdata::TwoSampleVcf(true),
                                       testing::IndexKind::kNone);
  auto missing_sample = InspectVcf(good, "NOBODY", PdacPanelGrch38());
  EXPECT_EQ(missing_sample.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing_sample.status().message(), HasSubstr("good-inspect.vcf.gz"));
  auto no_index = InspectVcf(noindex, "TUMOR_A", PdacPanelGrch38());
  EXPECT_EQ(no_index.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_index.status().message(), HasSubstr("noindex-inspect.vcf.gz"));
  auto bed = ParseBed("contigA\t0\t100\tG\n", "b");
  ASSERT_TRUE(bed.ok());
  auto contigs = InspectVcf(good, "TUMOR_A", *bed);
  EXPECT_EQ(contigs.status().code(), StatusCode::kFailedPrecondition);
}

// Each htslib-test VCF, bgzipped and indexed into a temporary folder with HTSlib, read whole and
// through the index with a panel spanning all its contigs: the two scans must agree.
TEST(VcfInspectTest, ReadsDebianHtslibTestVcfs) {
  if (!std::filesystem::is_directory(kHtslibTestDir)) {
    GTEST_SKIP() << "htslib-test is not installed (apt-get install htslib-test)";
  }
  int read = 0;
  for (const char* name : {"tabix/vcf_file.vcf", "index.vcf", "longrefs/index.vcf",
                           "formatmissing.vcf", "formatcols.vcf", "test-vcf-hdr-in.vcf",
                           "bcf-sr/merge.noidx.b.vcf", "noroundtrip.vcf"}) {
    const auto source = kHtslibTestDir / name;
    if (!std::filesystem::exists(source)) continue;
    const auto copy = testdata::TempDir() / (std::string("htslib-") + std::to_string(read) + ".vcf.gz");
    // CSI: longrefs/index.vcf has positions beyond what a .tbi index can hold.
    ASSERT_TRUE(testing::BgzipAndIndex(source, copy, testing::IndexKind::kCsi).ok()) << name;
    auto vcf = VcfFile::Open(copy);
    ASSERT_TRUE(vcf.ok()) << name << ": " << vcf.status();
    ASSERT_FALSE((*vcf)->samples().empty()) << name;
    std::string bed;
    for (const std::string& contig : (*vcf)->contigs()) bed += contig + "\t0\t2147483647\t" + contig + "\n";
    auto panel = ParseBed(bed, name);
    ASSERT_TRUE(panel.ok()) << name;
    GeneFeatureOptions options;
    options.pass_only = false;
    options.scan = GeneFeatureOptions::Scan::kWholeFile;
    auto whole = ExtractGeneFeatures(**vcf, (*vcf)->samples()[0], *panel, options);
    ASSERT_TRUE(whole.ok()) << name << ": " << whole.status();
    options.scan = GeneFeatureOptions::Scan::kIndexedRegions;
    auto regions = ExtractGeneFeatures(**vcf, (*vcf)->samples()[0], *panel, options);
    ASSERT_TRUE(regions.ok()) << name << ": " << regions.status();
    EXPECT_GT(whole->records_read, 0) << name;
    EXPECT_EQ(whole->records_in_genes, regions->records_in_genes) << name;
    EXPECT_EQ(whole->ToVector(), regions->ToVector()) << name;
    ++read;
  }
  EXPECT_GE(read, 5);
}

// tabix/vcf_file.vcf: at 1:3177144 G>T (PASS) sample A is 0/0 and sample B is 1/1.
TEST(VcfInspectTest, MultiSampleRealFileDistinguishesSamples) {
  const auto source = kHtslibTestDir / "tabix/vcf_file.vcf";
  if (!std::filesystem::exists(source)) GTEST_SKIP() << "htslib-test is not installed";
  const auto copy = testdata::TempDir() / "vcf_file.vcf.gz";
  ASSERT_TRUE(testing::BgzipAndIndex(source, copy, testing::IndexKind::kCsi).ok());
  auto panel = ParseBed("chr1\t3177143\t3177144\tGENE_AT_3177144\n", "one.bed");  // "chr" vs "1"
  ASSERT_TRUE(panel.ok());
  auto a = InspectVcf(copy, "A", *panel);
  auto b = InspectVcf(copy, "B", *panel);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
  EXPECT_EQ(a->contig_style, "plain");
  EXPECT_EQ(a->index_kind, "csi");
  EXPECT_FALSE(a->features.genes[0].mutated);
  EXPECT_TRUE(b->features.genes[0].mutated);
  EXPECT_FALSE(b->features.genes[0].max_vaf.has_value());  // GT:GQ:DP only: no VAF to measure
  EXPECT_EQ(a->features.records_read, 15);
}

}  // namespace
}  // namespace pancaim::genomics
