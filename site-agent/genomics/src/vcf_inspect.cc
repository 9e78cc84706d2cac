#include "pancaim/genomics/vcf_inspect.h"

#include <cstdio>

#include "pancaim/genomics/vcf_file.h"

namespace pancaim::genomics {
namespace {

std::string ContigStyle(const std::vector<std::string>& contigs) {
  int with = 0, without = 0;
  for (const std::string& contig : contigs) (contig.starts_with("chr") ? with : without)++;
  if (with == 0 && without == 0) return "none";
  if (without == 0) return "chr";
  if (with == 0) return "plain";
  return "mixed";
}

}  // namespace

StatusOr<VcfSummary> InspectVcf(const std::filesystem::path& path, std::string_view sample,
                                const GenePanel& panel, GeneFeatureOptions options) {
  PANCAIM_ASSIGN_OR_RETURN(auto vcf, VcfFile::Open(path));
  options.scan = GeneFeatureOptions::Scan::kWholeFile;
  PANCAIM_ASSIGN_OR_RETURN(GenomicFeatures features,
                           ExtractGeneFeatures(*vcf, sample, panel, options));
  VcfSummary summary;
  summary.path = path.string();
  summary.format = std::string(VcfFormatName(vcf->format()));
  summary.index_kind = vcf->index_kind();
  summary.sample_count = static_cast<int>(vcf->samples().size());
  summary.contig_style = ContigStyle(vcf->contigs());
  summary.contigs_indexed = static_cast<int>(vcf->contigs().size());
  for (const GeneFeature& gene : features.genes) {
    if (gene.mutated) summary.mutated_genes.push_back(gene.gene);
  }
  summary.features = std::move(features);
  return summary;
}

nlohmann::json ToJson(const VcfSummary& summary) {
  nlohmann::json genes = nlohmann::json::array();
  for (const GeneFeature& gene : summary.features.genes) {
    genes.push_back({{"gene", gene.gene},
                     {"mutated", gene.mutated},
                     {"max_vaf", gene.max_vaf ? nlohmann::json(*gene.max_vaf) : nlohmann::json()},
                     {"variants", gene.variants},
                     {"vaf_source", gene.vaf_source}});
  }
  return {{"path", summary.path},
          {"format", summary.format},
          {"index", summary.index_kind},
          {"samples", summary.sample_count},
          {"contig_style", summary.contig_style},
          {"contigs_indexed", summary.contigs_indexed},
          {"sample", summary.features.sample},
          {"records", summary.features.records_read},
          {"records_in_genes", summary.features.records_in_genes},
          {"records_passing", summary.features.records_passing},
          {"mutated_genes", summary.mutated_genes},
          {"genes", genes},
          {"panel_contigs_absent", summary.features.panel_contigs_absent}};
}

std::string ToString(const VcfSummary& summary) {
  std::string line = summary.format + "+" + summary.index_kind + ", " +
                     std::to_string(summary.sample_count) + " samples, " + summary.contig_style +
                     " contigs, " + std::to_string(summary.features.records_read) + " records, " +
                     std::to_string(summary.features.records_in_genes) + " in panel genes, mutated: ";
  bool first = true;
  for (const GeneFeature& gene : summary.features.genes) {
    if (!gene.mutated) continue;
    line += (first ? "" : ", ") + gene.gene;
    if (gene.max_vaf) {
      char vaf[32];
      std::snprintf(vaf, sizeof(vaf), " (VAF %.2f)", *gene.max_vaf);
      line += vaf;
    }
    first = false;
  }
  if (first) line += "none";
  return line;
}

}  // namespace pancaim::genomics
