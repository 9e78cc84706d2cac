// Per-patient somatic VCFs: driver mutations in KRAS, TP53, CDKN2A and SMAD4 placed inside the
// genes' GRCh38 coordinates (KRAS and TP53 at their recurrent hotspots), background variants
// elsewhere in the genome, and occasional FILTER=LowQual calls in driver genes that a reader must
// drop by its PASS filter. Written through HTSlib as bgzipped VCF with a tabix index; FORMAT GT,
// AD and DP give allele fractions. One VCF per patient, one sample named by the patient id.
//
// Functions are pure or write only their own paths; safe to call from several threads.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/scenarios/generative_model.h"
#include "pancaim/scenarios/scenario_config.h"

namespace pancaim::scenarios {

// A gene's extent on GRCh38, 1-based inclusive (Ensembl gene coordinates, docs cite them).
struct GeneRegion {
  std::string_view gene;
  std::string_view contig;
  std::int64_t start;
  std::int64_t end;
};

// The driver genes, in the order of kDriverGenes.
const std::array<GeneRegion, kDriverGeneCount>& DriverGeneRegions();

// One VCF record of a single-sample file.
struct VcfVariant {
  std::string contig;
  std::int64_t position = 0;  // 1-based
  std::string ref;
  std::string alt;
  double quality = 0.0;
  bool pass = true;   // FILTER PASS, otherwise LowQual
  std::string gene;   // INFO/GENE, empty for background variants
  bool somatic = false;
  bool homozygous_alt = false;  // GT 1/1 instead of 0/1
  int ref_depth = 0;
  int alt_depth = 0;
};

// Draws the patient's variants (sorted by contig then position) from its genomics stream.
std::vector<VcfVariant> DrawPatientVariants(const PatientTruth& patient,
                                            const GenomicsSettings& settings, std::uint64_t seed);

// Writes `variants` (sorted as above) for one sample as bgzipped VCF at `path` (should end in
// .vcf.gz) plus `path`.tbi. Errors name the path.
Status WriteVcf(const std::vector<VcfVariant>& variants, const std::string& sample,
                const std::filesystem::path& path);

}  // namespace pancaim::scenarios
