// Matching contig names between a BED panel and a VCF, which often differ only by the "chr"
// prefix: UCSC/GENCODE style ("chr1", "chrX", "chrM") versus Ensembl/NCBI style ("1", "X", "MT").
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"

namespace pancaim::genomics {

// The other style's name: "chr7" <-> "7", "chrM" <-> "MT", "chrX" <-> "X". Names in neither
// style come back unchanged.
std::string OtherContigStyle(std::string_view name);

// For each panel contig, the VCF contig that names it: the same name when the VCF has it, else
// the other style's name when the VCF has that; contigs with neither are left out (a VCF that
// covers only some chromosomes is normal). Errors: FAILED_PRECONDITION naming `vcf_name` when no
// panel contig matches any VCF contig, listing a few names of each side so the naming mismatch
// (or wrong assembly) is visible.
StatusOr<std::map<std::string, std::string>> MatchContigs(
    const std::vector<std::string>& panel_contigs, const std::vector<std::string>& vcf_contigs,
    std::string_view vcf_name);

}  // namespace pancaim::genomics
