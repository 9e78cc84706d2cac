#include "pancaim/scenarios/vcf_writer.h"

#include <htslib/hts.h>
#include <htslib/kstring.h>
#include <htslib/tbx.h>
#include <htslib/vcf.h>

#include <gtest/gtest.h>

#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

PatientTruth Tumour() {
  PatientTruth p;
  p.patient_id = "p-7";
  p.pdac = true;
  p.driver_mutated = {true, true, false, true};
  p.tumour_purity = 0.5;
  return p;
}

struct Call {
  std::string gene;
  bool pass = false;
  int ref_depth = 0, alt_depth = 0;
};

// Reads the records of `region` through the tabix index, as a site reader would.
std::vector<Call> Query(const std::filesystem::path& path, const char* region) {
  std::vector<Call> calls;
  htsFile* file = hts_open(path.c_str(), "r");
  EXPECT_NE(file, nullptr);
  if (!file) return calls;
  bcf_hdr_t* header = bcf_hdr_read(file);
  tbx_t* index = tbx_index_load(path.c_str());
  EXPECT_NE(index, nullptr) << "no tabix index next to " << path;
  if (index) {
    hts_itr_t* iterator = tbx_itr_querys(index, region);
    kstring_t line = {0, 0, nullptr};
    bcf1_t* record = bcf_init();
    while (iterator && tbx_itr_next(file, index, iterator, &line) >= 0) {
      EXPECT_EQ(vcf_parse(&line, header, record), 0);
      bcf_unpack(record, BCF_UN_ALL);
      Call call;
      char* gene = nullptr;
      int gene_size = 0;
      if (bcf_get_info_string(header, record, "GENE", &gene, &gene_size) > 0) call.gene = gene;
      free(gene);
      call.pass = bcf_has_filter(header, record, const_cast<char*>("PASS")) == 1;
      int32_t* depths = nullptr;
      int depth_size = 0;
      if (bcf_get_format_int32(header, record, "AD", &depths, &depth_size) == 2) {
        call.ref_depth = depths[0];
        call.alt_depth = depths[1];
      }
      free(depths);
      calls.push_back(call);
    }
    bcf_destroy(record);
    free(line.s);
    hts_itr_destroy(iterator);
    tbx_destroy(index);
  }
  bcf_hdr_destroy(header);
  hts_close(file);
  return calls;
}

TEST(VcfWriterTest, DriverRegionsAreGrch38) {
  const auto& regions = DriverGeneRegions();
  EXPECT_EQ(regions[0].gene, "KRAS");
  EXPECT_EQ(regions[0].contig, "chr12");
  EXPECT_EQ(regions[0].start, 25205246);
  EXPECT_EQ(regions[1].gene, "TP53");
  EXPECT_EQ(regions[1].end, 7687538);
}

TEST(VcfWriterTest, IndexedQueryFindsTheDrivers) {
  testing::TempDir dir;
  GenomicsSettings settings;
  settings.low_quality_rate = 0;
  PatientTruth p = Tumour();
  auto variants = DrawPatientVariants(p, settings, 3);
  const auto path = dir.path() / "p.vcf.gz";
  ASSERT_TRUE(WriteVcf(variants, p.patient_id, path).ok());
  ASSERT_TRUE(std::filesystem::exists(dir.path() / "p.vcf.gz.tbi"));

  auto kras = Query(path, "chr12:25205246-25250936");
  ASSERT_EQ(kras.size(), 1u);
  EXPECT_EQ(kras[0].gene, "KRAS");
  EXPECT_TRUE(kras[0].pass);
  double fraction = static_cast<double>(kras[0].alt_depth) / (kras[0].alt_depth + kras[0].ref_depth);
  EXPECT_NEAR(fraction, 0.25, 0.12);  // purity 0.5, heterozygous
  EXPECT_EQ(Query(path, "chr17:7661779-7687538").size(), 1u);
  EXPECT_EQ(Query(path, "chr9:21967752-21995324").size(), 0u);  // CDKN2A wild type
  EXPECT_EQ(Query(path, "chr18:51030213-51085042").size(), 1u);

  // Header sample and the background variants.
  htsFile* file = hts_open(path.c_str(), "r");
  bcf_hdr_t* header = bcf_hdr_read(file);
  ASSERT_EQ(bcf_hdr_nsamples(header), 1);
  EXPECT_STREQ(header->samples[0], "p-7");
  bcf1_t* record = bcf_init();
  int records = 0;
  while (bcf_read(file, header, record) == 0) ++records;
  EXPECT_EQ(records, 3 + settings.background_variants);
  bcf_destroy(record);
  bcf_hdr_destroy(header);
  hts_close(file);
}

TEST(VcfWriterTest, LowQualityCallsAreFiltered) {
  testing::TempDir dir;
  GenomicsSettings settings;
  settings.low_quality_rate = 1.0;
  settings.background_variants = 0;
  PatientTruth p;
  p.patient_id = "control";
  auto variants = DrawPatientVariants(p, settings, 4);
  ASSERT_EQ(variants.size(), 1u);
  EXPECT_FALSE(variants[0].pass);
  ASSERT_TRUE(WriteVcf(variants, p.patient_id, dir.path() / "c.vcf.gz").ok());
  std::string region = variants[0].contig + ":" + std::to_string(variants[0].position);
  auto calls = Query(dir.path() / "c.vcf.gz", region.c_str());
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_FALSE(calls[0].pass);
}

TEST(VcfWriterTest, VariantsAreSortedAndDeterministic) {
  GenomicsSettings settings;
  settings.background_variants = 200;
  auto a = DrawPatientVariants(Tumour(), settings, 6);
  auto b = DrawPatientVariants(Tumour(), settings, 6);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].position, b[i].position);
    EXPECT_EQ(a[i].alt, b[i].alt);
  }
  testing::TempDir dir;
  // HTSlib's index build fails on unsorted input, so a clean write proves the order.
  ASSERT_TRUE(WriteVcf(a, "p", dir.path() / "sorted.vcf.gz").ok());
}

TEST(VcfWriterTest, UnwritablePathIsAnError) {
  Status status = WriteVcf({}, "p", "/proc/pancaim-no/p.vcf.gz");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/proc/pancaim-no/p.vcf.gz"), std::string::npos);
}

}  // namespace
}  // namespace pancaim::scenarios
