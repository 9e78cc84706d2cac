#include "vcf_test_data.h"

#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

namespace pancaim::genomics::testdata {

const std::filesystem::path& TempDir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = std::filesystem::temp_directory_path() /
                              ("pancaim-genomics-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(TempDir(), ec);
    });
    return d;
  }();
  return dir;
}

std::string Header(bool chr_prefix, const std::vector<std::string>& samples) {
  const std::string p = chr_prefix ? "chr" : "";
  std::string text =
      "##fileformat=VCFv4.2\n"
      "##FILTER=<ID=PASS,Description=\"All filters passed\">\n"
      "##FILTER=<ID=q10,Description=\"Quality below 10\">\n"
      "##INFO=<ID=AF,Number=A,Type=Float,Description=\"Allele frequency\">\n"
      "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
      "##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"Allelic depths\">\n"
      "##FORMAT=<ID=AF,Number=A,Type=Float,Description=\"Allele fraction\">\n"
      "##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n"
      "##contig=<ID=" + p + "9,length=138394717>\n"
      "##contig=<ID=" + p + "12,length=133275309>\n"
      "##contig=<ID=" + p + "17,length=83257441>\n"
      "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO";
  if (!samples.empty()) text += "\tFORMAT";
  for (const std::string& s : samples) text += "\t" + s;
  return text + "\n";
}

std::string TwoSampleVcf(bool chr_prefix) {
  const std::string p = chr_prefix ? "chr" : "";
  return Header(chr_prefix, {"TUMOR_A", "TUMOR_B"}) +
         p + "9\t21970000\t.\tG\tC\t50\t.\t.\tGT:AD\t0/1:5,5\t0/0:9,0\n" +
         p + "12\t25245350\t.\tC\tT\t60\tPASS\t.\tGT:AD\t0/1:70,30\t0/0:50,0\n" +
         p + "12\t25245400\t.\tG\tA\t5\tq10\t.\tGT:AD\t0/1:10,90\t0/0:30,0\n" +
         p + "17\t7674220\t.\tC\tT\t60\tPASS\t.\tGT:AD\t0/0:40,0\t0/1:20,20\n" +
         p + "17\t7675000\t.\tA\t<NON_REF>\t.\tPASS\t.\tGT\t0/1\t0/0\n";
}

std::filesystem::path Write(const std::string& name, const std::string& text, testing::IndexKind index) {
  const std::filesystem::path path = TempDir() / name;
  const Status status = testing::WriteBgzippedVcf(path, text, index);
  EXPECT_TRUE(status.ok()) << status;
  return path;
}

}  // namespace pancaim::genomics::testdata
