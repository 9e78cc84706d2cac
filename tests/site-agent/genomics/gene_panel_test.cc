#include "pancaim/genomics/gene_panel.h"

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pancaim/genomics/gene_features.h"

namespace pancaim::genomics {
namespace {

using ::testing::HasSubstr;

TEST(GenePanelTest, ParsesBedSkippingCommentsAndTrackLines) {
  auto panel = ParseBed(
      "# comment\ntrack name=x\n\nchr1\t10\t20\tA\textra\nchr2 5 9 B\nchr1\t30\t40\tA\r\n", "p.bed");
  ASSERT_TRUE(panel.ok()) << panel.status();
  ASSERT_EQ(panel->regions().size(), 3u);
  EXPECT_EQ(panel->genes(), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(panel->regions()[1].contig, "chr2");
  EXPECT_EQ(panel->regions()[1].start, 5);
  EXPECT_EQ(panel->regions()[2].end, 40);
  EXPECT_EQ(panel->Contigs(), (std::vector<std::string>{"chr1", "chr2"}));
  EXPECT_EQ(panel->GeneIndex("B"), 1);
  EXPECT_EQ(panel->GeneIndex("Z"), -1);
}

TEST(GenePanelTest, MalformedLinesNameFileAndLine) {
  auto few = ParseBed("chr1\t1\t2\tA\nchr1\t5\t9\n", "panel.bed");
  EXPECT_EQ(few.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(few.status().message(), HasSubstr("panel.bed:2:"));
  EXPECT_THAT(ParseBed("chr1\tx\t2\tA\n", "p").status().message(), HasSubstr("integers"));
  EXPECT_THAT(ParseBed("chr1\t-1\t2\tA\n", "p").status().message(), HasSubstr("integers"));
  EXPECT_THAT(ParseBed("chr1\t9\t9\tA\n", "p").status().message(), HasSubstr("not before"));
  EXPECT_EQ(ParseBed("# only a comment\n", "p").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadBedFile("/nonexistent/panel.bed").status().code(), StatusCode::kNotFound);
}

TEST(GenePanelTest, ShippedPdacPanelHasTheDriverAndRepairGenes) {
  const GenePanel& panel = PdacPanelGrch38();
  for (const char* gene : {"KRAS", "TP53", "CDKN2A", "SMAD4", "ARID1A", "BRCA1", "BRCA2", "PALB2",
                           "ATM", "MLH1", "MSH2", "STK11", "KDM6A", "RNF43", "TGFBR2", "GNAS"}) {
    EXPECT_GE(panel.GeneIndex(gene), 0) << gene;
  }
  EXPECT_EQ(panel.genes().size(), 18u);
  const auto kras_it = std::find_if(panel.regions().begin(), panel.regions().end(),
                                    [](const GeneRegion& r) { return r.gene == "KRAS"; });
  ASSERT_NE(kras_it, panel.regions().end());
  const GeneRegion& kras = *kras_it;
  EXPECT_EQ(kras.contig, "chr12");
  EXPECT_EQ(kras.start, 25205245);  // Ensembl ENSG00000133703, 1-based start 25,205,246
  for (const GeneRegion& region : panel.regions()) {
    EXPECT_TRUE(region.contig.starts_with("chr")) << region.gene;
    EXPECT_LT(region.end - region.start, 400000) << region.gene << " span is implausibly long";
  }
  EXPECT_THAT(std::string(PdacPanelGrch38Bed()), HasSubstr("Sources and precision"));
}

TEST(GenePanelTest, FeatureNamesFollowGeneOrder) {
  auto panel = ParseBed("1\t0\t10\tA\n1\t20\t30\tB\n", "p");
  ASSERT_TRUE(panel.ok());
  EXPECT_EQ(GenomicFeatures::FeatureNames(*panel),
            (std::vector<std::string>{"A.mutated", "B.mutated", "A.max_vaf", "B.max_vaf",
                                      "A.vaf_known", "B.vaf_known"}));
}

}  // namespace
}  // namespace pancaim::genomics
