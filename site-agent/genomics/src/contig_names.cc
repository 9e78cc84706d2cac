#include "pancaim/genomics/contig_names.h"

#include <algorithm>
#include <set>

namespace pancaim::genomics {

std::string OtherContigStyle(std::string_view name) {
  if (name == "chrM") return "MT";
  if (name == "MT") return "chrM";
  if (name.starts_with("chr")) return std::string(name.substr(3));
  if (name.empty()) return std::string();
  return "chr" + std::string(name);
}

namespace {

std::string Sample(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 5;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kShown; ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  if (names.size() > kShown) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out.empty() ? "(none)" : out;
}

}  // namespace

StatusOr<std::map<std::string, std::string>> MatchContigs(
    const std::vector<std::string>& panel_contigs, const std::vector<std::string>& vcf_contigs,
    std::string_view vcf_name) {
  const std::set<std::string> available(vcf_contigs.begin(), vcf_contigs.end());
  std::map<std::string, std::string> mapping;
  for (const std::string& contig : panel_contigs) {
    if (available.count(contig)) {
      mapping[contig] = contig;
    } else if (const std::string other = OtherContigStyle(contig); available.count(other)) {
      mapping[contig] = other;
    }
  }
  if (mapping.empty()) {
    return FailedPreconditionError(
        "VCF '" + std::string(vcf_name) + "': none of its contigs [" + Sample(vcf_contigs) +
        "] matches a gene-panel contig [" + Sample(panel_contigs) +
        "], with or without the 'chr' prefix; is the panel for another assembly or naming?");
  }
  return mapping;
}

}  // namespace pancaim::genomics
