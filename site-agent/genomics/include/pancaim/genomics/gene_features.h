// Per-patient genomic features from a VCF: for each gene of a panel, whether the patient's sample
// carries a variant in it, and the highest variant allele fraction (VAF) among those variants.
//
// The rule (README.md has the long form):
//  * a record counts when it overlaps a gene region and its FILTER is PASS (options below);
//  * alternate alleles "*", "<*>" and "<NON_REF>" (spanning deletions, gVCF reference blocks) are
//    never variants;
//  * the sample carries an alternate allele when its called genotype (FORMAT/GT) contains it; when
//    GT is absent or entirely missing, when its VAF below is > 0;
//  * the VAF of allele a is, in order of preference: FORMAT/AD[a] / sum(FORMAT/AD) (depth > 0),
//    FORMAT/AF[a], and for single-sample files INFO/AF[a] (callers such as LoFreq put the VAF
//    there; in multi-sample files INFO/AF is a cohort frequency, so it is not used);
//  * per gene: mutated = any carried variant; max_vaf = highest VAF among carried variants whose VAF
//    is known (vaf_known = 0 when none is).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/genomics/gene_panel.h"
#include "pancaim/genomics/vcf_file.h"

namespace pancaim::genomics {

struct GeneFeatureOptions {
  // Only records whose FILTER is PASS count. When false, every record counts.
  bool pass_only = true;
  // With pass_only, also accept FILTER "." (filters not applied), as some callers leave it.
  bool accept_missing_filter = false;
  // kIndexedRegions queries the index once per panel region (fast for a small panel over a large
  // VCF); kWholeFile reads every record once (checks the whole file, fast for small VCFs).
  enum class Scan { kIndexedRegions, kWholeFile };
  Scan scan = Scan::kIndexedRegions;
};

// One gene's features.
struct GeneFeature {
  std::string gene;
  bool mutated = false;
  std::optional<double> max_vaf;  // nullopt: not mutated, or no VAF measurable
  int variants = 0;               // carried variant records in the gene
  std::string vaf_source;         // "FORMAT/AD", "FORMAT/AF" or "INFO/AF" of max_vaf, or ""
};

// A patient's features, genes in panel order. A value type.
struct GenomicFeatures {
  std::string vcf_path;
  std::string sample;
  std::vector<GeneFeature> genes;
  std::int64_t records_read = 0;       // records visited (whole file, or in the queried regions)
  std::int64_t records_in_genes = 0;   // of those, overlapping a panel gene
  std::int64_t records_passing = 0;    // of those, passing the FILTER rule
  std::vector<std::string> panel_contigs_absent;  // panel contigs with no records in the VCF

  // Feature vector: [mutated (0/1) per gene] + [max VAF per gene, 0 when unknown or not mutated]
  // + [vaf_known (0/1) per gene]; 3 x genes values, in FeatureNames() order.
  std::vector<float> ToVector() const;
  // "KRAS.mutated", ..., "KRAS.max_vaf", ..., "KRAS.vaf_known", ...
  static std::vector<std::string> FeatureNames(const GenePanel& panel);
};

// Computes `sample`'s features over `panel`. Errors: those of VcfFile::SampleIndex (sample not in
// the header), MatchContigs (no panel contig in the VCF under either naming style), and DATA_LOSS
// for records that cannot be read, each naming the file.
StatusOr<GenomicFeatures> ExtractGeneFeatures(VcfFile& vcf, std::string_view sample,
                                              const GenePanel& panel,
                                              const GeneFeatureOptions& options = {});

}  // namespace pancaim::genomics
