#include "synthetic_site.h"

#include <fstream>

#include "pancaim/common/check.h"
#include "pancaim/genomics/testing/vcf_writer.h"
#include "pancaim/imaging/volume_io.h"
#include "pancaim/pathology/testing/synthetic_slide.h"

namespace pancaim::sitedata::testing {
namespace {

// One sample, a KRAS G12D call (GRCh38) that passes filters, VAF 0.3.
constexpr const char* kVcf =
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=chr12,length=133275309>\n"
    "##FILTER=<ID=PASS,Description=\"All filters passed\">\n"
    "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
    "##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"Allelic depths\">\n"
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
    "chr12\t25245350\t.\tC\tT\t50\tPASS\t.\tGT:AD\t0/1:70,30\n";

}  // namespace

using imaging::testing::MakeCubeMask;
using imaging::testing::MakePhantom;

SyntheticSite::SyntheticSite(bool bad_records) {
  const auto data = dir_.path() / "data";
  std::filesystem::create_directories(data / "ct");
  std::filesystem::create_directories(data / "masks");
  const auto p1 = MakePhantom({32, 32, 8}, {0.8, 0.8, 2.5}, {10, 10, 2});
  PANCAIM_CHECK(imaging::WriteVolume(p1, data / "ct/p01.nii.gz").ok());
  PANCAIM_CHECK(imaging::WriteVolume(MakeCubeMask(p1, {10, 10, 2}), data / "masks/p01.nii.gz").ok());
  PANCAIM_CHECK(
      imaging::WriteDicomSeries(MakePhantom({32, 32, 6}, {0.7, 0.7, 3.0}), data / "ct/p02").ok());
  PANCAIM_CHECK(imaging::WriteVolume(MakePhantom({24, 24, 10}, {1, 1, 1}), data / "ct/p03.mha").ok());
  std::filesystem::create_directories(data / "slides");
  std::filesystem::create_directories(data / "genomics");
  pathology::testing::SyntheticSlideOptions slide;
  slide.width = 1024;
  slide.height = 768;
  slide.levels = 2;
  PANCAIM_CHECK(pathology::testing::WriteSyntheticSlide(data / "slides/p08.tiff", slide).ok());
  PANCAIM_CHECK(genomics::testing::WriteBgzippedVcf(data / "genomics/p01.vcf.gz", kVcf).ok());
  std::string rows =
      "patient_id,split,ct_path,ct_series_uid,mask_path,slide_paths,vcf_path,vcf_sample,age,sex,"
      "ca19_9,stage,pdac,survival_months,event\n"
      "P01,train,ct/p01.nii.gz,,masks/p01.nii.gz,,genomics/p01.vcf.gz,S1,64,F,250,2,1,14,1\n"
      "P02,train,ct/p02,,,,,,58,M,20,,0,40,0\n"
      "P03,validation,ct/p03.mha,,,,,,71,F,,3,1,9,1\n"
      "P08,test,,,,slides/p08.tiff,,,66,M,,,1,,\n";
  if (bad_records) {
    PANCAIM_CHECK(imaging::WriteVolume(MakePhantom({32, 32, 16}, {1, 1, 1}), data / "ct/p05.nii.gz").ok());
    std::filesystem::resize_file(data / "ct/p05.nii.gz",
                                 std::filesystem::file_size(data / "ct/p05.nii.gz") / 2);
    rows +=
        "P04,test,ct/p04.nii.gz,,,,,,60,F,,,0,20,0\n"
        "P05,train,ct/p05.nii.gz,,,,,,55,M,,,1,5,1\n"
        "P06,train,,,,,,,sixty,F,,,0,30,0\n"
        "P01,test,ct/p01.nii.gz,,,,,,64,F,,,1,,\n"
        "P07,test,,,,,,,,,,,1,12,1\n"
        "P09,test,,,,slides/missing.tiff,genomics/noindex.vcf.gz,S1,50,F,,,0,10,0\n";
    PANCAIM_CHECK(genomics::testing::WriteBgzippedVcf(data / "genomics/noindex.vcf.gz", kVcf,
                                                      genomics::testing::IndexKind::kNone)
                      .ok());
  }
  std::ofstream(data / "manifest.csv") << rows;
  std::ofstream(dir_.path() / "site.json") << R"({
    "site": {"id": "test-site", "manifest": "data/manifest.csv", "cache_dir": "cache"},
    "imaging": {"size": [16, 16, 8], "spacing_mm": [1.0, 1.0, 2.0]}
  })";
}

}  // namespace pancaim::sitedata::testing
