#include "pancaim/genomics/gene_features.h"

#include <fstream>
#include <iterator>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vcf_test_data.h"

namespace pancaim::genomics {
namespace {

using ::testing::HasSubstr;

GenePanel Panel(bool chr_prefix) {
  const std::string p = chr_prefix ? "chr" : "";
  auto panel = ParseBed(p + "12\t25205245\t25250936\tKRAS\n" + p + "17\t7661778\t7687538\tTP53\n" +
                            p + "9\t21967751\t21995324\tCDKN2A\n" + p + "18\t51030212\t51085042\tSMAD4\n",
                        "test.bed");
  EXPECT_TRUE(panel.ok()) << panel.status();
  return *panel;
}

StatusOr<GenomicFeatures> Extract(const std::filesystem::path& path, const std::string& sample,
                                  const GenePanel& panel, GeneFeatureOptions options = {}) {
  PANCAIM_ASSIGN_OR_RETURN(auto vcf, VcfFile::Open(path));
  return ExtractGeneFeatures(*vcf, sample, panel, options);
}

const GeneFeature& Gene(const GenomicFeatures& f, const std::string& name) {
  for (const GeneFeature& g : f.genes) {
    if (g.gene == name) return g;
  }
  ADD_FAILURE() << "no gene " << name;
  return f.genes.front();
}

class GeneFeaturesTest : public ::testing::TestWithParam<GeneFeatureOptions::Scan> {
 protected:
  GeneFeatureOptions Options() const {
    GeneFeatureOptions options;
    options.scan = GetParam();
    return options;
  }
};

TEST_P(GeneFeaturesTest, PassVariantsAndAdVafPerSample) {
  const auto path = testdata::Write("features.vcf.gz", testdata::TwoSampleVcf(true));
  auto a = Extract(path, "TUMOR_A", Panel(true), Options());
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(Gene(*a, "KRAS").mutated);
  ASSERT_TRUE(Gene(*a, "KRAS").max_vaf.has_value());
  // 30 / (70 + 30); the q10-filtered KRAS record with VAF 0.9 must not count.
  EXPECT_DOUBLE_EQ(*Gene(*a, "KRAS").max_vaf, 0.3);
  EXPECT_EQ(Gene(*a, "KRAS").variants, 1);
  EXPECT_EQ(Gene(*a, "KRAS").vaf_source, "FORMAT/AD");
  EXPECT_FALSE(Gene(*a, "TP53").mutated);     // 0/0 and a <NON_REF> block only
  EXPECT_FALSE(Gene(*a, "CDKN2A").mutated);   // FILTER "." not accepted by default
  EXPECT_FALSE(Gene(*a, "SMAD4").mutated);
  EXPECT_EQ(a->panel_contigs_absent, (std::vector<std::string>{"chr18"}));
  EXPECT_EQ(a->records_in_genes, 5);
  EXPECT_EQ(a->records_passing, 3);

  auto b = Extract(path, "TUMOR_B", Panel(true), Options());
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(Gene(*b, "KRAS").mutated);
  EXPECT_TRUE(Gene(*b, "TP53").mutated);
  EXPECT_DOUBLE_EQ(*Gene(*b, "TP53").max_vaf, 0.5);
  EXPECT_EQ(b->ToVector(), (std::vector<float>{0, 1, 0, 0, 0, 0.5f, 0, 0, 0, 1, 0, 0}));
}

TEST_P(GeneFeaturesTest, MissingFilterAcceptedWhenConfigured) {
  const auto path = testdata::Write("filter.vcf.gz", testdata::TwoSampleVcf(true));
  GeneFeatureOptions options = Options();
  options.accept_missing_filter = true;
  auto a = Extract(path, "TUMOR_A", Panel(true), options);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(Gene(*a, "CDKN2A").mutated);
  options.pass_only = false;
  auto all = Extract(path, "TUMOR_A", Panel(true), options);
  ASSERT_TRUE(all.ok());
  EXPECT_DOUBLE_EQ(*Gene(*all, "KRAS").max_vaf, 0.9);  // the q10 record now counts
}

TEST_P(GeneFeaturesTest, ContigNamesMatchWithOrWithoutChrPrefix) {
  const auto plain_vcf = testdata::Write("plain-contigs.vcf.gz", testdata::TwoSampleVcf(false));
  const auto chr_vcf = testdata::Write("chr-contigs.vcf.gz", testdata::TwoSampleVcf(true));
  for (const auto& [path, chr_bed] : {std::pair{plain_vcf, true}, std::pair{chr_vcf, false}}) {
    auto a = Extract(path, "TUMOR_A", Panel(chr_bed), Options());
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_DOUBLE_EQ(*Gene(*a, "KRAS").max_vaf, 0.3) << path;
  }
}

TEST_P(GeneFeaturesTest, ContigsNamedDifferentlyFromBedIsAClearError) {
  const auto path = testdata::Write("refseq.vcf.gz", testdata::TwoSampleVcf(true));
  auto panel = ParseBed("NC_000012.12\t25205245\t25250936\tKRAS\n", "refseq.bed");
  ASSERT_TRUE(panel.ok());
  auto a = Extract(path, "TUMOR_A", *panel, Options());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(a.status().message(), HasSubstr("refseq.vcf.gz"));
  EXPECT_THAT(a.status().message(), HasSubstr("chr12"));
  EXPECT_THAT(a.status().message(), HasSubstr("NC_000012.12"));
}

TEST_P(GeneFeaturesTest, VafFromFormatAfThenInfoAfAndCallsWithoutGenotype) {
  const std::string text =
      testdata::Header(true, {"T"}) +
      "chr12\t25245350\t.\tC\tT,G\t60\tPASS\t.\tGT:AF\t0/2:0.1,0.25\n"      // carries allele 2
      "chr17\t7674220\t.\tC\tT\t60\tPASS\tAF=0.42\tGT\t0/1\n"              // single-sample INFO/AF
      "chr9\t21970000\t.\tG\tC\t60\tPASS\t.\tAD\t8,2\n"                    // no GT: AD decides
      "chr9\t21971000\t.\tG\tA\t60\tPASS\t.\tAD\t10,0\n";                  // no GT, no support
  const auto path = testdata::Write("af.vcf.gz", text);
  auto t = Extract(path, "T", Panel(true), Options());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_FLOAT_EQ(static_cast<float>(*Gene(*t, "KRAS").max_vaf), 0.25f);
  EXPECT_EQ(Gene(*t, "KRAS").vaf_source, "FORMAT/AF");
  EXPECT_FLOAT_EQ(static_cast<float>(*Gene(*t, "TP53").max_vaf), 0.42f);
  EXPECT_EQ(Gene(*t, "TP53").vaf_source, "INFO/AF");
  EXPECT_TRUE(Gene(*t, "CDKN2A").mutated);
  EXPECT_EQ(Gene(*t, "CDKN2A").variants, 1);
  EXPECT_DOUBLE_EQ(*Gene(*t, "CDKN2A").max_vaf, 0.2);
}

TEST_P(GeneFeaturesTest, MutatedWithoutMeasurableVafIsExplicit) {
  const std::string text = testdata::Header(true, {"T"}) +
                           "chr12\t25245350\t.\tC\tT\t60\tPASS\t.\tGT\t0/1\n";
  auto t = Extract(testdata::Write("novaf.vcf.gz", text), "T", Panel(true), Options());
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(Gene(*t, "KRAS").mutated);
  EXPECT_FALSE(Gene(*t, "KRAS").max_vaf.has_value());
  const std::vector<float> v = t->ToVector();
  EXPECT_EQ(v[0], 1.0f);  // KRAS.mutated
  EXPECT_EQ(v[4], 0.0f);  // KRAS.max_vaf
  EXPECT_EQ(v[8], 0.0f);  // KRAS.vaf_known
}

TEST_P(GeneFeaturesTest, DeletionStartingBeforeTheGeneOverlapsIt) {
  // A 10-base deletion starting 5 bases before the region's first base.
  auto panel = ParseBed("chr12\t1000\t2000\tG\n", "small.bed");
  ASSERT_TRUE(panel.ok());
  const std::string text = testdata::Header(true, {"T"}) +
                           "chr12\t996\t.\tAAAAAAAAAA\tA\t60\tPASS\t.\tGT:AD\t0/1:6,4\n"
                           "chr12\t2001\t.\tC\tT\t60\tPASS\t.\tGT:AD\t0/1:1,9\n";  // after the end
  auto t = Extract(testdata::Write("del.vcf.gz", text), "T", *panel, Options());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->genes[0].mutated);
  EXPECT_DOUBLE_EQ(*t->genes[0].max_vaf, 0.4);
}

TEST_P(GeneFeaturesTest, BcfGivesTheSameFeatures) {
  const auto vcf = testdata::Write("for-bcf.vcf.gz", testdata::TwoSampleVcf(false));
  const auto bcf = testdata::TempDir() / "features.bcf";
  ASSERT_TRUE(testing::ConvertToBcf(vcf, bcf).ok());
  auto from_vcf = Extract(vcf, "TUMOR_A", Panel(true), Options());
  auto from_bcf = Extract(bcf, "TUMOR_A", Panel(true), Options());
  ASSERT_TRUE(from_vcf.ok() && from_bcf.ok()) << from_bcf.status();
  EXPECT_EQ(from_vcf->ToVector(), from_bcf->ToVector());
}

INSTANTIATE_TEST_SUITE_P(BothScans, GeneFeaturesTest,
                         ::testing::Values(GeneFeatureOptions::Scan::kIndexedRegions,
                                           GeneFeatureOptions::Scan::kWholeFile));

TEST(GeneFeaturesCorruptionTest, CorruptBlockInTheMiddleIsDataLossNotACrash) {
  std::string text = testdata::Header(true, {"T"});
  for (int i = 0; i < 6000; ++i) {
    text += "chr12\t" + std::to_string(25205300 + i) + "\t.\tC\tT\t60\tPASS\t.\tGT:AD\t0/1:" +
            std::to_string(i % 50) + ",7\n";
  }
  const auto good = testdata::Write("big.vcf.gz", text);
  std::ifstream in(good, std::ios::binary);
  std::string bytes(std::istreambuf_iterator<char>(in), {});
  ASSERT_GT(bytes.size(), 4000u);
  for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 200; ++i) bytes[i] = static_cast<char>(i * 31);
  const auto bad = testdata::TempDir() / "corrupt.vcf.gz";
  std::ofstream(bad, std::ios::binary) << bytes;
  std::filesystem::copy_file(good.string() + ".tbi", bad.string() + ".tbi");
  GeneFeatureOptions options;
  options.scan = GeneFeatureOptions::Scan::kWholeFile;
  auto t = Extract(bad, "T", Panel(true), options);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(t.status().message(), HasSubstr("corrupt.vcf.gz"));
  options.scan = GeneFeatureOptions::Scan::kIndexedRegions;
  auto regions = Extract(bad, "T", Panel(true), options);
  ASSERT_FALSE(regions.ok());
  EXPECT_EQ(regions.status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace pancaim::genomics
