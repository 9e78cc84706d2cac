// InspectVcf: the per-file check `pancaim-site check-data` runs on a patient's VCF. Opens it,
// reads every record once (so truncation or corruption anywhere is found) and computes the
// patient's gene features, summarising the result.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/genomics/gene_features.h"
#include "pancaim/genomics/gene_panel.h"

namespace pancaim::genomics {

// What a readable VCF looks like to the pipeline. A value type.
struct VcfSummary {
  std::string path;
  std::string format;            // "vcf.gz" or "bcf"
  std::string index_kind;        // "tbi" or "csi"
  int sample_count = 0;
  std::string contig_style;      // "chr" (chr1...), "plain" (1...), "mixed" or "none"
  int contigs_indexed = 0;
  GenomicFeatures features;      // records_read = all records of the file
  std::vector<std::string> mutated_genes;
};

// Opens `path` and extracts `sample`'s features over `panel` with a whole-file scan (the FILTER
// rule of `options` applies; its scan mode is ignored). Never crashes on a bad file.
// Errors: those of VcfFile::Open and ExtractGeneFeatures, each naming the file.
StatusOr<VcfSummary> InspectVcf(const std::filesystem::path& path, std::string_view sample,
                                const GenePanel& panel, GeneFeatureOptions options = {});

// {"path", "format", "index", "samples", "contig_style", "contigs_indexed", "sample",
//  "records", "records_in_genes", "records_passing", "mutated_genes": [...],
//  "genes": [{"gene", "mutated", "max_vaf" (null when unknown), "variants", "vaf_source"}],
//  "panel_contigs_absent": [...]}
nlohmann::json ToJson(const VcfSummary& summary);

// One line: "vcf.gz+tbi, 3 samples, chr contigs, 1204 records, 7 in panel genes, mutated: KRAS
// (VAF 0.31), TP53 (VAF 0.28)".
std::string ToString(const VcfSummary& summary);

}  // namespace pancaim::genomics
