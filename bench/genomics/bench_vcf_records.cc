// bench-vcf-records: records/s of a whole-file gene-feature scan (ExtractGeneFeatures, kWholeFile:
// parse, FILTER, genotype and allelic depths of one sample, gene lookup) next to
// `bcftools view -H FILE > /dev/null` on the same file, in the same run. Without --vcf it writes
// a synthetic multi-sample VCF over the PDAC panel's chromosomes first (bgzip + tabix, HTSlib).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "pancaim/common/progress.h"
#include "pancaim/genomics/gene_features.h"
#include "pancaim/genomics/testing/vcf_writer.h"

namespace {

using namespace pancaim::genomics;

double Seconds(const std::function<bool()>& work) {
  const auto start = std::chrono::steady_clock::now();
  if (!work()) return -1;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Records spread over each panel contig from 50 kb before its first gene, 7 bases apart, so a
// fraction of them fall inside genes; genotypes and depths vary deterministically.
std::string SyntheticVcf(const GenePanel& panel, int records, int samples) {
  std::string text =
      "##fileformat=VCFv4.2\n##FILTER=<ID=PASS,Description=\"All filters passed\">\n"
      "##FILTER=<ID=q10,Description=\"Quality below 10\">\n"
      "##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n"
      "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
      "##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"Allelic depths\">\n"
      "##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n";
  const auto contigs = panel.Contigs();
  for (const std::string& contig : contigs) text += "##contig=<ID=" + contig + ">\n";
  text += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT";
  for (int s = 0; s < samples; ++s) text += "\tS" + std::to_string(s);
  text += "\n";
  const char* bases = "ACGT";
  std::uint64_t state = 12345;
  for (std::size_t c = 0; c < contigs.size(); ++c) {
    std::int64_t first = INT64_MAX;
    for (const GeneRegion& r : panel.regions()) {
      if (r.contig == contigs[c]) first = std::min(first, r.start);
    }
    const int count = records / static_cast<int>(contigs.size());
    for (int i = 0; i < count; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const std::int64_t pos = std::max<std::int64_t>(1, first - 50000) + 7LL * i;
      const int ref = static_cast<int>((state >> 33) % 4), alt = (ref + 1 + static_cast<int>((state >> 40) % 3)) % 4;
      text += contigs[c] + "\t" + std::to_string(pos) + "\t.\t" + bases[ref] + "\t" + bases[alt] +
              "\t50\t" + ((state >> 50) % 10 == 0 ? "q10" : "PASS") + "\tDP=" +
              std::to_string(30 + (state >> 45) % 60) + "\tGT:AD:DP";
      for (int s = 0; s < samples; ++s) {
        const int alt_reads = static_cast<int>((state >> (s + 3)) % 25), ref_reads = 20 + s;
        text += std::string("\t") + (alt_reads > 3 ? "0/1" : "0/0") + ":" + std::to_string(ref_reads) +
                "," + std::to_string(alt_reads) + ":" + std::to_string(ref_reads + alt_reads);
      }
      text += "\n";
    }
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"VCF records/s: pancaim::genomics whole-file feature scan vs bcftools view -H"};
  std::string vcf_arg, sample, bcftools = "bcftools";
  int records = 400000, samples = 4, passes = 2;
  app.add_option("--vcf", vcf_arg, "Indexed VCF/BCF to read (default: write a synthetic one)");
  app.add_option("--sample", sample, "Sample to extract (default: the first)");
  app.add_option("--records", records, "Synthetic VCF records")->check(CLI::PositiveNumber);
  app.add_option("--samples", samples, "Synthetic VCF samples")->check(CLI::PositiveNumber);
  app.add_option("--passes", passes, "Timed passes of each reader (best is reported)")->check(CLI::PositiveNumber);
  app.add_option("--bcftools", bcftools, "bcftools executable");
  CLI11_PARSE(app, argc, argv);

  const GenePanel& panel = PdacPanelGrch38();
  std::filesystem::path path = vcf_arg, temp_dir;
  if (path.empty()) {
    temp_dir = std::filesystem::temp_directory_path() / ("bench-vcf-" + std::to_string(::getpid()));
    std::filesystem::create_directories(temp_dir);
    path = temp_dir / "synthetic.vcf.gz";
    pancaim::ProgressDisplay progress("writing synthetic VCF", 1);
    const pancaim::Status written = testing::WriteBgzippedVcf(path, SyntheticVcf(panel, records, samples));
    progress.Finish();
    if (!written.ok()) {
      std::fprintf(stderr, "error: %s\n", written.ToString().c_str());
      return 1;
    }
  }
  auto vcf = VcfFile::Open(path);
  if (!vcf.ok()) {
    std::fprintf(stderr, "error: %s\n", vcf.status().ToString().c_str());
    return 1;
  }
  if (sample.empty() && !(*vcf)->samples().empty()) sample = (*vcf)->samples()[0];
  GeneFeatureOptions options;
  options.scan = GeneFeatureOptions::Scan::kWholeFile;
  GenomicFeatures features;
  const auto ours = [&] {
    auto result = ExtractGeneFeatures(**vcf, sample, panel, options);
    if (!result.ok()) {
      std::fprintf(stderr, "error: %s\n", result.status().ToString().c_str());
      return false;
    }
    features = std::move(result).value();
    return true;
  };
  const std::string command = bcftools + " view -H '" + path.string() + "' > /dev/null";
  const auto baseline = [&] { return std::system(command.c_str()) == 0; };
  double best_ours = 1e30, best_base = 1e30;
  pancaim::ProgressDisplay progress("timed passes", passes);
  for (int pass = 0; pass < passes; ++pass) {
    const double b = Seconds(baseline), o = Seconds(ours);
    if (o < 0) return 1;
    if (b < 0) {
      std::fprintf(stderr, "error: `%s` failed (is bcftools installed?)\n", command.c_str());
      return 1;
    }
    best_base = std::min(best_base, b), best_ours = std::min(best_ours, o);
    progress.Advance();
  }
  progress.Finish();
  options.scan = GeneFeatureOptions::Scan::kIndexedRegions;
  const double regions_s = Seconds([&] { return ExtractGeneFeatures(**vcf, sample, panel, options).ok(); });
  const double n = static_cast<double>(features.records_read);
  std::printf("file: %s (%lld records, %zu samples; %lld in panel genes, %lld passing)\n",
              path.filename().c_str(), static_cast<long long>(features.records_read),
              (*vcf)->samples().size(), static_cast<long long>(features.records_in_genes),
              static_cast<long long>(features.records_passing));
  std::printf("baseline `bcftools view -H > /dev/null`: %12.0f records/s (%.3f s, best of %d)\n",
              n / best_base, best_base, passes);
  std::printf("ExtractGeneFeatures whole-file scan:    %12.0f records/s (%.3f s)  ratio %.2f\n",
              n / best_ours, best_ours, best_base / best_ours);
  std::printf("ExtractGeneFeatures indexed regions (%zu genes): %.4f s for the panel\n",
              panel.genes().size(), regions_s);
  if (!temp_dir.empty()) std::filesystem::remove_all(temp_dir);
  return 0;
}
